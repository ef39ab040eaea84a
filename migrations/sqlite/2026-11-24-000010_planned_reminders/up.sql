-- Planned staff reminders keep keys and parameters only (`params`, JSON): the dispatcher renders
-- the message from its template at send time. The planner reaches open appeals by their
-- deadline (the executor's internal control date where set, else the legal due date) through a
-- partial index, one range or equality probe per rule.
ALTER TABLE notifications ADD COLUMN params TEXT;
CREATE INDEX appeals_open_deadline ON appeals (organization_id, COALESCE(control_date, due_date)) WHERE status IN ('registered', 'in_work', 'answer_review');
