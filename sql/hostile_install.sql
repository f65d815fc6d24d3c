--
-- CREATE EXTENSION plystra in a hostile database: it refuses schemas that
-- existed before, changes nothing when it refuses, and objects planted on
-- the search path do not capture its scripts.
--
\set VERBOSITY default

-- a planted schema plystra with a function the extension would define
CREATE SCHEMA plystra;
CREATE FUNCTION plystra.migration_checksum(script text) RETURNS text
	LANGUAGE sql AS $$SELECT 'planted'$$;
CREATE EXTENSION plystra;
CREATE EXTENSION plystra VERSION '1.0';
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'plystra';
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plystra%' ORDER BY 1;
SELECT plystra.migration_checksum('x');
DROP SCHEMA plystra CASCADE;

-- an empty schema plystra, e.g. left over from a dropped plystra
CREATE SCHEMA plystra;
CREATE EXTENSION plystra;
DROP SCHEMA plystra;

-- a planted schema plystra_data
CREATE SCHEMA plystra_data;
CREATE TABLE plystra_data.users (id bigint);
CREATE EXTENSION plystra;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'plystra';
-- nothing changed: the schema CREATE EXTENSION made is gone with it
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plystra%' ORDER BY 1;
SELECT count(*) AS planted_rows FROM plystra_data.users;
DROP SCHEMA plystra_data CASCADE;

-- temporary relations and functions named like the extension's objects,
-- and a search_path that puts a writable schema first
CREATE SCHEMA trap;
CREATE TABLE trap.schema_migrations (component text, name text, checksum text,
	applied_at timestamptz, applied_by name, execution_time interval,
	extension_version text);
CREATE TEMP TABLE schema_migrations (LIKE trap.schema_migrations);
CREATE TEMP TABLE users (id bigint);
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
DROP TABLE pg_temp.schema_migrations, pg_temp.users;

-- the extension's internal functions work only inside its own scripts
SELECT plystra._check_install();
SELECT plystra._migrate_builtin('016_anything', 'CREATE TABLE public.x ()');
SELECT plystra._replace_view('plystra.users', 'SELECT 1');

DROP EXTENSION plystra;
-- DROP EXTENSION leaves the schema CREATE EXTENSION made, so a second
-- CREATE EXTENSION names it
CREATE EXTENSION plystra;
DROP SCHEMA plystra;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'plystra%' ORDER BY 1;
