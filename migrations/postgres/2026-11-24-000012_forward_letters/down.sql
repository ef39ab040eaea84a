DROP TABLE forward_counters;
DROP INDEX appeals_forward_number;
ALTER TABLE appeals DROP COLUMN forward_date;
ALTER TABLE appeals DROP COLUMN forward_number;
