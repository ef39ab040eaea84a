DROP INDEX appeals_source_appeal;
DROP INDEX appeals_forwarded_to_appeal;
ALTER TABLE appeals DROP COLUMN source_appeal_id;
ALTER TABLE appeals DROP COLUMN forwarded_to_appeal_id;
