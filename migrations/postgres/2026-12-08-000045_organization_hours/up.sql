-- Each organization of the instance has its own working hours over the config file's
-- `[reminders] work_start` / `work_end` (NULL = the config file's value): staff reminders reach
-- a body's people only inside its own working day, counted in its own time zone.
ALTER TABLE organizations ADD COLUMN work_start TEXT;
ALTER TABLE organizations ADD COLUMN work_end TEXT;
