-- Who wrote about what: one row per (applicant key, question code) of every appeal. The
-- repeat-candidate lookup reads one range of the primary key per key, newest first, and stops
-- after a few rows: its plan cannot depend on table statistics or on how often a person wrote.
-- A key is the applicant's name key with the address key (`name|a|address`) or with the e-mail
-- key (`name|e|email`), the two ways DOMAIN.md §1 recognises the same person.
-- No foreign key: rows are written in the appeal's own transaction and appeals are never
-- deleted, so a per-row check of the parent would only cost an index probe per key.
CREATE TABLE match_keys (
    organization_id TEXT NOT NULL,
    match_key TEXT NOT NULL,
    code TEXT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    appeal_id TEXT NOT NULL,
    PRIMARY KEY (organization_id, match_key, code, registered_at, appeal_id)
);
-- A corrected card (PATCH) replaces its appeal's keys.
CREATE INDEX match_keys_appeal ON match_keys (appeal_id);
INSERT INTO match_keys (organization_id, match_key, code, registered_at, appeal_id)
SELECT DISTINCT a.organization_id, p.name_key || '|a|' || p.address_key, q.code, a.registered_at, a.id
FROM appeals a JOIN applicants p ON p.appeal_id = a.id JOIN questions q ON q.appeal_id = a.id
WHERE p.name_key <> '' AND p.address_key IS NOT NULL;
INSERT INTO match_keys (organization_id, match_key, code, registered_at, appeal_id)
SELECT DISTINCT a.organization_id, p.name_key || '|e|' || p.email_key, q.code, a.registered_at, a.id
FROM appeals a JOIN applicants p ON p.appeal_id = a.id JOIN questions q ON q.appeal_id = a.id
WHERE p.name_key <> '' AND p.email_key IS NOT NULL;
