-- The region's statistics count an appeal forwarded from one organization of the instance to
-- another once: they read the receivers' copies of a period through this index (a handful of
-- rows beside the registry) to take them away from the sum of the organizations.
CREATE INDEX appeals_received_within ON appeals (registered_at) WHERE source_appeal_id IS NOT NULL;
