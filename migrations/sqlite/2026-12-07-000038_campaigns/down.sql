DROP TABLE campaign_buckets;
DROP TABLE campaign_signatures;
DROP TABLE campaign_members;
DROP TABLE campaigns;
