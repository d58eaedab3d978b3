-- 亲清帮办: the database and its two roles. Run ONCE per PostgreSQL cluster, as the superuser:
--
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -f deploy/postgresql/roles.sql
--   sudo -u postgres psql -c '\password qinqing_owner'
--   sudo -u postgres psql -c '\password qinqing_app'
--
-- qinqing_owner owns the database, the schema objects and the tables: migrations (`manage.py migrate`)
-- and restores (`manage.py restore`) connect as this role. qinqing_app is what the running
-- application (gunicorn, the background worker, the nightly backup) connects as: it owns nothing, so it
-- cannot ALTER, DROP or TRUNCATE a table, and on the audit table it may only read and append
-- (deploy/postgresql/grants.sql, run after every migrate).
--
-- Names can be changed with psql variables, e.g. -v owner_role=qq_owner -v app_role=qq_app -v db=qq.
-- Safe to run again: existing roles and the database are left as they are.

\if :{?owner_role}
\else
  \set owner_role qinqing_owner
\endif
\if :{?app_role}
\else
  \set app_role qinqing_app
\endif
\if :{?db}
\else
  \set db qinqing
\endif

SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', :'owner_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner_role') \gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', :'app_role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_role') \gexec

-- Django stores times in UTC and skips its per-connection SET TIME ZONE when the session already
-- uses UTC (one round trip less, and nothing session-level for pgbouncer to carry between clients).
ALTER ROLE :"owner_role" SET timezone TO 'UTC';
ALTER ROLE :"app_role" SET timezone TO 'UTC';
-- A safety net far above anything the application does (its slowest statements, in the full-ledger
-- export and the weekly summary, take seconds): a runaway query is cancelled. pg_dump sets its own
-- statement_timeout to 0. No idle_in_transaction_session_timeout: `manage.py backup` keeps the
-- transaction that exported the snapshot open, idle, for as long as pg_dump runs.
ALTER ROLE :"app_role" SET statement_timeout TO '300s';

-- UTF-8, with the cluster's locale (check with \l; zh_CN.UTF-8 sorts Chinese names by pinyin).
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'owner_role', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec

-- Only the owner and the application role may connect to the database.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app_role";
