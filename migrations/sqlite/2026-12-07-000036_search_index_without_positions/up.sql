-- The registry's text search index without token positions: `detail = none` keeps one list of
-- card rows per trigram, where `detail = full` also kept every trigram's positions in every
-- card. Each registration writes the index, so its cost is paid under the writer lock; the
-- search asks for rows holding every trigram of the query (an AND of terms, no phrase) and
-- rechecks each candidate with the LIKE, as before. The triggers of the earlier migration
-- write into the table by name and stay as they are.
-- backend-specific: begin
DROP TABLE appeal_search;
CREATE VIRTUAL TABLE appeal_search USING fts5(search_text, content = '', contentless_delete = 1, detail = none, tokenize = 'trigram case_sensitive 1');
INSERT INTO appeal_search (rowid, search_text) SELECT r.id, a.search_text FROM appeal_search_rows r JOIN appeals a ON a.id = r.appeal_id;
-- backend-specific: end
