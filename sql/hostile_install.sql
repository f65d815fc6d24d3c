--
-- CREATE EXTENSION plystra in a hostile database.  It refuses a schema
-- plystra that somebody else controls (objects planted in it, a
-- non-superuser owner, CREATE granted to others) and any existing
-- plystra_data, changing nothing.  It takes over an empty schema plystra
-- owned by a superuser, which is what pg_dump's restore and DROP EXTENSION
-- leave.  Objects planted on the search path do not capture its scripts.
--
-- errors raised inside extension scripts carry CONTEXT lines from
-- PostgreSQL 18 on; what is asserted here is the error itself
\set SHOW_CONTEXT never
CREATE ROLE plystra_regress_mallory;

-- an existing role plystra_interface (which owns the interface views)
-- that somebody can act as, or that can log in, is refused
SET client_min_messages = warning;
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'plystra_interface') THEN
		CREATE ROLE plystra_interface;
	END IF;
END
$$;
RESET client_min_messages;
GRANT plystra_interface TO plystra_regress_mallory;
CREATE EXTENSION plystra;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
REVOKE plystra_interface FROM plystra_regress_mallory;
ALTER ROLE plystra_interface LOGIN;
CREATE EXTENSION plystra;
ALTER ROLE plystra_interface NOLOGIN;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'plystra';

-- a planted schema plystra with a function the extension would define
CREATE SCHEMA plystra;
CREATE FUNCTION plystra.migration_checksum(script text) RETURNS text
	LANGUAGE sql AS $$SELECT 'planted'$$;
CREATE EXTENSION plystra;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE EXTENSION plystra VERSION '1.0';
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'plystra';
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plystra%' ORDER BY 1;
SELECT plystra.migration_checksum('x');
DROP SCHEMA plystra CASCADE;

-- an empty schema owned by a role that is not a superuser
CREATE SCHEMA plystra AUTHORIZATION plystra_regress_mallory;
CREATE EXTENSION plystra;
DROP SCHEMA plystra;

-- an empty schema of a superuser in which others may create objects
CREATE SCHEMA plystra;
GRANT CREATE ON SCHEMA plystra TO PUBLIC;
CREATE EXTENSION plystra;
REVOKE CREATE ON SCHEMA plystra FROM PUBLIC;
GRANT CREATE ON SCHEMA plystra TO plystra_regress_mallory;
CREATE EXTENSION plystra;
DROP SCHEMA plystra;

-- a planted schema plystra_data
CREATE SCHEMA plystra_data;
CREATE TABLE plystra_data.users (id bigint);
CREATE EXTENSION plystra;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'plystra';
-- nothing changed: the schema CREATE EXTENSION made is gone with it
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plystra%' ORDER BY 1;
SELECT count(*) AS planted_rows FROM plystra_data.users;
DROP SCHEMA plystra_data CASCADE;

-- an empty schema of a superuser, usable by others, is taken over: this is
-- what a restore of pg_dump's output creates before CREATE EXTENSION
CREATE SCHEMA plystra;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_mallory;
CREATE EXTENSION plystra;
SELECT extversion FROM pg_extension WHERE extname = 'plystra';
-- DROP EXTENSION leaves the schema; creating the extension again works
DROP EXTENSION plystra;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plystra%' ORDER BY 1;
CREATE EXTENSION plystra;
DROP EXTENSION plystra;
REVOKE USAGE ON SCHEMA plystra FROM plystra_regress_mallory;
DROP SCHEMA plystra;

-- temporary relations named like the extension's tables (pg_temp comes
-- first in the search path for relations, also during extension scripts),
-- functions on the search path, and a search_path that puts a writable
-- schema first
CREATE SCHEMA trap;
CREATE TABLE trap.schema_migrations (component text, name text, checksum text,
	applied_at timestamptz, applied_by name, execution_time interval,
	extension_version text);
CREATE TEMP TABLE schema_migrations (LIKE trap.schema_migrations);
CREATE TEMP TABLE users (id bigint);
CREATE TEMP TABLE audit_logs (id bigint);
CREATE FUNCTION trap.now() RETURNS timestamptz LANGUAGE sql
	AS $$SELECT '2000-01-01'::timestamptz$$;
CREATE FUNCTION trap.setval(regclass, bigint, boolean) RETURNS bigint
	LANGUAGE sql AS $$SELECT -1::bigint$$;
SET search_path = trap, public;
CREATE EXTENSION plystra VERSION '1.0';
ALTER EXTENSION plystra UPDATE;
RESET search_path;
SELECT count(*) AS captured FROM trap.schema_migrations;
SELECT count(*) AS captured FROM pg_temp.schema_migrations;
SELECT count(*) AS captured FROM pg_temp.users;
SELECT count(*) AS history FROM plystra.schema_migrations;
SELECT pg_get_expr(adbin, adrelid) AS created_at_default
  FROM pg_attrdef
 WHERE adrelid = 'plystra_data.users'::regclass
   AND adnum = (SELECT attnum FROM pg_attribute
				 WHERE attrelid = 'plystra_data.users'::regclass
				   AND attname = 'created_at');
SELECT last_value, is_called FROM plystra_data.roles_id_seq;
-- every object of the extension is in one of its two schemas
SELECT DISTINCT n.nspname
  FROM pg_depend d
  JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'plystra')
 ORDER BY 1;
DROP SCHEMA trap CASCADE;
DROP TABLE pg_temp.schema_migrations, pg_temp.users, pg_temp.audit_logs;

-- the extension's internal functions work only inside its own scripts
SELECT plystra._check_install();
SELECT plystra._migrate_builtin('016_anything', 'CREATE TABLE public.x ()');
SELECT plystra._replace_view('plystra.users', 'SELECT 1');

DROP EXTENSION plystra;
DROP SCHEMA plystra;
DROP ROLE plystra_regress_mallory;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plystra%' ORDER BY 1;
