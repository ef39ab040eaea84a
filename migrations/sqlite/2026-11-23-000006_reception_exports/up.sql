-- The directory of bodies appeals are forwarded to and received from, with their ССТУ.РФ
-- department GUID (the transfer's departmentId). Names are unique per organization, so a
-- forwarded appeal's receiving body is found again by the name stored on the card.
CREATE TABLE bodies (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    inn TEXT,
    ogrn TEXT,
    sstu_department_id TEXT,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX bodies_org_name ON bodies (organization_id, name);
-- The answer's file (PDF), attached to the ССТУ.РФ export.
CREATE TABLE answer_files (
    answer_id TEXT PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX answer_files_appeal ON answer_files (appeal_id);
-- Personal reception: the schedule and the citizens booked into each reception.
CREATE TABLE receptions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    official TEXT NOT NULL,
    official_role TEXT NOT NULL,
    held_on DATE NOT NULL,
    starts_at TEXT NOT NULL,
    place TEXT NOT NULL,
    remote BOOLEAN NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX receptions_org_held ON receptions (organization_id, held_on);
CREATE TABLE reception_visitors (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    reception_id TEXT NOT NULL REFERENCES receptions(id) ON DELETE CASCADE,
    full_name TEXT NOT NULL,
    contact TEXT,
    booked_at TIMESTAMP NOT NULL,
    appeal_id TEXT REFERENCES appeals(id)
);
CREATE INDEX reception_visitors_reception ON reception_visitors (reception_id);
-- Months of the ССТУ.РФ export: appeals answered or forwarded in the month.
CREATE INDEX appeals_org_sent_on ON appeals (organization_id, answer_sent_on);
CREATE INDEX appeals_org_forwarded ON appeals (organization_id, forwarded_at);
