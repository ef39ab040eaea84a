DROP INDEX appeals_org_sent_on;
DROP INDEX appeals_org_forwarded;
DROP INDEX appeals_org_on_control;
DROP INDEX appeals_org_closed_on;
CREATE INDEX appeals_org_sent_on ON appeals (organization_id, answer_sent_on);
CREATE INDEX appeals_org_forwarded ON appeals (organization_id, forwarded_at);
CREATE INDEX appeals_org_on_control ON appeals (organization_id, put_on_control_at);
CREATE INDEX appeals_org_closed_on ON appeals (organization_id, closed_on);
