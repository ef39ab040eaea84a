-- Statistics rollups by year (issue 11): a calendar year is one bucket, and a period is read as
-- its whole years, months and days, adding or taking away (a year to date = the year less what
-- follows the period). Same shape as stats_rollup and stats_rollup_month.
CREATE TABLE stats_rollup_year (
    organization_id TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, day, figure, dim)
);
-- The cumulative control figures ("in work at the period's end") read two figures from the
-- first day on record; by month and year as by day.
CREATE INDEX stats_rollup_month_org_figure_day ON stats_rollup_month (organization_id, figure, day);
CREATE INDEX stats_rollup_year_org_figure_day ON stats_rollup_year (organization_id, figure, day);
-- The rollups now also count open appeals by deadline month ("overdue now"): every rollup is
-- built again from the appeals (in the background at the next start, or `appeals stats rebuild`).
DELETE FROM stats_rollup_state;
