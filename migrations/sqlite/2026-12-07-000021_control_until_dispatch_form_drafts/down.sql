DROP TABLE web_form_tokens;
DROP TABLE web_drafts;
ALTER TABLE answers DROP COLUMN close_on_dispatch;
