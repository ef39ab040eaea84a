-- A campaign's count of appeals, kept as letters join, leave and campaigns merge: the card of
-- every new letter of a campaign of thousands shows it without counting the members.
ALTER TABLE campaigns ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;
UPDATE campaigns SET member_count = (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = campaigns.id);
