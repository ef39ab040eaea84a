DROP INDEX appeals_open_deadline;
ALTER TABLE notifications DROP COLUMN params;
