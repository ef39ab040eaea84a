DROP INDEX appeals_received_within;
