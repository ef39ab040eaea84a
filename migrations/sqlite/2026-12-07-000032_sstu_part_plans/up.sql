-- The ZIP parts of a month's full ССТУ.РФ export, planned once: how many parts and the appeal
-- each part starts with, valid while the month's data has the same fingerprint (the month's
-- appeals and their versions, the directory's GUIDs, the [sstu] settings). Fetching parts
-- 1…N then builds each part's objects only, instead of the whole month per part; any change
-- of the fingerprint plans again (and checks the connector's rules again).
CREATE TABLE sstu_part_plans (
    organization_id TEXT NOT NULL,
    period TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    parts INTEGER NOT NULL,
    starts TEXT NOT NULL,
    planned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, period)
);
