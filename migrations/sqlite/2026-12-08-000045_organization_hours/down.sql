ALTER TABLE organizations DROP COLUMN work_end;
ALTER TABLE organizations DROP COLUMN work_start;
