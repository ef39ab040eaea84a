-- Each organization of the instance has its own number templates over the config file's
-- defaults (NULL = the config file's value). Logins become unique in the whole instance: a
-- person signs in without naming their organization. The migration runner refuses, before this
-- file runs, a database where two organizations share a login, naming it.
-- backend-specific: begin
-- SQLite: the check of shared logins is in the migration runner (store::pool), before this file.
-- backend-specific: end
ALTER TABLE organizations ADD COLUMN reg_number_template TEXT;
ALTER TABLE organizations ADD COLUMN outgoing_number_template TEXT;
ALTER TABLE organizations ADD COLUMN forward_number_template TEXT;
CREATE UNIQUE INDEX users_login_instance ON users (login);
