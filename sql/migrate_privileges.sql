--
-- plystra.migrate() runs the script as the caller, with the caller's
-- privileges and search_path: a migration gains nothing, and the caller
-- needs an explicit grant to migrate at all.
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
SELECT current_user AS dba \gset
CREATE ROLE plystra_regress_deployer LOGIN;
CREATE ROLE plystra_regress_deputy;
GRANT plystra_regress_deputy TO plystra_regress_deployer;
CREATE SCHEMA deploy AUTHORIZATION plystra_regress_deployer;

-- without a grant
\c - plystra_regress_deployer
SELECT plystra.migrate('deploy', '0001', 'CREATE TABLE deploy.t ()');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\c - :dba

-- the documented migrator role (a group role granted to deployers)
CREATE ROLE plystra_migrator NOLOGIN;
GRANT USAGE ON SCHEMA plystra TO plystra_migrator;
GRANT EXECUTE ON FUNCTION plystra.migrate(text, text, text, boolean),
	plystra.migration_status(text), plystra.migrate_verify() TO plystra_migrator;
GRANT plystra_migrator TO plystra_regress_deployer;

\c - plystra_regress_deployer
SET search_path = deploy;
SELECT plystra.migrate('deploy', '0001_init', $$
	CREATE TABLE accounts (id int PRIMARY KEY, owner name DEFAULT current_user);
	INSERT INTO accounts (id) VALUES (1);
	CREATE FUNCTION whoami() RETURNS name LANGUAGE sql AS $f$SELECT current_user$f$;
$$);
SELECT a.id, a.owner, whoami() FROM accounts a;
SELECT c.relname, c.relnamespace::regnamespace, pg_get_userbyid(c.relowner)
  FROM pg_class c WHERE c.relname = 'accounts';
SELECT component, name, applied_by FROM plystra.migration_status('deploy');

-- a migration's SET ROLE does not change who is recorded as applying it
SELECT plystra.migrate('deploy', '0001_z_setrole', 'SET ROLE plystra_regress_deputy');
RESET ROLE;
SELECT name, applied_by FROM plystra.migration_status('deploy') WHERE name = '0001_z_setrole';

-- a migration cannot reach what its role cannot
SELECT plystra.migrate('deploy', '0002_steal', 'CREATE TABLE loot AS SELECT * FROM plystra_data.users');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('deploy', '0002_steal', 'SET ROLE postgres');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('deploy', '0002_steal', 'SET SESSION AUTHORIZATION postgres');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- (the SQLSTATE only: PostgreSQL 16 and later word the error otherwise)
\set VERBOSITY sqlstate
SELECT plystra.migrate('deploy', '0002_steal', 'ALTER ROLE plystra_regress_deployer SUPERUSER');
\set VERBOSITY default
SELECT plystra.migrate('deploy', '0002_steal', 'CREATE TABLE loot AS SELECT * FROM plystra.users');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS recorded FROM plystra.migration_status('deploy') WHERE name LIKE '0002%';
SELECT plystra.migrate('deploy', '0003_forget', $$SELECT plystra.migration_forget('deploy', '0001_init', 'x')$$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- nor write history rows by hand
INSERT INTO plystra_data.schema_migrations VALUES ('deploy', '0009', 'sha256:' || repeat('0', 64), now(), current_user, '0', '1.1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO plystra.schema_migrations VALUES ('deploy', '0009', 'sha256:' || repeat('0', 64), now(), current_user, '0', '1.1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migration_forget('deploy', '0001_init', 'not mine to forget');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET search_path;
\c - :dba

-- the audit row of a migration names the role that applied it
SELECT event_type, target_id, actor_role FROM plystra.audit_logs
 WHERE target_id LIKE 'deploy/%' ORDER BY id;

DROP SCHEMA deploy CASCADE;
REVOKE ALL ON FUNCTION plystra.migrate(text, text, text, boolean),
	plystra.migration_status(text), plystra.migrate_verify() FROM plystra_migrator;
REVOKE ALL ON SCHEMA plystra FROM plystra_migrator;
DROP ROLE plystra_regress_deployer;
DROP ROLE plystra_regress_deputy;
DROP ROLE plystra_migrator;
