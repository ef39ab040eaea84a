-- Answer files are never overwritten: every version attached to an answer is kept with its
-- SHA-256, size, who and when; the answer's file is its latest version, and none can be
-- added once the answer is approved (the dispatched version is the one exported).
CREATE TABLE answer_file_versions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    appeal_id TEXT NOT NULL REFERENCES appeals(id),
    answer_id TEXT NOT NULL REFERENCES answers(id),
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX answer_file_versions_answer ON answer_file_versions (organization_id, answer_id, version);
CREATE INDEX answer_file_versions_appeal ON answer_file_versions (appeal_id);
-- Versions still waiting for their SHA-256 (copied below), found at start without a scan.
CREATE INDEX answer_file_versions_unhashed ON answer_file_versions (id) WHERE sha256 = '';
-- The files attached so far become version 1 (their SHA-256 is filled in at the next start).
INSERT INTO answer_file_versions (id, organization_id, appeal_id, answer_id, version, file_name, size, sha256, content, uploaded_by, uploaded_at)
    SELECT answer_id, organization_id, appeal_id, answer_id, 1, file_name, size, '', content, uploaded_by, uploaded_at FROM answer_files;
DROP TABLE answer_files;
