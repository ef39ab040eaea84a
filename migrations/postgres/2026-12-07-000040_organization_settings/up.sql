-- Each organization of the instance has its own number templates over the config file's
-- defaults (NULL = the config file's value). Logins become unique in the whole instance: a
-- person signs in without naming their organization. A database where two organizations share
-- a login is refused with the login named, before the index would fail with a bare key error.
-- backend-specific: begin
DO $$
DECLARE dup TEXT;
BEGIN
    SELECT login INTO dup FROM users GROUP BY login HAVING COUNT(DISTINCT organization_id) > 1 ORDER BY login LIMIT 1;
    IF dup IS NOT NULL THEN
        RAISE EXCEPTION 'логин «%» есть в двух организациях: логины должны быть уникальны в экземпляре — измените логин одного из пользователей и запустите снова', dup;
    END IF;
END $$;
-- backend-specific: end
ALTER TABLE organizations ADD COLUMN reg_number_template TEXT;
ALTER TABLE organizations ADD COLUMN outgoing_number_template TEXT;
ALTER TABLE organizations ADD COLUMN forward_number_template TEXT;
CREATE UNIQUE INDEX users_login_instance ON users (login);
