DROP TABLE plan_queue;
DROP TABLE plan_marks;
CREATE TABLE notifications_old (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    appeal_id TEXT REFERENCES appeals(id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_for TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    claimed_by TEXT,
    message_id TEXT,
    skip_reason TEXT,
    params TEXT
);
INSERT INTO notifications_old (id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, sent_at, attempts, last_error, created_at, claimed_until, claimed_by, message_id, skip_reason, params)
SELECT id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, sent_at, attempts, last_error, created_at, claimed_until, claimed_by, message_id, skip_reason, params FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_pending ON notifications (status, scheduled_for);
CREATE UNIQUE INDEX notifications_org_dedup ON notifications (organization_id, dedup_key);
CREATE INDEX notifications_appeal ON notifications (appeal_id, status);
CREATE INDEX notifications_org_created ON notifications (organization_id, created_at);
CREATE INDEX notifications_org_recipient ON notifications (organization_id, recipient);
