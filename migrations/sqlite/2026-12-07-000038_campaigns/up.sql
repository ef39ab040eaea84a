-- Mass campaigns: near-identical letters from different people grouped as they arrive.
-- A letter's MinHash signature is kept once; its LSH bucket keys (one per band, under the
-- section of each of its questions and its registration day) find earlier letters worth
-- comparing through the primary key, never by reading the registry.
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    title TEXT NOT NULL,
    section TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX campaigns_org_created ON campaigns (organization_id, created_at DESC, id DESC);

CREATE TABLE campaign_members (
    appeal_id TEXT PRIMARY KEY REFERENCES appeals(id),
    organization_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    registered_at TIMESTAMP NOT NULL,
    joined_at TIMESTAMP NOT NULL
);
CREATE INDEX campaign_members_campaign ON campaign_members (organization_id, campaign_id, registered_at);
CREATE INDEX campaign_members_registered ON campaign_members (organization_id, registered_at);

CREATE TABLE campaign_signatures (
    appeal_id TEXT PRIMARY KEY REFERENCES appeals(id),
    organization_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    left_out BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE campaign_buckets (
    organization_id TEXT NOT NULL,
    section TEXT NOT NULL,
    band INTEGER NOT NULL,
    bucket BIGINT NOT NULL,
    registered_on DATE NOT NULL,
    appeal_id TEXT NOT NULL,
    PRIMARY KEY (organization_id, section, band, bucket, registered_on, appeal_id)
);
CREATE INDEX campaign_buckets_appeal ON campaign_buckets (appeal_id);
