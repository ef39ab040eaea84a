DROP INDEX notifications_org_recipient;
DROP INDEX notifications_org_created;
DROP INDEX notifications_appeal;
DROP INDEX notifications_org_dedup;
ALTER TABLE notifications DROP COLUMN skip_reason;
ALTER TABLE notifications DROP COLUMN message_id;
ALTER TABLE notifications DROP COLUMN claimed_by;
ALTER TABLE notifications DROP COLUMN claimed_until;
