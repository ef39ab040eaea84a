-- Issue 12: forwarding by competence goes with our own cover letter, an outgoing letter with
-- its own number (from its own counter, like an answer's dispatch number) and date; the
-- ССТУ.РФ export reports them as transfer.transferNumber and transfer.transferDate.
ALTER TABLE appeals ADD COLUMN forward_number TEXT;
ALTER TABLE appeals ADD COLUMN forward_date DATE;
CREATE UNIQUE INDEX appeals_forward_number ON appeals (organization_id, forward_number) WHERE forward_number IS NOT NULL;

CREATE TABLE forward_counters (
    organization_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (organization_id, year)
);
