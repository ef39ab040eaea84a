DROP INDEX stats_rollup_month_org_figure_day;
DROP TABLE stats_rollup_year;
DELETE FROM stats_rollup_state;
