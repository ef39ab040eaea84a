-- The registry's text search index without token positions: `detail = none` keeps one list of
-- card rows per trigram, where `detail = full` also kept every trigram's positions in every
-- card. Each registration writes the index, so its cost is paid under the writer lock; the
-- search asks for rows holding every trigram of the query (an AND of terms, no phrase) and
-- rechecks each candidate with the LIKE, as before. The triggers of the earlier migration
-- write into the table by name and stay as they are.
-- backend-specific: begin
-- PostgreSQL: nothing to change; pg_trgm's GIN index keeps no positions.
SELECT 1;
-- backend-specific: end
