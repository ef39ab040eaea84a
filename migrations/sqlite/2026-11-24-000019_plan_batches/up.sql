-- The planner's day's work per executor (issue 10): the day's first pass writes one row per
-- executor who has an open appeal at a reminder step (and one, executor '', for appeals without
-- a responsible executor, whose escalations still reach the supervisors). The dispatcher expands
-- a row into that executor's per-appeal reminders, escalations and digest in one transaction and
-- deletes it; a row of an earlier day is dropped unexpanded (a missed day is not sent late).
CREATE TABLE plan_batches (
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    day DATE NOT NULL,
    executor_id TEXT NOT NULL,
    planned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, day, executor_id)
);
