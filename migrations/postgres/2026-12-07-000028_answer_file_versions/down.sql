CREATE TABLE answer_files (
    answer_id TEXT PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by TEXT REFERENCES users(id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX answer_files_appeal ON answer_files (appeal_id);
INSERT INTO answer_files (answer_id, organization_id, appeal_id, file_name, size, content, uploaded_by, uploaded_at)
    SELECT v.answer_id, v.organization_id, v.appeal_id, v.file_name, v.size, v.content, v.uploaded_by, v.uploaded_at FROM answer_file_versions v
    WHERE v.version = (SELECT MAX(w.version) FROM answer_file_versions w WHERE w.answer_id = v.answer_id);
DROP TABLE answer_file_versions;
