-- 亲清帮办: what the application role may do. Run as the superuser (or as qinqing_owner) in the
-- application's database, after the first `manage.py migrate` and again after EVERY migrate:
--
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -d qinqing -f deploy/postgresql/grants.sql
--
-- The result: qinqing_app may SELECT, INSERT, UPDATE and DELETE rows of every table and use every
-- sequence, except the audit log (qinqing_auditentry), where it may only SELECT and INSERT. It may
-- not create, alter, drop or truncate anything. The trigger of migration
-- qinqing/0002_roles_and_audit_guard refuses UPDATE and DELETE on the audit log for every role; the
-- missing privileges add a second wall, and TRUNCATE (which the trigger cannot stop) is refused too.
-- Idempotent. Same psql variables as roles.sql.

\if :{?owner_role}
\else
  \set owner_role qinqing_owner
\endif
\if :{?app_role}
\else
  \set app_role qinqing_app
\endif

\set ON_ERROR_STOP on
BEGIN;

-- The schema: only the owner creates objects in it (PostgreSQL 15 already removed CREATE from PUBLIC).
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"owner_role";
GRANT USAGE ON SCHEMA public TO :"app_role";

-- Tables and sequences that exist now.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
-- USAGE: nextval() for new ids; SELECT: pg_dump (manage.py backup, run as the application role)
-- reads each sequence's position.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";

-- Tables and sequences that later migrations create (they run as the owner role).
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";

-- The audit log: read and append only. Run after every migrate, because a migration that rebuilds the
-- table (or, city-wide, adds a monthly partition) receives the default privileges above.
REVOKE ALL ON TABLE qinqing_auditentry FROM :"app_role";
GRANT SELECT, INSERT ON TABLE qinqing_auditentry TO :"app_role";

COMMIT;

-- What the application role may do now, for the record: qinqing_auditentry shows "ar" (INSERT,
-- SELECT) for the application role; every other table "arwd".
\dp qinqing_auditentry
