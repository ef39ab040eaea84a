-- What the ССТУ.РФ export sent for each appeal and month: the card's version and the object's
-- SHA-256, so a delta picks the changed cards by this key instead of re-reading earlier
-- exports. `complete` is false while the parts of a ZIP export are still being fetched; the
-- last part marks the run's objects complete. No foreign keys: appeals and organizations are
-- never deleted through here, and a key without its own index would make deletions scan.
CREATE TABLE sstu_sent (
    organization_id TEXT NOT NULL,
    period TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    complete BOOLEAN NOT NULL,
    exported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, period, appeal_id)
);
