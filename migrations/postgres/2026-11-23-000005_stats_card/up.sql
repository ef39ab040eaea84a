-- What the reports count, kept on the card: local dates of answering, dispatch and removal
-- from control (so statistics need no per-backend time-zone SQL), and the consideration
-- flags (documents requested from another body, on-site check, by commission, with the
-- applicant present) set by the executor or a supervisor.
ALTER TABLE appeals ADD COLUMN answered_on DATE;
ALTER TABLE appeals ADD COLUMN answer_sent_on DATE;
ALTER TABLE appeals ADD COLUMN closed_on DATE;
ALTER TABLE appeals ADD COLUMN documents_requested BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appeals ADD COLUMN on_site_check BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appeals ADD COLUMN by_commission BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appeals ADD COLUMN with_applicant BOOLEAN NOT NULL DEFAULT FALSE;
-- Control figures of a period: put on control in it, removed from control in it.
CREATE INDEX appeals_org_on_control ON appeals (organization_id, put_on_control_at);
CREATE INDEX appeals_org_closed_on ON appeals (organization_id, closed_on);
