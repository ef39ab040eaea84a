-- backend-specific: begin
DROP TRIGGER appeal_search_delete;
DROP TRIGGER appeal_search_update;
DROP TRIGGER appeal_search_insert;
DROP TABLE appeal_search;
DROP TABLE appeal_search_rows;
-- backend-specific: end
