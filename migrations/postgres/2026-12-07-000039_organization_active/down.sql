ALTER TABLE organizations DROP COLUMN parent_id;
ALTER TABLE organizations DROP COLUMN active;
