-- The number an appeal had in the body's own journal before the service (imported from an
-- Excel or CSV journal): shown on the card, and the key that makes a second import of the same
-- journal add nothing (with the registration year: journals often restart numbering yearly).
ALTER TABLE appeals ADD COLUMN legacy_number TEXT;
CREATE INDEX appeals_legacy_number ON appeals (organization_id, legacy_number) WHERE legacy_number IS NOT NULL;
