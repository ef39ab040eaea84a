-- The outbox, second pass: a dispatcher's lease on the rows it is sending (claimed_until,
-- claimed_by), the Message-ID a sent row carried, why a notice was not sent (skip_reason),
-- and deduplication per organization. `scheduled_for` is when the next attempt is due:
-- a retry with backoff moves it.
ALTER TABLE notifications ADD COLUMN claimed_until TIMESTAMP;
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN message_id TEXT;
ALTER TABLE notifications ADD COLUMN skip_reason TEXT;
CREATE UNIQUE INDEX notifications_org_dedup ON notifications (organization_id, dedup_key);
CREATE INDEX notifications_appeal ON notifications (appeal_id, status);
CREATE INDEX notifications_org_created ON notifications (organization_id, created_at);
CREATE INDEX notifications_org_recipient ON notifications (organization_id, recipient);
