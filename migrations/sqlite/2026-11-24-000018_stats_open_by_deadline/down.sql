-- The rollups are built again from the appeals, in the format of the code that runs.
DELETE FROM stats_rollup_state;
-- backend-specific: begin
-- SQLite has no fillfactor: its rollup rows are written in key order by the compaction.
-- backend-specific: end
