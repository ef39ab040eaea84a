-- Text search of the registry (issue 13): `q` is a contains-match over appeals.search_text,
-- which no B-tree serves. Each backend indexes trigrams its own way, so this migration is
-- backend-specific (tests/api/contract.rs compares everything outside the marked block).
-- SQLite: an FTS5 table with the `trigram` tokenizer finds the rows containing a text of three
-- or more characters; the store rechecks each candidate with the LIKE. The FTS rows are keyed
-- by `appeal_search_rows.id`, an INTEGER PRIMARY KEY that VACUUM keeps (appeals' own rowid
-- is implicit and VACUUM may renumber it). Contentless: the text lives in appeals only.
-- Triggers keep both in step with every insert, correction and delete of a card.
-- backend-specific: begin
CREATE TABLE appeal_search_rows (
    id INTEGER PRIMARY KEY,
    appeal_id TEXT NOT NULL UNIQUE REFERENCES appeals(id)
);
CREATE VIRTUAL TABLE appeal_search USING fts5(search_text, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1');
INSERT INTO appeal_search_rows (appeal_id) SELECT id FROM appeals ORDER BY registered_at, id;
INSERT INTO appeal_search (rowid, search_text) SELECT r.id, a.search_text FROM appeal_search_rows r JOIN appeals a ON a.id = r.appeal_id;
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
