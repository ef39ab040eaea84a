-- backend-specific: begin
DROP INDEX appeals_search_trgm;
-- backend-specific: end
