-- Statistics filtered by channel, section, executor or department read the rollups too: every
-- rollup row belongs to a slice ('' for the whole body, 'ch:<channel>', 'sec:<section>',
-- 'ex:<user id>', 'dep:<department id>'), and the keys lead by (organization, slice, day), so a
-- filtered read touches only its slice's rows. The rollups are derived data: the tables are made
-- anew and every rollup is built again from the appeals (in the background at the next start, or
-- `appeals stats rebuild`); until then statistics are counted by the scan.
DROP TABLE stats_deltas;
DROP TABLE stats_rollup;
DROP TABLE stats_rollup_month;
DROP TABLE stats_rollup_year;
CREATE TABLE stats_deltas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL,
    slice TEXT NOT NULL DEFAULT '',
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL
);
CREATE INDEX stats_deltas_org_slice_day ON stats_deltas (organization_id, slice, day);
CREATE TABLE stats_rollup (
    organization_id TEXT NOT NULL,
    slice TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, slice, day, figure, dim)
);
CREATE TABLE stats_rollup_month (
    organization_id TEXT NOT NULL,
    slice TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, slice, day, figure, dim)
);
CREATE TABLE stats_rollup_year (
    organization_id TEXT NOT NULL,
    slice TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, slice, day, figure, dim)
);
-- The cumulative control figures ("in work at the period's end") read two figures from the
-- first day on record, per slice.
CREATE INDEX stats_rollup_org_slice_figure_day ON stats_rollup (organization_id, slice, figure, day);
CREATE INDEX stats_rollup_month_org_slice_figure_day ON stats_rollup_month (organization_id, slice, figure, day);
CREATE INDEX stats_rollup_year_org_slice_figure_day ON stats_rollup_year (organization_id, slice, figure, day);
-- backend-specific: begin
-- backend-specific: end
DELETE FROM stats_rollup_state;
