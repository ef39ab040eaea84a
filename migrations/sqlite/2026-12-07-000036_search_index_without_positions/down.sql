-- backend-specific: begin
DROP TABLE appeal_search;
CREATE VIRTUAL TABLE appeal_search USING fts5(search_text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1');
INSERT INTO appeal_search (rowid, search_text) SELECT r.id, a.search_text FROM appeal_search_rows r JOIN appeals a ON a.id = r.appeal_id;
-- backend-specific: end
