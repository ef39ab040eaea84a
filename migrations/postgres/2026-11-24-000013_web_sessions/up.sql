-- Web sign-in (issue 13): each user's argon2 password hash, and browser sessions. A session
-- is found by the SHA-256 of its cookie (the cookie itself is never stored) and carries the
-- per-session CSRF token every form posts back.
CREATE TABLE user_passwords (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    password_hash TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
