DROP INDEX appeals_org_closed_on;
DROP INDEX appeals_org_on_control;
ALTER TABLE appeals DROP COLUMN with_applicant;
ALTER TABLE appeals DROP COLUMN by_commission;
ALTER TABLE appeals DROP COLUMN on_site_check;
ALTER TABLE appeals DROP COLUMN documents_requested;
ALTER TABLE appeals DROP COLUMN closed_on;
ALTER TABLE appeals DROP COLUMN answer_sent_on;
ALTER TABLE appeals DROP COLUMN answered_on;
