ALTER TABLE appeals DROP COLUMN art11_notice_due;
DROP TABLE outgoing_counters;
DROP INDEX answers_outgoing_number;
ALTER TABLE answers DROP COLUMN dispatched_by;
ALTER TABLE answers DROP COLUMN sent_channel;
ALTER TABLE answers DROP COLUMN sent_on;
ALTER TABLE answers DROP COLUMN outgoing_number;
DROP TABLE contributions;
