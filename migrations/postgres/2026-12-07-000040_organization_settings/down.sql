DROP INDEX users_login_instance;
ALTER TABLE organizations DROP COLUMN forward_number_template;
ALTER TABLE organizations DROP COLUMN outgoing_number_template;
ALTER TABLE organizations DROP COLUMN reg_number_template;
