-- ext/defs/migrations.sql
-- Current definitions: the migration history's interface and the
-- functions that apply, report and verify migrations.

/*
 * Migrations of applications: plystra.migrate() and its companions.
 */

-- Runs the caller's script as the caller, with the caller's search_path,
-- exactly as psql -1 -f would: deliberately neither SECURITY DEFINER nor
-- pinned to a search_path.  Its own queries are schema-qualified in C.
CREATE FUNCTION plystra.migrate(component text, name text, script text,
								allow_out_of_order boolean DEFAULT false)
RETURNS text
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'plystra_migrate';
REVOKE ALL ON FUNCTION plystra.migrate(text, text, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION plystra.migrate(text, text, text, boolean) IS
'Applies one migration of an application component exactly once, in order, recording its checksum; returns applied or already applied';

CREATE FUNCTION plystra.migration_forget(component text, name text, reason text)
RETURNS boolean
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_migration_forget';
REVOKE ALL ON FUNCTION plystra.migration_forget(text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION plystra.migration_forget(text, text, text) IS
'Repair: removes the record of an application''s migration so that migrate() applies it again; writes an audit row with the reason';

CREATE FUNCTION plystra._builtin_migrations(OUT name text, OUT version text,
										   OUT checksum text)
RETURNS SETOF record
LANGUAGE C IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_builtin_migration_list';
COMMENT ON FUNCTION plystra._builtin_migrations() IS
'The extension''s own migrations compiled into the loaded library: name, version shipping it, checksum';

/*
 * The migration history: a row of an application's component that no
 * migration.applied audit row accounts for was not written by migrate()
 * (a superuser's INSERT, or a row forged through the view before 1.2):
 * migration_status() calls it 'unaudited', migrate_verify() reports it.
 * Rows older than the last audit_purge() cutoff cannot be checked.
 * These functions and doctor() run with jit off: they read some thousand
 * rows, and compiling their expressions would cost more than it saves.
 */
CREATE FUNCTION plystra.migration_status(component text DEFAULT NULL)
RETURNS TABLE (component text, name text, state text, checksum text,
			   expected_checksum text, applied_at timestamptz, applied_by name,
			   extension_version text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
	WITH audited AS (
		-- what migrate() recorded in the audit log, one row per migration
		SELECT DISTINCT a.target_id, a.details ->> 'checksum' AS checksum
		  FROM plystra_data.audit_logs a
		 WHERE a.event_type = 'migration.applied' AND a.target_type = 'migration'
		   -- the extension's own rows are checked against the library instead
		   AND $1 IS DISTINCT FROM 'plystra'
	), horizon AS (
		-- rows older than the last audit_purge() cutoff cannot be checked
		SELECT coalesce(max((a.details ->> 'older_than')::timestamptz), '-infinity') AS purged_before
		  FROM plystra_data.audit_logs a
		 WHERE a.event_type = 'audit.purged'
	), h AS (
		SELECT m.*,
			   m.component <> 'plystra'
			   AND m.applied_at >= (SELECT purged_before FROM horizon)
			   AND au.target_id IS NULL AS unaudited
		  FROM plystra_data.schema_migrations m
		  LEFT JOIN audited au
			ON au.target_id = m.component || '/' || m.name AND au.checksum = m.checksum
		 WHERE $1 IS NULL OR m.component = $1
	)
	SELECT coalesce(h.component, 'plystra'), coalesce(h.name, b.name),
		   CASE
			   WHEN h.name IS NULL THEN 'pending'
			   WHEN h.component = 'plystra' AND b.name IS NULL THEN 'unknown'
			   WHEN h.component = 'plystra' AND h.checksum <> b.checksum
				   THEN 'checksum_mismatch'
			   WHEN h.unaudited THEN 'unaudited'
			   ELSE 'applied'
		   END,
		   h.checksum, b.checksum, h.applied_at, h.applied_by,
		   coalesce(h.extension_version, b.version)
	  FROM h
	  FULL JOIN (SELECT * FROM plystra._builtin_migrations()
				  WHERE $1 IS NULL OR $1 = 'plystra') b
		ON h.component = 'plystra' AND h.name = b.name
	 ORDER BY coalesce(h.component, 'plystra') COLLATE "C",
			  coalesce(h.name, b.name) COLLATE "C"
$$;
REVOKE ALL ON FUNCTION plystra.migration_status(text) FROM PUBLIC;
COMMENT ON FUNCTION plystra.migration_status(text) IS
'One row per known migration with its state: applied, pending (run ALTER EXTENSION plystra UPDATE), checksum_mismatch, unknown or unaudited';

CREATE FUNCTION plystra.migrate_verify()
RETURNS TABLE (component text, name text, problem text, detail text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
	SELECT s.component, s.name, s.state,
		   CASE s.state
			   WHEN 'pending' THEN
				   'the plystra library ships this migration (extension version '
				   || s.extension_version
				   || ') but the database has not applied it: run ALTER EXTENSION plystra UPDATE'
			   WHEN 'checksum_mismatch' THEN
				   'recorded with checksum ' || s.checksum
				   || ' but the plystra library ships checksum ' || s.expected_checksum
			   WHEN 'unknown' THEN
				   'recorded, but the loaded plystra library does not ship it: is the library older than the installed extension?'
			   WHEN 'unaudited' THEN
				   'recorded with checksum ' || s.checksum
				   || ', but no migration.applied audit row shows plystra.migrate() applying it: the row was written by hand, and the migration may never have run'
		   END
	  FROM plystra.migration_status() s
	 WHERE s.state <> 'applied'
	 ORDER BY s.component COLLATE "C", s.name COLLATE "C"
$$;
REVOKE ALL ON FUNCTION plystra.migrate_verify() FROM PUBLIC;
COMMENT ON FUNCTION plystra.migrate_verify() IS
'Problems of the migration history, one row each; no rows means the history is intact';

/*
 * The migration history is written by migrate() and the extension's
 * scripts alone: its interface view is read-only for every role.  Its
 * trigger, like the soft delete triggers of the entity views, fires also
 * in replica mode: a view whose INSTEAD OF trigger does not fire reports
 * the rows written and changes nothing.
 */
CREATE FUNCTION plystra.read_only_view()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_read_only_view';
REVOKE ALL ON FUNCTION plystra.read_only_view() FROM PUBLIC;
COMMENT ON FUNCTION plystra.read_only_view() IS
'INSTEAD OF INSERT OR UPDATE OR DELETE row trigger: the view is read-only for every role';

CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.schema_migrations
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.schema_migrations', 'plystra_read_only');
