-- Back to the keys of migration 000043: single-column keys, references by id alone, the
-- instance-wide unique login index instead of the `logins` table. Rebuilt the same way as up.
-- backend-specific: begin
-- SQLite: the search index rows name the card alone (see the up file); rebuilt below.
-- backend-specific: end

CREATE TABLE departments_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (organization_id, code),
    FOREIGN KEY (organization_id) REFERENCES organizations(id)
);
INSERT INTO departments_new (id, organization_id, code, name, created_at) SELECT id, organization_id, code, name, created_at FROM departments;

CREATE TABLE users_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    login TEXT NOT NULL,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL,
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    department_id TEXT,
    PRIMARY KEY (id),
    UNIQUE (organization_id, login),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (department_id) REFERENCES departments_new(id)
);
INSERT INTO users_new (id, organization_id, login, full_name, role, email, active, created_at, department_id) SELECT id, organization_id, login, full_name, role, email, active, created_at, department_id FROM users;

CREATE TABLE appeals_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
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
    created_by TEXT,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    art11_notice_due DATE,
    answered_on DATE,
    answer_sent_on DATE,
    closed_on DATE,
    documents_requested BOOLEAN NOT NULL DEFAULT FALSE,
    on_site_check BOOLEAN NOT NULL DEFAULT FALSE,
    by_commission BOOLEAN NOT NULL DEFAULT FALSE,
    with_applicant BOOLEAN NOT NULL DEFAULT FALSE,
    forward_number TEXT,
    forward_date DATE,
    legacy_number TEXT,
    forwarded_to_appeal_id TEXT,
    source_appeal_id TEXT,
    PRIMARY KEY (id),
    UNIQUE (organization_id, reg_number),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (created_by) REFERENCES users_new(id)
);
INSERT INTO appeals_new (id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective, signatures, anonymous, from_organization, summary, reply_channel, source_organization, source_number, source_date, external_id, reception_official, reception_official_role, reception_held_on, migration_case, late_registration, repeated, status, due_date, due_explanation, control_date, extension_days, extension_reason, extended_by, extended_on, forwarded_to, forward_reason, forwarded_at, forward_late, left_reason, put_on_control_at, answered_at, closed_at, returned_count, search_text, created_by, version, updated_at, art11_notice_due, answered_on, answer_sent_on, closed_on, documents_requested, on_site_check, by_commission, with_applicant, forward_number, forward_date, legacy_number, forwarded_to_appeal_id, source_appeal_id) SELECT id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective, signatures, anonymous, from_organization, summary, reply_channel, source_organization, source_number, source_date, external_id, reception_official, reception_official_role, reception_held_on, migration_case, late_registration, repeated, status, due_date, due_explanation, control_date, extension_days, extension_reason, extended_by, extended_on, forwarded_to, forward_reason, forwarded_at, forward_late, left_reason, put_on_control_at, answered_at, closed_at, returned_count, search_text, created_by, version, updated_at, art11_notice_due, answered_on, answer_sent_on, closed_on, documents_requested, on_site_check, by_commission, with_applicant, forward_number, forward_date, legacy_number, forwarded_to_appeal_id, source_appeal_id FROM appeals;

CREATE TABLE answers_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    results TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    reviewed_by TEXT,
    reviewed_at TIMESTAMP,
    review_comment TEXT,
    outgoing_number TEXT,
    sent_on DATE,
    sent_channel TEXT,
    dispatched_by TEXT,
    close_on_dispatch BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (id),
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id) ON DELETE CASCADE,
    FOREIGN KEY (author_id) REFERENCES users_new(id),
    FOREIGN KEY (reviewed_by) REFERENCES users_new(id)
);
INSERT INTO answers_new (id, organization_id, appeal_id, author_id, text, results, status, created_at, reviewed_by, reviewed_at, review_comment, outgoing_number, sent_on, sent_channel, dispatched_by, close_on_dispatch) SELECT id, organization_id, appeal_id, author_id, text, results, status, created_at, reviewed_by, reviewed_at, review_comment, outgoing_number, sent_on, sent_channel, dispatched_by, close_on_dispatch FROM answers;

CREATE TABLE answer_file_versions_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT,
    uploaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id),
    FOREIGN KEY (answer_id) REFERENCES answers_new(id),
    FOREIGN KEY (uploaded_by) REFERENCES users_new(id)
);
INSERT INTO answer_file_versions_new (id, organization_id, appeal_id, answer_id, version, file_name, size, sha256, content, uploaded_by, uploaded_at) SELECT id, organization_id, appeal_id, answer_id, version, file_name, size, sha256, content, uploaded_by, uploaded_at FROM answer_file_versions;

CREATE TABLE api_tokens_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE (token_hash),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (user_id) REFERENCES users_new(id)
);
INSERT INTO api_tokens_new (id, organization_id, user_id, token_hash, label, created_at, expires_at, revoked_at) SELECT id, organization_id, user_id, token_hash, label, created_at, expires_at, revoked_at FROM api_tokens;

CREATE TABLE appeal_links_new (
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    related_appeal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    confirmed BOOLEAN,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (appeal_id, related_appeal_id)
);
INSERT INTO appeal_links_new (organization_id, appeal_id, related_appeal_id, kind, confirmed, created_at) SELECT organization_id, appeal_id, related_appeal_id, kind, confirmed, created_at FROM appeal_links;

CREATE TABLE applicants_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    is_organization BOOLEAN NOT NULL,
    full_name TEXT NOT NULL,
    postal_address TEXT,
    email TEXT,
    phone TEXT,
    epgu_id TEXT,
    name_key TEXT NOT NULL,
    address_key TEXT,
    email_key TEXT,
    PRIMARY KEY (id)
);
INSERT INTO applicants_new (id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, phone, epgu_id, name_key, address_key, email_key) SELECT id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, phone, epgu_id, name_key, address_key, email_key FROM applicants;

CREATE TABLE assignments_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    responsible BOOLEAN NOT NULL,
    instruction TEXT,
    active BOOLEAN NOT NULL,
    assigned_by TEXT,
    assigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES users_new(id),
    FOREIGN KEY (assigned_by) REFERENCES users_new(id)
);
INSERT INTO assignments_new (id, organization_id, appeal_id, user_id, responsible, instruction, active, assigned_by, assigned_at) SELECT id, organization_id, appeal_id, user_id, responsible, instruction, active, assigned_by, assigned_at FROM assignments;

CREATE TABLE bodies_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    name TEXT NOT NULL,
    inn TEXT,
    ogrn TEXT,
    sstu_department_id TEXT,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id)
);
INSERT INTO bodies_new (id, organization_id, name, inn, ogrn, sstu_department_id, search_text, created_at) SELECT id, organization_id, name, inn, ogrn, sstu_department_id, search_text, created_at FROM bodies;

CREATE TABLE campaigns_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    title TEXT NOT NULL,
    section TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    member_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id)
);
INSERT INTO campaigns_new (id, organization_id, title, section, created_at, updated_at, member_count) SELECT id, organization_id, title, section, created_at, updated_at, member_count FROM campaigns;

CREATE TABLE campaign_members_new (
    appeal_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (appeal_id),
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id),
    FOREIGN KEY (campaign_id) REFERENCES campaigns_new(id)
);
INSERT INTO campaign_members_new (appeal_id, organization_id, campaign_id, registered_at, joined_at) SELECT appeal_id, organization_id, campaign_id, registered_at, joined_at FROM campaign_members;

CREATE TABLE campaign_signatures_new (
    appeal_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    left_out BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (appeal_id),
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id)
);
INSERT INTO campaign_signatures_new (appeal_id, organization_id, signature, left_out) SELECT appeal_id, organization_id, signature, left_out FROM campaign_signatures;

CREATE TABLE contributions_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id) ON DELETE CASCADE,
    FOREIGN KEY (author_id) REFERENCES users_new(id)
);
INSERT INTO contributions_new (id, organization_id, appeal_id, author_id, text, created_at) SELECT id, organization_id, appeal_id, author_id, text, created_at FROM contributions;

CREATE TABLE export_log_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    target TEXT NOT NULL,
    period TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT,
    items INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (created_by) REFERENCES users_new(id)
);
INSERT INTO export_log_new (id, organization_id, target, period, created_at, created_by, items, payload) SELECT id, organization_id, target, period, created_at, created_by, items, payload FROM export_log;

-- backend-specific: begin
-- SQLite generates ids only for an INTEGER PRIMARY KEY, the history's key there.
CREATE TABLE history_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    details TEXT NOT NULL,
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id) ON DELETE CASCADE,
    FOREIGN KEY (actor_id) REFERENCES users_new(id)
);
-- backend-specific: end
INSERT INTO history_new (id, organization_id, appeal_id, at, actor_id, action, details) SELECT id, organization_id, appeal_id, at, actor_id, action, details FROM history;

CREATE TABLE notifications_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_for TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    claimed_by TEXT,
    message_id TEXT,
    skip_reason TEXT,
    params TEXT,
    PRIMARY KEY (id)
);
INSERT INTO notifications_new (id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, sent_at, attempts, last_error, created_at, claimed_until, claimed_by, message_id, skip_reason, params) SELECT id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, sent_at, attempts, last_error, created_at, claimed_until, claimed_by, message_id, skip_reason, params FROM notifications;

CREATE TABLE receptions_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    official TEXT NOT NULL,
    official_role TEXT NOT NULL,
    held_on DATE NOT NULL,
    starts_at TEXT NOT NULL,
    place TEXT NOT NULL,
    remote BOOLEAN NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (created_by) REFERENCES users_new(id)
);
INSERT INTO receptions_new (id, organization_id, official, official_role, held_on, starts_at, place, remote, created_by, created_at) SELECT id, organization_id, official, official_role, held_on, starts_at, place, remote, created_by, created_at FROM receptions;

CREATE TABLE questions_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    appeal_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    section TEXT NOT NULL,
    text TEXT,
    result TEXT,
    actions_taken BOOLEAN NOT NULL DEFAULT FALSE,
    result_on DATE,
    executor_id TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY (code) REFERENCES classifier(code),
    FOREIGN KEY (executor_id) REFERENCES users_new(id)
);
INSERT INTO questions_new (id, organization_id, appeal_id, position, code, section, text, result, actions_taken, result_on, executor_id) SELECT id, organization_id, appeal_id, position, code, section, text, result, actions_taken, result_on, executor_id FROM questions;

CREATE TABLE reception_visitors_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    reception_id TEXT NOT NULL,
    full_name TEXT NOT NULL,
    contact TEXT,
    booked_at TIMESTAMP NOT NULL,
    appeal_id TEXT,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (reception_id) REFERENCES receptions_new(id) ON DELETE CASCADE,
    FOREIGN KEY (appeal_id) REFERENCES appeals_new(id)
);
INSERT INTO reception_visitors_new (id, organization_id, reception_id, full_name, contact, booked_at, appeal_id) SELECT id, organization_id, reception_id, full_name, contact, booked_at, appeal_id FROM reception_visitors;

CREATE TABLE user_passwords_new (
    user_id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id),
    FOREIGN KEY (user_id) REFERENCES users_new(id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id)
);
INSERT INTO user_passwords_new (user_id, organization_id, password_hash, updated_at) SELECT user_id, organization_id, password_hash, updated_at FROM user_passwords;

CREATE TABLE visitor_reads_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (visitor_id) REFERENCES reception_visitors_new(id),
    FOREIGN KEY (user_id) REFERENCES users_new(id)
);
INSERT INTO visitor_reads_new (id, organization_id, visitor_id, user_id, read_at) SELECT id, organization_id, visitor_id, user_id, read_at FROM visitor_reads;

CREATE TABLE web_drafts_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (user_id) REFERENCES users_new(id)
);
INSERT INTO web_drafts_new (id, organization_id, user_id, path, body, created_at, expires_at) SELECT id, organization_id, user_id, path, body, created_at, expires_at FROM web_drafts;

CREATE TABLE web_form_tokens_new (
    token_hash TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    appeal_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_hash),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (user_id) REFERENCES users_new(id)
);
INSERT INTO web_form_tokens_new (token_hash, organization_id, user_id, appeal_id, created_at) SELECT token_hash, organization_id, user_id, appeal_id, created_at FROM web_form_tokens;

CREATE TABLE web_sessions_new (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE (token_hash),
    FOREIGN KEY (organization_id) REFERENCES organizations(id),
    FOREIGN KEY (user_id) REFERENCES users_new(id)
);
INSERT INTO web_sessions_new (id, organization_id, user_id, token_hash, csrf_token, created_at, expires_at, ended_at) SELECT id, organization_id, user_id, token_hash, csrf_token, created_at, expires_at, ended_at FROM web_sessions;

-- backend-specific: begin
CREATE TABLE appeal_search_rows_new (
    id INTEGER PRIMARY KEY,
    appeal_id TEXT NOT NULL UNIQUE REFERENCES appeals_new(id)
);
INSERT INTO appeal_search_rows_new (id, appeal_id) SELECT id, appeal_id FROM appeal_search_rows;
DROP TABLE appeal_search_rows;
-- backend-specific: end
DROP TABLE web_sessions;
DROP TABLE web_form_tokens;
DROP TABLE web_drafts;
DROP TABLE visitor_reads;
DROP TABLE user_passwords;
DROP TABLE reception_visitors;
DROP TABLE questions;
DROP TABLE receptions;
DROP TABLE notifications;
DROP TABLE history;
DROP TABLE export_log;
DROP TABLE contributions;
DROP TABLE campaign_signatures;
DROP TABLE campaign_members;
DROP TABLE campaigns;
DROP TABLE bodies;
DROP TABLE assignments;
DROP TABLE applicants;
DROP TABLE appeal_links;
DROP TABLE api_tokens;
DROP TABLE answer_file_versions;
DROP TABLE answers;
DROP TABLE appeals;
DROP TABLE users;
DROP TABLE departments;
ALTER TABLE departments_new RENAME TO departments;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE appeals_new RENAME TO appeals;
ALTER TABLE answers_new RENAME TO answers;
ALTER TABLE answer_file_versions_new RENAME TO answer_file_versions;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
ALTER TABLE appeal_links_new RENAME TO appeal_links;
ALTER TABLE applicants_new RENAME TO applicants;
ALTER TABLE assignments_new RENAME TO assignments;
ALTER TABLE bodies_new RENAME TO bodies;
ALTER TABLE campaigns_new RENAME TO campaigns;
ALTER TABLE campaign_members_new RENAME TO campaign_members;
ALTER TABLE campaign_signatures_new RENAME TO campaign_signatures;
ALTER TABLE contributions_new RENAME TO contributions;
ALTER TABLE export_log_new RENAME TO export_log;
ALTER TABLE history_new RENAME TO history;
ALTER TABLE notifications_new RENAME TO notifications;
ALTER TABLE receptions_new RENAME TO receptions;
ALTER TABLE questions_new RENAME TO questions;
ALTER TABLE reception_visitors_new RENAME TO reception_visitors;
ALTER TABLE user_passwords_new RENAME TO user_passwords;
ALTER TABLE visitor_reads_new RENAME TO visitor_reads;
ALTER TABLE web_drafts_new RENAME TO web_drafts;
ALTER TABLE web_form_tokens_new RENAME TO web_form_tokens;
ALTER TABLE web_sessions_new RENAME TO web_sessions;
-- backend-specific: begin
ALTER TABLE appeal_search_rows_new RENAME TO appeal_search_rows;
-- backend-specific: end

CREATE INDEX users_department ON users (department_id);
CREATE UNIQUE INDEX users_login_instance ON users (login);
CREATE UNIQUE INDEX appeals_external_id ON appeals (organization_id, channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX appeals_org_registered ON appeals (organization_id, registered_at DESC, id DESC);
CREATE INDEX appeals_org_status_due ON appeals (organization_id, status, due_date);
CREATE INDEX appeals_org_channel ON appeals (organization_id, channel, registered_at);
CREATE INDEX appeals_open_deadline ON appeals (organization_id, COALESCE(control_date, due_date)) WHERE status IN ('registered', 'in_work', 'answer_review');
CREATE UNIQUE INDEX appeals_forward_number ON appeals (organization_id, forward_number) WHERE forward_number IS NOT NULL;
CREATE INDEX appeals_org_sent_on ON appeals (organization_id, answer_sent_on) WHERE answer_sent_on IS NOT NULL;
CREATE INDEX appeals_org_forwarded ON appeals (organization_id, forwarded_at) WHERE forwarded_at IS NOT NULL;
CREATE INDEX appeals_org_on_control ON appeals (organization_id, put_on_control_at) WHERE put_on_control_at IS NOT NULL;
CREATE INDEX appeals_org_closed_on ON appeals (organization_id, closed_on) WHERE closed_on IS NOT NULL;
CREATE INDEX appeals_legacy_number ON appeals (organization_id, legacy_number) WHERE legacy_number IS NOT NULL;
CREATE INDEX appeals_forwarded_to_appeal ON appeals (forwarded_to_appeal_id) WHERE forwarded_to_appeal_id IS NOT NULL;
CREATE INDEX appeals_source_appeal ON appeals (source_appeal_id) WHERE source_appeal_id IS NOT NULL;
CREATE INDEX appeals_received_within ON appeals (registered_at) WHERE source_appeal_id IS NOT NULL;
CREATE INDEX answers_appeal ON answers (appeal_id, created_at);
CREATE UNIQUE INDEX answers_outgoing_number ON answers (organization_id, outgoing_number) WHERE outgoing_number IS NOT NULL;
CREATE UNIQUE INDEX answer_file_versions_answer ON answer_file_versions (organization_id, answer_id, version);
CREATE INDEX answer_file_versions_appeal ON answer_file_versions (appeal_id);
CREATE INDEX answer_file_versions_unhashed ON answer_file_versions (id) WHERE sha256 = '';
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX appeal_links_related ON appeal_links (related_appeal_id);
CREATE INDEX applicants_appeal ON applicants (appeal_id);
CREATE INDEX assignments_appeal ON assignments (appeal_id);
CREATE INDEX assignments_user_active ON assignments (user_id, active);
CREATE UNIQUE INDEX bodies_org_name ON bodies (organization_id, name);
CREATE INDEX campaigns_org_created ON campaigns (organization_id, created_at DESC, id DESC);
CREATE INDEX campaign_members_campaign ON campaign_members (organization_id, campaign_id, registered_at);
CREATE INDEX campaign_members_registered ON campaign_members (organization_id, registered_at);
CREATE INDEX contributions_appeal ON contributions (appeal_id, created_at);
CREATE INDEX export_log_period ON export_log (organization_id, target, period);
CREATE INDEX history_appeal ON history (appeal_id, id);
CREATE INDEX notifications_pending ON notifications (status, scheduled_for);
CREATE UNIQUE INDEX notifications_org_dedup ON notifications (organization_id, dedup_key);
CREATE INDEX notifications_appeal ON notifications (appeal_id, status);
CREATE INDEX notifications_org_created ON notifications (organization_id, created_at);
CREATE INDEX notifications_org_recipient ON notifications (organization_id, recipient);
CREATE INDEX receptions_org_held ON receptions (organization_id, held_on);
CREATE INDEX questions_appeal ON questions (appeal_id);
CREATE INDEX questions_org_code ON questions (organization_id, code);
CREATE INDEX questions_org_section ON questions (organization_id, section);
CREATE INDEX reception_visitors_reception ON reception_visitors (reception_id);
CREATE INDEX visitor_reads_visitor ON visitor_reads (organization_id, visitor_id, read_at);
CREATE INDEX web_drafts_expires ON web_drafts (expires_at);
CREATE INDEX web_form_tokens_created ON web_form_tokens (created_at);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
-- backend-specific: begin
CREATE TRIGGER appeal_search_insert AFTER INSERT ON appeals BEGIN
    INSERT INTO appeal_search_rows (appeal_id) VALUES (new.id);
    INSERT INTO appeal_search (rowid, search_text) VALUES ((SELECT id FROM appeal_search_rows WHERE appeal_id = new.id), new.search_text);
END;
CREATE TRIGGER appeal_search_update AFTER UPDATE OF search_text ON appeals WHEN new.search_text IS NOT old.search_text BEGIN
    DELETE FROM appeal_search WHERE rowid = (SELECT id FROM appeal_search_rows WHERE appeal_id = old.id);
    INSERT INTO appeal_search (rowid, search_text) VALUES ((SELECT id FROM appeal_search_rows WHERE appeal_id = new.id), new.search_text);
END;
CREATE TRIGGER appeal_search_delete BEFORE DELETE ON appeals BEGIN
    DELETE FROM appeal_search WHERE rowid = (SELECT id FROM appeal_search_rows WHERE appeal_id = old.id);
    DELETE FROM appeal_search_rows WHERE appeal_id = old.id;
END;
-- backend-specific: end

DROP TABLE logins;
-- backend-specific: begin
-- SQLite: `stats_deltas` kept its key.
-- backend-specific: end
