-- Organizations of a region in one instance: a body can be deactivated (it keeps its registry
-- but receives nothing new) and may name the body above it (a municipality's region).
ALTER TABLE organizations ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE organizations ADD COLUMN parent_id TEXT REFERENCES organizations(id);
