-- The reminder planner at scale (issue 10).
-- 1. `notifications` without the original global `UNIQUE (dedup_key)`: deduplication is per
--    organization (`notifications_org_dedup`), and the second unique index cost every planned
--    row one more random-position insert and every re-offered row one more probe. SQLite cannot
--    drop a column's constraint, so the table is rebuilt, the same way on both backends.
--    The rebuilt outbox has no foreign keys: its rows are written only by the action on the
--    appeal, in the appeal's transaction, or by the planner from the appeals it reads, and
--    appeals are never deleted. On PostgreSQL each key cost every planned row a trigger and a
--    `FOR KEY SHARE` lock that dirtied the appeal's page: a third of the first pass at
--    1,000,000 open appeals (23 of 73 s for 235,296 reminders).
CREATE TABLE notifications_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
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
    params TEXT,
    CONSTRAINT notifications_id PRIMARY KEY (id)
);
INSERT INTO notifications_new (id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, sent_at, attempts, last_error, created_at, claimed_until, claimed_by, message_id, skip_reason, params)
SELECT id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, sent_at, attempts, last_error, created_at, claimed_until, claimed_by, message_id, skip_reason, params FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
-- What each reader needs: the dispatcher's claim (pending by due time), the planner's and the
-- actions' deduplication, the cancels by appeal, the admin's list (newest first, by recipient).
CREATE INDEX notifications_pending ON notifications (status, scheduled_for);
CREATE UNIQUE INDEX notifications_org_dedup ON notifications (organization_id, dedup_key);
CREATE INDEX notifications_appeal ON notifications (appeal_id, status);
CREATE INDEX notifications_org_created ON notifications (organization_id, created_at);
CREATE INDEX notifications_org_recipient ON notifications (organization_id, recipient);
-- 2. The day marker: the organization-local day the planner last made a full pass for, and the
--    rules it planned with (the calendar's dates and the staff whose address is skipped). A
--    later pass on the same day with the same rules plans only the appeals queued below.
--    Anything that changes the planner's inputs otherwise (an import, staff changes) removes
--    the marker, so the next pass is full again.
CREATE TABLE plan_marks (
    organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
    day DATE NOT NULL,
    rules TEXT NOT NULL,
    planned_at TIMESTAMP NOT NULL
);
-- 3. Appeals changed since the last pass (registration, extension, assignment, closing, …),
--    written in the action's transaction; the next pass takes them out and re-plans them.
CREATE TABLE plan_queue (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    appeal_id TEXT NOT NULL,
    PRIMARY KEY (organization_id, appeal_id)
);
