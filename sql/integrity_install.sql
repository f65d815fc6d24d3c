--
-- CREATE EXTENSION in a hostile database: a schema renamed to plystra, or
-- given away, or stripped of a grant, in the same transaction as the
-- install is inspected like any existing one; and default privileges of
-- the installing role give no other role anything on what the scripts
-- create.  What an older version's scripts gave that way is reported by
-- doctor after the update.
--
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_install;
\c plystra_regress_install
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE plystra_regress_bob;
CREATE ROLE plystra_regress_app;
RESET client_min_messages;

-- bob's schema, with what he planted, renamed and given away in the
-- transaction that installs
CREATE SCHEMA bobs AUTHORIZATION plystra_regress_bob;
SET ROLE plystra_regress_bob;
CREATE FUNCTION bobs.trusted() RETURNS boolean LANGUAGE sql AS $$SELECT true$$;
CREATE VIEW bobs.peek AS SELECT 1 AS x;
RESET ROLE;
BEGIN;
ALTER SCHEMA bobs RENAME TO plystra;
ALTER SCHEMA plystra OWNER TO CURRENT_USER;
CREATE EXTENSION plystra;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
-- a schema in which bob could create objects, the grant revoked just before
CREATE SCHEMA plystra;
GRANT CREATE, USAGE ON SCHEMA plystra TO plystra_regress_bob;
SET ROLE plystra_regress_bob;
CREATE FUNCTION plystra.checksum_of(script text) RETURNS text
	LANGUAGE sql AS $$SELECT 'sha256:trusted'$$;
RESET ROLE;
BEGIN;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_bob;
CREATE EXTENSION plystra;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT count(*) AS installed FROM pg_extension WHERE extname = 'plystra';
DROP SCHEMA plystra CASCADE;
DROP SCHEMA bobs CASCADE;

-- default privileges that let another role create objects in every new
-- schema would do so in the one CREATE EXTENSION makes
ALTER DEFAULT PRIVILEGES GRANT CREATE ON SCHEMAS TO plystra_regress_bob;
CREATE EXTENSION plystra;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER DEFAULT PRIVILEGES REVOKE CREATE ON SCHEMAS FROM plystra_regress_bob;
DROP SCHEMA IF EXISTS plystra;

-- default privileges of the installing role apply to nothing the
-- scripts create
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO plystra_regress_app;
ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO plystra_regress_app;
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO plystra_regress_app;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
SELECT has_function_privilege('plystra_regress_app', 'plystra.password_hash(bigint)', 'EXECUTE') AS password_hash,
	   has_function_privilege('plystra_regress_app', 'plystra.purge_deleted(regclass, interval)', 'EXECUTE') AS purge_deleted,
	   has_table_privilege('plystra_regress_app', 'plystra_data.users', 'SELECT') AS storage,
	   has_table_privilege('public', 'plystra_data.users', 'SELECT') AS storage_public,
	   has_table_privilege('plystra_regress_app', 'plystra.users', 'SELECT') AS interface,
	   has_sequence_privilege('plystra_regress_app', 'plystra_data.users_id_seq', 'USAGE') AS sequence;
-- (the owner of the interface views has its grants on the storage)
SELECT count(*) AS granted_objects
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace IN ('plystra'::regnamespace, 'plystra_data'::regnamespace)
   AND a.grantee <> c.relowner AND a.grantee <> 'plystra_interface'::regrole;
SELECT "check", status FROM plystra.doctor()
 WHERE "check" IN ('storage privileges', 'function privileges', 'drift_check');
-- grants a DBA makes afterwards are the DBA's
GRANT EXECUTE ON FUNCTION plystra.password_hash(bigint) TO plystra_regress_app;
SELECT "check", status, detail FROM plystra.doctor() WHERE "check" = 'function privileges';
REVOKE EXECUTE ON FUNCTION plystra.password_hash(bigint) FROM plystra_regress_app;
-- a member of pg_read_all_data reads the storage without a grant on it
GRANT pg_read_all_data TO plystra_regress_app;
SELECT "check", status, detail FROM plystra.doctor() WHERE "check" = 'storage privileges';
REVOKE pg_read_all_data FROM plystra_regress_app;
SET plystra.allow_drop_data = on;
DROP EXTENSION plystra;
DROP SCHEMA plystra;

-- 1.1's scripts let the default privileges through; the update to 1.2
-- cannot tell them from a DBA's grants, and doctor reports them
SET client_min_messages = warning;
CREATE EXTENSION plystra VERSION '1.1';
ALTER EXTENSION plystra UPDATE;
RESET client_min_messages;
SELECT "check", status, detail FROM plystra.doctor()
 WHERE "check" IN ('storage privileges', 'function privileges');
DROP EXTENSION plystra;
DROP SCHEMA plystra;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM plystra_regress_app, PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON SEQUENCES FROM plystra_regress_app;
ALTER DEFAULT PRIVILEGES REVOKE ALL ON FUNCTIONS FROM plystra_regress_app;

-- code planted to run during ALTER EXTENSION UPDATE gets nothing past the
-- guards: an event trigger that deletes the audit log while the update's
-- migrations run stops the update, and the rows stay
SET client_min_messages = warning;
CREATE EXTENSION plystra VERSION '1.0';
RESET client_min_messages;
INSERT INTO plystra.audit_logs (event_type) VALUES ('user.locked'), ('user.locked');
CREATE FUNCTION public.wipe() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM plystra_data.audit_logs;
END $$;
CREATE EVENT TRIGGER aaa_wipe ON ddl_command_end EXECUTE FUNCTION public.wipe();
ALTER EXTENSION plystra UPDATE;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP EVENT TRIGGER aaa_wipe;
DROP FUNCTION public.wipe();
SELECT extversion, (SELECT count(*) FROM plystra_data.audit_logs) AS audit_rows
  FROM pg_extension WHERE extname = 'plystra';

-- drift that exists before an update stays drift after it: the update does
-- not make a change by hand the expected state
CREATE FUNCTION public.spy() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER spy BEFORE INSERT ON plystra_data.users FOR EACH ROW EXECUTE FUNCTION public.spy();
ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT 'anonymous';
SELECT object_type, object, drift FROM plystra.drift_check();
SET client_min_messages = warning;
ALTER EXTENSION plystra UPDATE;
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'plystra';
SELECT object_type, object, drift FROM plystra.drift_check();
DROP TRIGGER spy ON plystra_data.users;
ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT '';
SELECT count(*) AS drift FROM plystra.drift_check();
SET plystra.allow_drop_data = on;
DROP EXTENSION plystra;
DROP SCHEMA plystra;
DROP FUNCTION public.spy();

\c :regress_db
DROP DATABASE plystra_regress_install;
DROP ROLE plystra_regress_bob, plystra_regress_app;
