DROP INDEX appeals_org_forwarded;
DROP INDEX appeals_org_sent_on;
DROP TABLE reception_visitors;
DROP TABLE receptions;
DROP TABLE answer_files;
DROP TABLE bodies;
