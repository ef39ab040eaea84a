-- Sign-in attempts, counted in the database before the password is checked, so parallel
-- attempts and several server instances sharing the database share one count. `subject` is
-- `pair:LOGIN|ADDRESS` (the wait after three quick attempts), `address:ADDRESS` (a budget
-- across all logins) or `login:LOGIN` (failures per login, for the alarm and the user list).
CREATE TABLE login_attempts (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    subject TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_at TIMESTAMP NOT NULL,
    next_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, subject)
);
CREATE INDEX login_attempts_last ON login_attempts (organization_id, last_at);
