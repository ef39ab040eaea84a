-- The organization's departments (a short directory), and each user's department:
-- statistics break timeliness down by it.
CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, code)
);

ALTER TABLE users ADD COLUMN department_id TEXT REFERENCES departments(id);
CREATE INDEX users_department ON users (department_id);
