ALTER TABLE campaigns DROP COLUMN member_count;
