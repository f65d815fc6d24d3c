-- ext/defs/bootstrap.sql
-- Current definitions of what the migrations themselves need, run first by
-- the full install script: the schemas, the migration history and its
-- guards, and the internal functions the scripts call.

/*
 * Refuse to adopt schemas that existed before: whoever created them could
 * have planted objects there.  This must come first.
 */
CREATE FUNCTION plystra._check_install()
RETURNS void
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_check_install';
REVOKE ALL ON FUNCTION plystra._check_install() FROM PUBLIC;
SELECT plystra._check_install();
COMMENT ON FUNCTION plystra._check_install() IS
'Internal: refuses CREATE EXTENSION plystra when schema plystra existed before or plystra_data exists';

/*
 * The library refuses scripts of another build than its own (install.c);
 * the script names itself.
 */
CREATE FUNCTION plystra._check_scripts(raise boolean DEFAULT true, running text DEFAULT NULL)
RETURNS text
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_check_scripts';
REVOKE ALL ON FUNCTION plystra._check_scripts(boolean, text) FROM PUBLIC;
SELECT plystra._check_scripts(running => '@script@');
COMMENT ON FUNCTION plystra._check_scripts(boolean, text) IS
'Internal: compares the installed scripts of the extension, and the one running, with those the loaded library was built with; an error, or with raise false the differences, when one differs';

COMMENT ON SCHEMA plystra IS
'Plystra Core interface: the relations and functions applications are granted';

CREATE SCHEMA plystra_data;
REVOKE ALL ON SCHEMA plystra_data FROM PUBLIC;
COMMENT ON SCHEMA plystra_data IS
'Plystra Core storage: every row, soft-deleted ones included; no privilege for applications';

/*
 * Migration history.  The extension's own migrations are recorded under the
 * component 'plystra'; applications use their own component names.  The
 * dump carries every row; on restore, a dumped row of the extension's own
 * history replaces the one CREATE EXTENSION has just written for the same
 * migration (plystra.history_insert_guard()).
 */
CREATE TABLE plystra_data.schema_migrations (
	component			text NOT NULL,
	name				text NOT NULL,
	checksum			text NOT NULL,
	applied_at			timestamptz NOT NULL,
	applied_by			name NOT NULL,
	execution_time		interval NOT NULL,
	extension_version	text NOT NULL,
	CONSTRAINT schema_migrations_pkey PRIMARY KEY (component, name),
	CONSTRAINT schema_migrations_component_check
		CHECK (component OPERATOR(pg_catalog.<>) ''),
	CONSTRAINT schema_migrations_name_check
		CHECK (name OPERATOR(pg_catalog.<>) ''),
	CONSTRAINT schema_migrations_checksum_check
		CHECK (checksum OPERATOR(pg_catalog.~) '^sha256:[0-9a-f]{64}$'),
	CONSTRAINT schema_migrations_execution_time_check
		CHECK (execution_time OPERATOR(pg_catalog.>=) '0'::interval)
);
SELECT pg_catalog.pg_extension_config_dump('plystra_data.schema_migrations', '');
COMMENT ON TABLE plystra_data.schema_migrations IS
'Storage of the migration history: one row per applied migration of each component';

/*
 * The history is append-only: nobody updates, deletes or truncates it
 * (plystra.migration_forget() is the one repair path), and no migration
 * script may insert into it.  ENABLE ALWAYS: the guards fire also under
 * session_replication_role = replica.
 */
CREATE FUNCTION plystra.append_only_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_append_only_guard';
REVOKE ALL ON FUNCTION plystra.append_only_guard() FROM PUBLIC;
-- PostgreSQL checks EXECUTE when it clones a partitioned table's row
-- trigger to a new partition, as the role making it: the owner of an
-- append-only partitioned table adds partitions.  Harmless: a trigger
-- function cannot be called but as a trigger, and as one it only refuses.
GRANT EXECUTE ON FUNCTION plystra.append_only_guard() TO PUBLIC;
COMMENT ON FUNCTION plystra.append_only_guard() IS
'Trigger refusing UPDATE, DELETE and TRUNCATE of an append-only table; its argument is the hint given';

CREATE FUNCTION plystra.history_insert_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_history_insert_guard';
REVOKE ALL ON FUNCTION plystra.history_insert_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.history_insert_guard() IS
'Trigger refusing history rows written by a migration script; a restored row of the extension''s own history replaces the one CREATE EXTENSION wrote';

CREATE TRIGGER plystra_append_only
	BEFORE UPDATE OR DELETE ON plystra_data.schema_migrations
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard(
		'To make a migration run again, remove its record with plystra.migration_forget().');
CREATE TRIGGER plystra_append_only_truncate
	BEFORE TRUNCATE ON plystra_data.schema_migrations
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard(
		'To make a migration run again, remove its record with plystra.migration_forget().');
CREATE TRIGGER plystra_history_insert
	BEFORE INSERT ON plystra_data.schema_migrations
	FOR EACH ROW EXECUTE FUNCTION plystra.history_insert_guard();
ALTER TABLE plystra_data.schema_migrations
	ENABLE ALWAYS TRIGGER plystra_append_only,
	ENABLE ALWAYS TRIGGER plystra_append_only_truncate,
	ENABLE ALWAYS TRIGGER plystra_history_insert;

CREATE VIEW plystra.schema_migrations AS
	SELECT component, name, checksum, applied_at, applied_by, execution_time,
		   extension_version
	  FROM plystra_data.schema_migrations;
COMMENT ON VIEW plystra.schema_migrations IS
'Applied migrations, one row per (component, name), with checksum, time, role, duration and extension version';

CREATE FUNCTION plystra.migration_checksum(script text)
RETURNS text
LANGUAGE C IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_migration_checksum';
COMMENT ON FUNCTION plystra.migration_checksum(text) IS
'sha256:<hex> of a migration script after CRLF and lone CR become LF and a leading UTF-8 BOM is dropped';

CREATE FUNCTION plystra._migrate_builtin(name text, script text)
RETURNS void
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_migrate_builtin';
REVOKE ALL ON FUNCTION plystra._migrate_builtin(text, text) FROM PUBLIC;
COMMENT ON FUNCTION plystra._migrate_builtin(text, text) IS
'Internal: applies and records one of the extension''s own migrations; callable only from plystra''s scripts';

-- C trigger functions pin no search_path: they resolve no names (their
-- queries are schema-qualified), and a SET clause would make every row they
-- fire for pay for saving and restoring the setting
CREATE FUNCTION plystra.updated_at_trigger()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_updated_at_trigger';
REVOKE ALL ON FUNCTION plystra.updated_at_trigger() FROM PUBLIC;
COMMENT ON FUNCTION plystra.updated_at_trigger() IS
'BEFORE UPDATE row trigger: sets updated_at (or the column named by its argument) to the transaction start time';

CREATE FUNCTION plystra._replace_view(view regclass, definition text)
RETURNS void
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_replace_view';
REVOKE ALL ON FUNCTION plystra._replace_view(regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION plystra._replace_view(regclass, text) IS
'Internal: recreates an interface view during an update, keeping the privileges granted on it';

CREATE FUNCTION plystra._enable_always_trigger(rel regclass, trigger name)
RETURNS void
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_enable_always_trigger';
REVOKE ALL ON FUNCTION plystra._enable_always_trigger(regclass, name) FROM PUBLIC;
COMMENT ON FUNCTION plystra._enable_always_trigger(regclass, name) IS
'Internal: makes a trigger of an interface view fire also with session_replication_role = replica; callable only from plystra''s scripts';
