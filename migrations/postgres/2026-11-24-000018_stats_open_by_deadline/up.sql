-- "Overdue now" from the rollup alone (issues 11 and 13): open appeals are counted by their
-- deadline day instead of its month, so no read counts this month's deadlines live. Every
-- rollup is built again from the appeals (in the background at the next start, or
-- `appeals stats rebuild`); until then statistics are counted by the scan.
DELETE FROM stats_rollup_state;
-- backend-specific: begin
-- Room on each page for a rollup row's new version (HOT updates: the compaction adds to rows in
-- place), so the key-ordered rows a period reads stay on few pages (PostgreSQL only).
ALTER TABLE stats_rollup SET (fillfactor = 80);
ALTER TABLE stats_rollup_month SET (fillfactor = 80);
ALTER TABLE stats_rollup_year SET (fillfactor = 80);
-- backend-specific: end
