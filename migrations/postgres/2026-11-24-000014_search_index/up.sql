-- Text search of the registry (issue 13): `q` is a contains-match over appeals.search_text,
-- which no B-tree serves. Each backend indexes trigrams its own way, so this migration is
-- backend-specific (tests/api/contract.rs compares everything outside the marked block).
-- PostgreSQL: pg_trgm's GIN index answers `search_text LIKE '%…%'` itself (candidates by
-- trigram, every one rechecked against the pattern). pg_trgm is trusted since PostgreSQL 13
-- and ships with Debian's postgresql-15. Cyrillic trigrams need a database whose LC_CTYPE is
-- not C (C.UTF-8, ru_RU.UTF-8); under C the results stay right but the index is not used.
-- backend-specific: begin
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX appeals_search_trgm ON appeals USING gin (search_text gin_trgm_ops);
-- backend-specific: end
