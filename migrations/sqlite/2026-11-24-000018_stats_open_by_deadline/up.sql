-- "Overdue now" from the rollup alone (issues 11 and 13): open appeals are counted by their
-- deadline day instead of its month, so no read counts this month's deadlines live. Every
-- rollup is built again from the appeals (in the background at the next start, or
-- `appeals stats rebuild`); until then statistics are counted by the scan.
DELETE FROM stats_rollup_state;
-- backend-specific: begin
-- SQLite has no fillfactor: its rollup rows are written in key order by the compaction.
-- backend-specific: end
