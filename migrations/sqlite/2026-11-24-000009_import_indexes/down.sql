CREATE INDEX applicants_name_key ON applicants (organization_id, name_key);
