-- Control ends when the answer has gone out: approval records whether the dispatch of that
-- answer removes the appeal from control (true) or keeps it on additional control (false).
ALTER TABLE answers ADD COLUMN close_on_dispatch BOOLEAN NOT NULL DEFAULT TRUE;

-- A form posted after its session ended, kept for its user for a short time (by the hash of
-- the token the browser holds) so that nothing typed is lost.
CREATE TABLE web_drafts (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX web_drafts_expires ON web_drafts (expires_at);

-- The one-time token of a registration form: a second post of the same form finds the appeal
-- the first one registered instead of registering another.
CREATE TABLE web_form_tokens (
    token_hash TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    appeal_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX web_form_tokens_created ON web_form_tokens (created_at);
