-- Registry schema: organizations, users and tokens, reference data, appeals with their
-- applicants and questions, links between appeals, the control workflow, the audit history,
-- the notification outbox and the export log. Every business table carries organization_id
-- (the distribution key); rows that belong to an appeal reach the organization through the
-- appeal's foreign key rather than a second one, which would only add a lock on one hot row.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    sstu_department_id TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    login TEXT NOT NULL,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL,
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, login)
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Reference data shared by every organization of an instance (the all-Russian classifier).
CREATE TABLE classifier (
    code TEXT PRIMARY KEY,
    level INTEGER NOT NULL,
    parent TEXT,
    name TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX classifier_parent ON classifier (parent);

CREATE TABLE reg_counters (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    year INTEGER NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (organization_id, year)
);

CREATE TABLE appeals (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    reg_number TEXT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    registered_on DATE NOT NULL,
    received_on DATE NOT NULL,
    channel TEXT NOT NULL,
    form TEXT NOT NULL,
    kind TEXT NOT NULL,
    legal_regime TEXT NOT NULL,
    collective BOOLEAN NOT NULL,
    signatures INTEGER,
    anonymous BOOLEAN NOT NULL,
    from_organization BOOLEAN NOT NULL,
    summary TEXT NOT NULL,
    reply_channel TEXT,
    source_organization TEXT,
    source_number TEXT,
    source_date DATE,
    external_id TEXT,
    reception_official TEXT,
    reception_official_role TEXT,
    reception_held_on DATE,
    migration_case BOOLEAN NOT NULL,
    late_registration BOOLEAN NOT NULL,
    repeated BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    due_date DATE NOT NULL,
    due_explanation TEXT NOT NULL,
    control_date DATE,
    extension_days INTEGER,
    extension_reason TEXT,
    extended_by TEXT,
    extended_on DATE,
    forwarded_to TEXT,
    forward_reason TEXT,
    forwarded_at TIMESTAMP,
    forward_late BOOLEAN NOT NULL DEFAULT FALSE,
    left_reason TEXT,
    put_on_control_at TIMESTAMP,
    answered_at TIMESTAMP,
    closed_at TIMESTAMP,
    returned_count INTEGER NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, reg_number)
);
-- A re-delivery from ПОС, Добродел or ГИС ЖКХ never creates a second appeal.
CREATE UNIQUE INDEX appeals_external_id ON appeals (organization_id, channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX appeals_org_registered ON appeals (organization_id, registered_at DESC, id DESC);
CREATE INDEX appeals_org_status_due ON appeals (organization_id, status, due_date);
CREATE INDEX appeals_org_channel ON appeals (organization_id, channel, registered_at);

CREATE TABLE applicants (
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
CREATE INDEX applicants_appeal ON applicants (appeal_id);
CREATE INDEX applicants_name_key ON applicants (organization_id, name_key);

CREATE TABLE questions (
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
CREATE INDEX questions_appeal ON questions (appeal_id);
CREATE INDEX questions_org_code ON questions (organization_id, code);
CREATE INDEX questions_org_section ON questions (organization_id, section);

CREATE TABLE appeal_links (
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    related_appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    confirmed BOOLEAN,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (appeal_id, related_appeal_id)
);
CREATE INDEX appeal_links_related ON appeal_links (related_appeal_id);

CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id),
    responsible BOOLEAN NOT NULL,
    instruction TEXT,
    active BOOLEAN NOT NULL,
    assigned_by TEXT REFERENCES users(id),
    assigned_at TIMESTAMP NOT NULL
);
CREATE INDEX assignments_appeal ON assignments (appeal_id);
CREATE INDEX assignments_user_active ON assignments (user_id, active);

CREATE TABLE answers (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users(id),
    text TEXT NOT NULL,
    results TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reviewed_by TEXT REFERENCES users(id),
    reviewed_at TIMESTAMP,
    review_comment TEXT
);
CREATE INDEX answers_appeal ON answers (appeal_id, created_at);

-- The outbox of notifications: planned by the scheduler, sent by the dispatcher.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    appeal_id TEXT REFERENCES appeals(id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_for TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_pending ON notifications (status, scheduled_for);

-- What was exported to SSTU.RF / GASU for which month, so a month can be re-exported identically.
CREATE TABLE export_log (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    target TEXT NOT NULL,
    period TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users(id),
    items INTEGER NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX export_log_period ON export_log (organization_id, target, period);

CREATE TABLE history (
    id BIGSERIAL PRIMARY KEY,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL REFERENCES appeals(id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    actor_id TEXT REFERENCES users(id),
    action TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX history_appeal ON history (appeal_id, id);
