-- Who read a reception visitor's contact and when: the schedule lists names and times only,
-- the visitor's card shows the contact, and each such read is recorded here (an appeal's
-- reads go to its history; a visitor may have no appeal yet).
CREATE TABLE visitor_reads (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    visitor_id TEXT NOT NULL REFERENCES reception_visitors(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    read_at TIMESTAMP NOT NULL
);
CREATE INDEX visitor_reads_visitor ON visitor_reads (organization_id, visitor_id, read_at);
