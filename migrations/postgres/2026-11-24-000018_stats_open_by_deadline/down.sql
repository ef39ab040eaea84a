-- The rollups are built again from the appeals, in the format of the code that runs.
DELETE FROM stats_rollup_state;
-- backend-specific: begin
ALTER TABLE stats_rollup RESET (fillfactor);
ALTER TABLE stats_rollup_month RESET (fillfactor);
ALTER TABLE stats_rollup_year RESET (fillfactor);
-- backend-specific: end
