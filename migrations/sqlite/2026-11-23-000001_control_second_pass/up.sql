-- Control, second pass: co-executors' contributions, the answer's dispatch (outgoing number,
-- date, way), the outgoing-number counter, and the Art. 11 notice deadline on the card.
CREATE TABLE contributions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users(id),
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contributions_appeal ON contributions (appeal_id, created_at);

ALTER TABLE answers ADD COLUMN outgoing_number TEXT;
ALTER TABLE answers ADD COLUMN sent_on DATE;
ALTER TABLE answers ADD COLUMN sent_channel TEXT;
ALTER TABLE answers ADD COLUMN dispatched_by TEXT;
CREATE UNIQUE INDEX answers_outgoing_number ON answers (organization_id, outgoing_number) WHERE outgoing_number IS NOT NULL;

CREATE TABLE outgoing_counters (
    organization_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (organization_id, year)
);

ALTER TABLE appeals ADD COLUMN art11_notice_due DATE;
