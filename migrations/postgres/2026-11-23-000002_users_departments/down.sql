DROP INDEX users_department;
ALTER TABLE users DROP COLUMN department_id;
DROP TABLE departments;
