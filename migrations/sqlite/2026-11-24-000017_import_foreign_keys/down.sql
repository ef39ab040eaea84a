-- Puts the foreign keys to `appeals` back (same rebuild as the way up).

CREATE TABLE applicants_new (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    is_organization BOOLEAN NOT NULL,
    full_name TEXT NOT NULL,
    postal_address TEXT,
    email TEXT,
    phone TEXT,
    epgu_id TEXT,
    name_key TEXT NOT NULL,
    address_key TEXT,
    email_key TEXT
);
INSERT INTO applicants_new (id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, phone, epgu_id, name_key, address_key, email_key) SELECT id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, phone, epgu_id, name_key, address_key, email_key FROM applicants;
DROP TABLE applicants;
ALTER TABLE applicants_new RENAME TO applicants;
CREATE INDEX applicants_appeal ON applicants (appeal_id);

CREATE TABLE questions_new (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    code TEXT NOT NULL REFERENCES classifier(code),
    section TEXT NOT NULL,
    text TEXT,
    result TEXT,
    actions_taken BOOLEAN NOT NULL DEFAULT FALSE,
    result_on DATE,
    executor_id TEXT REFERENCES users(id)
);
INSERT INTO questions_new (id, organization_id, appeal_id, position, code, section, text, result, actions_taken, result_on, executor_id) SELECT id, organization_id, appeal_id, position, code, section, text, result, actions_taken, result_on, executor_id FROM questions;
DROP TABLE questions;
ALTER TABLE questions_new RENAME TO questions;
CREATE INDEX questions_appeal ON questions (appeal_id);
CREATE INDEX questions_org_code ON questions (organization_id, code);
CREATE INDEX questions_org_section ON questions (organization_id, section);

CREATE TABLE appeal_links_new (
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    related_appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    confirmed BOOLEAN,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (appeal_id, related_appeal_id)
);
INSERT INTO appeal_links_new (organization_id, appeal_id, related_appeal_id, kind, confirmed, created_at) SELECT organization_id, appeal_id, related_appeal_id, kind, confirmed, created_at FROM appeal_links;
DROP TABLE appeal_links;
ALTER TABLE appeal_links_new RENAME TO appeal_links;
CREATE INDEX appeal_links_related ON appeal_links (related_appeal_id);
