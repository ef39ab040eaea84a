DROP INDEX appeals_legacy_number;
ALTER TABLE appeals DROP COLUMN legacy_number;
