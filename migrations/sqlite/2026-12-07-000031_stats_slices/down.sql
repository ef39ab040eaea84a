-- Back to the rollups without slices; the next start builds them again from the appeals.
DROP TABLE stats_deltas;
DROP TABLE stats_rollup;
DROP TABLE stats_rollup_month;
DROP TABLE stats_rollup_year;
CREATE TABLE stats_deltas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL
);
CREATE INDEX stats_deltas_org_day ON stats_deltas (organization_id, day);
CREATE TABLE stats_rollup (
    organization_id TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, day, figure, dim)
);
CREATE TABLE stats_rollup_month (
    organization_id TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, day, figure, dim)
);
CREATE TABLE stats_rollup_year (
    organization_id TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, day, figure, dim)
);
CREATE INDEX stats_rollup_org_figure_day ON stats_rollup (organization_id, figure, day);
CREATE INDEX stats_rollup_month_org_figure_day ON stats_rollup_month (organization_id, figure, day);
CREATE INDEX stats_rollup_year_org_figure_day ON stats_rollup_year (organization_id, figure, day);
DELETE FROM stats_rollup_state;
