-- Statistics rollups (issue 11). Every write transaction that changes a counted figure appends
-- small signed rows (organization, local day, figure, dimension, +n/-n) to stats_deltas; a
-- compaction folds them into stats_rollup, one row per (organization, day, figure, dimension).
-- Writers only ever insert deltas, so concurrent registrations share no row.
CREATE TABLE stats_deltas (
    id BIGSERIAL PRIMARY KEY,
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
-- The same by month (day = the month's first day): a period's whole months are read here, only
-- its partial months' days from stats_rollup.
CREATE TABLE stats_rollup_month (
    organization_id TEXT NOT NULL,
    day DATE NOT NULL,
    figure TEXT NOT NULL,
    dim TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, day, figure, dim)
);
-- The cumulative control figures ("in work at the period's end") read one figure from the start.
CREATE INDEX stats_rollup_org_figure_day ON stats_rollup (organization_id, figure, day);
-- Organizations whose rollup has been built from their appeals (the first read builds it).
CREATE TABLE stats_rollup_state (
    organization_id TEXT PRIMARY KEY,
    built_at TIMESTAMP NOT NULL
);
