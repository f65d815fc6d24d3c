--
-- Installing 1.0 records migrations 001-014; updating to 1.1 records 015.
-- Each row carries the checksum, time, role, duration and version.
--
CREATE EXTENSION plystra VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'plystra';
SELECT component, name, extension_version,
	   checksum ~ '^sha256:[0-9a-f]{64}$' AS checksum_ok,
	   applied_by = current_user AS by_me,
	   applied_at BETWEEN now() - interval '10 minutes' AND now() AS when_ok,
	   execution_time >= '0' AS duration_ok
  FROM plystra.schema_migrations ORDER BY name;

ALTER EXTENSION plystra UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'plystra';
SELECT name, extension_version, applied_by = current_user AS by_me
  FROM plystra.schema_migrations WHERE name > '014' ORDER BY name;
-- already current
ALTER EXTENSION plystra UPDATE;
-- no path back
ALTER EXTENSION plystra UPDATE TO '1.0';
SELECT version, installed FROM pg_available_extension_versions
 WHERE name = 'plystra' ORDER BY version;

-- the module's settings prefix is reserved
SET plystra.no_such_setting = on;

-- nothing in the extension is granted to PUBLIC or to any other role,
-- except EXECUTE on the functions meant for everybody (and on
-- append_only_guard(), which PostgreSQL checks when it clones the row guard
-- to a new partition of an append-only table; it runs as a trigger only)
SELECT c.oid::regclass AS relation_with_grants
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('plystra', 'plystra_data') AND c.relacl IS NOT NULL
 ORDER BY 1;
SELECT nspname, nspacl FROM pg_namespace
 WHERE nspname IN ('plystra', 'plystra_data') ORDER BY 1;
SELECT p.oid::regprocedure AS function,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'plystra' ORDER BY p.proname;

-- every function pins its search_path, but migrate(), which runs the
-- caller's script with the caller's search_path and privileges, the DDL
-- guard, which resolves names as the command does, and the C trigger
-- functions, which resolve no names and fire for every row
SELECT p.oid::regprocedure AS function_without_search_path, p.prosecdef
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('plystra', 'plystra_data')
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
 ORDER BY p.proname;
-- SECURITY DEFINER functions are few, and none is open to PUBLIC
SELECT p.oid::regprocedure AS security_definer,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('plystra', 'plystra_data') AND p.prosecdef
 ORDER BY p.proname;

-- a role with no grant reaches nothing
CREATE ROLE plystra_regress_nobody;
SET ROLE plystra_regress_nobody;
SELECT count(*) FROM plystra_data.users;
SELECT count(*) FROM plystra.users;
SELECT plystra.migration_checksum('');
RESET ROLE;
-- applications are granted the interface schema and its relations only
CREATE ROLE plystra_regress_app;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_app;
GRANT SELECT ON plystra.users TO plystra_regress_app;
SET ROLE plystra_regress_app;
SELECT count(*) FROM plystra.users;
SELECT count(*) FROM plystra_data.users;
RESET ROLE;
REVOKE ALL ON plystra.users FROM plystra_regress_app;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_app;
DROP ROLE plystra_regress_app;
DROP ROLE plystra_regress_nobody;
