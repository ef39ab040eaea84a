-- Forwarding inside the instance: the sender's card names the appeal the receiving organization
-- registered from it, and that appeal names the one it came from. No foreign keys: the two rows
-- belong to different organizations, which may live on different shards or databases later.
ALTER TABLE appeals ADD COLUMN forwarded_to_appeal_id TEXT;
ALTER TABLE appeals ADD COLUMN source_appeal_id TEXT;
CREATE INDEX appeals_forwarded_to_appeal ON appeals (forwarded_to_appeal_id) WHERE forwarded_to_appeal_id IS NOT NULL;
CREATE INDEX appeals_source_appeal ON appeals (source_appeal_id) WHERE source_appeal_id IS NOT NULL;
