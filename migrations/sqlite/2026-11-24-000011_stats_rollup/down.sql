DROP TABLE stats_rollup_state;
DROP TABLE stats_rollup_month;
DROP TABLE stats_rollup;
DROP TABLE stats_deltas;
