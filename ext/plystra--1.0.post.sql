/*
 * Append-only tables.  The registry lists them for the DDL guard;
 * plystra_data.audit_logs, the migration history and the registry itself
 * are built in, tables users protect with make_append_only() are dumped.
 */
CREATE TABLE plystra_data.append_only_relations (
	relation		regclass NOT NULL,
	builtin			boolean NOT NULL DEFAULT false,
	protected_at	timestamptz NOT NULL DEFAULT now(),
	protected_by	name NOT NULL DEFAULT session_user,
	CONSTRAINT append_only_relations_pkey PRIMARY KEY (relation)
);
SELECT pg_catalog.pg_extension_config_dump('plystra_data.append_only_relations',
	'WHERE NOT builtin');
COMMENT ON TABLE plystra_data.append_only_relations IS
'Tables protected by the append-only guard: rows never change or go, DDL cannot switch the guard off';
INSERT INTO plystra_data.append_only_relations (relation, builtin) VALUES
	('plystra_data.audit_logs', true),
	('plystra_data.schema_migrations', true),
	('plystra_data.append_only_relations', true);

CREATE TRIGGER plystra_append_only
	BEFORE UPDATE OR DELETE ON plystra_data.append_only_relations
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard(
		'A table once made append-only stays so.');
CREATE TRIGGER plystra_append_only_truncate
	BEFORE TRUNCATE ON plystra_data.append_only_relations
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard(
		'A table once made append-only stays so.');
ALTER TABLE plystra_data.append_only_relations
	ENABLE ALWAYS TRIGGER plystra_append_only,
	ENABLE ALWAYS TRIGGER plystra_append_only_truncate;

-- audit rows: dated by the server when written, never changed or removed
-- but by plystra.audit_purge()
CREATE FUNCTION plystra.created_at_trigger()
RETURNS trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_created_at_trigger';
REVOKE ALL ON FUNCTION plystra.created_at_trigger() FROM PUBLIC;
COMMENT ON FUNCTION plystra.created_at_trigger() IS
'BEFORE INSERT row trigger: sets created_at (or the column named by its argument) to the clock time, whatever the client sent';

CREATE TRIGGER plystra_created_at
	BEFORE INSERT ON plystra_data.audit_logs
	FOR EACH ROW EXECUTE FUNCTION plystra.created_at_trigger();
CREATE TRIGGER plystra_append_only
	BEFORE UPDATE OR DELETE ON plystra_data.audit_logs
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard(
		'Audit rows older than the retention are removed with plystra.audit_purge().');
CREATE TRIGGER plystra_append_only_truncate
	BEFORE TRUNCATE ON plystra_data.audit_logs
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard(
		'Audit rows older than the retention are removed with plystra.audit_purge().');
ALTER TABLE plystra_data.audit_logs
	ENABLE ALWAYS TRIGGER plystra_created_at,
	ENABLE ALWAYS TRIGGER plystra_append_only,
	ENABLE ALWAYS TRIGGER plystra_append_only_truncate;

CREATE FUNCTION plystra.audit_purge(older_than timestamptz)
RETURNS bigint
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_purge';
REVOKE ALL ON FUNCTION plystra.audit_purge(timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_purge(timestamptz) IS
'Removes audit rows created before older_than (at least plystra.audit_min_retention ago) and records the purge; returns the number removed';

CREATE FUNCTION plystra.make_append_only(rel regclass)
RETURNS boolean
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_make_append_only';
REVOKE ALL ON FUNCTION plystra.make_append_only(regclass) FROM PUBLIC;
COMMENT ON FUNCTION plystra.make_append_only(regclass) IS
'Gives a table of one''s own the append-only protection of audit_logs; returns false when it had it already';

CREATE FUNCTION plystra.append_only_tables()
RETURNS TABLE (relation regclass, builtin boolean, protected_at timestamptz,
			   protected_by name)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT relation, builtin, protected_at, protected_by
	  FROM plystra_data.append_only_relations
	 ORDER BY relation::text
$$;
COMMENT ON FUNCTION plystra.append_only_tables() IS
'The tables protected by the append-only guard';

/*
 * DDL guard: event triggers, ENABLE ALWAYS so that replica mode does not
 * switch them off.
 */
-- no SET search_path: the guard resolves the names in a command as the
-- command itself does, with the session's search_path; its own queries are
-- schema-qualified
CREATE FUNCTION plystra.ddl_guard()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_ddl_guard';
REVOKE ALL ON FUNCTION plystra.ddl_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.ddl_guard() IS
'Event trigger (ddl_command_start) refusing DDL that would switch off or bypass the append-only guard, or drop the extension''s data';

CREATE FUNCTION plystra.ddl_guard_end()
RETURNS event_trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_ddl_guard_end';
REVOKE ALL ON FUNCTION plystra.ddl_guard_end() FROM PUBLIC;
COMMENT ON FUNCTION plystra.ddl_guard_end() IS
'Event trigger (ddl_command_end) refusing cascading foreign keys on append-only tables and changes to the extension''s functions';

CREATE FUNCTION plystra.drop_guard()
RETURNS event_trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_drop_guard';
REVOKE ALL ON FUNCTION plystra.drop_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.drop_guard() IS
'Event trigger (sql_drop) refusing drops that reach append-only tables by cascade';

CREATE EVENT TRIGGER plystra_ddl_guard ON ddl_command_start
	EXECUTE FUNCTION plystra.ddl_guard();
CREATE EVENT TRIGGER plystra_ddl_guard_end ON ddl_command_end
	EXECUTE FUNCTION plystra.ddl_guard_end();
CREATE EVENT TRIGGER plystra_drop_guard ON sql_drop
	EXECUTE FUNCTION plystra.drop_guard();
ALTER EVENT TRIGGER plystra_ddl_guard ENABLE ALWAYS;
ALTER EVENT TRIGGER plystra_ddl_guard_end ENABLE ALWAYS;
ALTER EVENT TRIGGER plystra_drop_guard ENABLE ALWAYS;

/*
 * Soft delete.  DELETE through the interface of a soft-deletable entity
 * sets deleted_at (C, INSTEAD OF DELETE); every change of deleted_at, by
 * DELETE, by UPDATE ... SET deleted_at as ORMs send, or by restore(), is
 * audited; new rows cannot reference deleted entities.
 */
CREATE FUNCTION plystra.soft_delete_trigger()
RETURNS trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_soft_delete_trigger';
REVOKE ALL ON FUNCTION plystra.soft_delete_trigger() FROM PUBLIC;
COMMENT ON FUNCTION plystra.soft_delete_trigger() IS
'INSTEAD OF DELETE row trigger of an interface view: sets deleted_at of the storage row named by its argument and counts it';

CREATE FUNCTION plystra.deleted_at_audit()
RETURNS trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_deleted_at_audit';
REVOKE ALL ON FUNCTION plystra.deleted_at_audit() FROM PUBLIC;
COMMENT ON FUNCTION plystra.deleted_at_audit() IS
'AFTER UPDATE row trigger: audits entity.deleted or entity.restored when deleted_at changes between null and not null';

CREATE FUNCTION plystra.live_parent_check()
RETURNS trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_live_parent_check';
REVOKE ALL ON FUNCTION plystra.live_parent_check() FROM PUBLIC;
COMMENT ON FUNCTION plystra.live_parent_check() IS
'BEFORE INSERT OR UPDATE row trigger: refuses references (pairs of column and parent table) to soft-deleted rows';

CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.spaces
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.spaces');
CREATE TRIGGER plystra_deleted_at_audit AFTER UPDATE OF deleted_at ON plystra_data.spaces
	FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION plystra.deleted_at_audit();
CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.groups
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.groups');
CREATE TRIGGER plystra_deleted_at_audit AFTER UPDATE OF deleted_at ON plystra_data.groups
	FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION plystra.deleted_at_audit();
CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.users
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.users');
CREATE TRIGGER plystra_deleted_at_audit AFTER UPDATE OF deleted_at ON plystra_data.users
	FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION plystra.deleted_at_audit();
CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.members
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.members');
CREATE TRIGGER plystra_deleted_at_audit AFTER UPDATE OF deleted_at ON plystra_data.members
	FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION plystra.deleted_at_audit();
CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.roles
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.roles');
CREATE TRIGGER plystra_deleted_at_audit AFTER UPDATE OF deleted_at ON plystra_data.roles
	FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION plystra.deleted_at_audit();
CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.resources
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.resources');
CREATE TRIGGER plystra_deleted_at_audit AFTER UPDATE OF deleted_at ON plystra_data.resources
	FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION plystra.deleted_at_audit();

CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.groups
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('space_id', 'plystra_data.spaces', 'parent_id', 'plystra_data.groups');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.members
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('space_id', 'plystra_data.spaces');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.user_members
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('user_id', 'plystra_data.users', 'member_id', 'plystra_data.members');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.roles
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('space_id', 'plystra_data.spaces');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.role_permissions
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('role_id', 'plystra_data.roles', 'granted_by', 'plystra_data.users');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.member_roles
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('member_id', 'plystra_data.members', 'role_id', 'plystra_data.roles', 'scope_anchor_group_id', 'plystra_data.groups', 'granted_by', 'plystra_data.users');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.resources
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('space_id', 'plystra_data.spaces', 'parent_id', 'plystra_data.resources');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.resource_mappings
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('resource_id', 'plystra_data.resources');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.plugin_settings_values
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('space_id', 'plystra_data.spaces', 'updated_by', 'plystra_data.users');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.template_installations
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('space_id', 'plystra_data.spaces', 'installed_by', 'plystra_data.users');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.sessions
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('user_id', 'plystra_data.users');
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.admin_grants
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('user_id', 'plystra_data.users', 'space_id', 'plystra_data.spaces', 'granted_by', 'plystra_data.users');

CREATE FUNCTION plystra.restore(rel regclass, id bigint)
RETURNS boolean
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_restore';
REVOKE ALL ON FUNCTION plystra.restore(regclass, bigint) FROM PUBLIC;
COMMENT ON FUNCTION plystra.restore(regclass, bigint) IS
'Brings a soft-deleted row back; false if it was live; refuses when a live row now holds its unique key';

CREATE FUNCTION plystra.purge_deleted(rel regclass, older_than interval)
RETURNS bigint
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_purge_deleted';
REVOKE ALL ON FUNCTION plystra.purge_deleted(regclass, interval) FROM PUBLIC;
COMMENT ON FUNCTION plystra.purge_deleted(regclass, interval) IS
'Removes rows soft-deleted longer ago than older_than, with their relationship rows; refuses while other rows reference them';

CREATE FUNCTION plystra.set_password_hash(user_id bigint, hash text)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_set_password_hash';
REVOKE ALL ON FUNCTION plystra.set_password_hash(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION plystra.set_password_hash(bigint, text) IS
'Stores the password hash of a live user and stamps password_changed_at; the hash is never part of plystra.users';

CREATE FUNCTION plystra.password_hash(user_id bigint)
RETURNS text
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_password_hash';
REVOKE ALL ON FUNCTION plystra.password_hash(bigint) FROM PUBLIC;
COMMENT ON FUNCTION plystra.password_hash(bigint) IS
'The password hash of a live user, for the sign-in path only';

/*
 * Seed rows stay as shipped: pg_dump leaves them out (CREATE EXTENSION
 * writes them again on restore), so nobody may change, delete or add
 * built-in rows.
 */
CREATE FUNCTION plystra.builtin_row_guard()
RETURNS trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_builtin_row_guard';
REVOKE ALL ON FUNCTION plystra.builtin_row_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.builtin_row_guard() IS
'Trigger keeping built-in (seed) rows as the extension shipped them';

CREATE TRIGGER plystra_builtin_rows
	BEFORE INSERT OR UPDATE OR DELETE ON plystra_data.roles
	FOR EACH ROW EXECUTE FUNCTION plystra.builtin_row_guard();
CREATE TRIGGER plystra_builtin_rows_truncate
	BEFORE TRUNCATE ON plystra_data.roles
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.builtin_row_guard();
ALTER TABLE plystra_data.roles
	ENABLE ALWAYS TRIGGER plystra_builtin_rows,
	ENABLE ALWAYS TRIGGER plystra_builtin_rows_truncate;

CREATE TRIGGER plystra_builtin_rows
	BEFORE INSERT OR UPDATE OR DELETE ON plystra_data.permissions
	FOR EACH ROW EXECUTE FUNCTION plystra.builtin_row_guard();
CREATE TRIGGER plystra_builtin_rows_truncate
	BEFORE TRUNCATE ON plystra_data.permissions
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.builtin_row_guard();
ALTER TABLE plystra_data.permissions
	ENABLE ALWAYS TRIGGER plystra_builtin_rows,
	ENABLE ALWAYS TRIGGER plystra_builtin_rows_truncate;

CREATE TRIGGER plystra_builtin_rows
	BEFORE INSERT OR UPDATE OR DELETE ON plystra_data.role_permissions
	FOR EACH ROW EXECUTE FUNCTION plystra.builtin_row_guard();
CREATE TRIGGER plystra_builtin_rows_truncate
	BEFORE TRUNCATE ON plystra_data.role_permissions
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.builtin_row_guard();
ALTER TABLE plystra_data.role_permissions
	ENABLE ALWAYS TRIGGER plystra_builtin_rows,
	ENABLE ALWAYS TRIGGER plystra_builtin_rows_truncate;

CREATE TRIGGER plystra_builtin_rows
	BEFORE INSERT OR UPDATE OR DELETE ON plystra_data.audit_event_types
	FOR EACH ROW EXECUTE FUNCTION plystra.builtin_row_guard();
CREATE TRIGGER plystra_builtin_rows_truncate
	BEFORE TRUNCATE ON plystra_data.audit_event_types
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.builtin_row_guard();
ALTER TABLE plystra_data.audit_event_types
	ENABLE ALWAYS TRIGGER plystra_builtin_rows,
	ENABLE ALWAYS TRIGGER plystra_builtin_rows_truncate;

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

CREATE FUNCTION plystra.migration_status(component text DEFAULT NULL)
RETURNS TABLE (component text, name text, state text, checksum text,
			   expected_checksum text, applied_at timestamptz, applied_by name,
			   extension_version text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(h.component, 'plystra'), coalesce(h.name, b.name),
		   CASE
			   WHEN h.name IS NULL THEN 'pending'
			   WHEN h.component = 'plystra' AND b.name IS NULL THEN 'unknown'
			   WHEN h.component = 'plystra' AND h.checksum <> b.checksum
				   THEN 'checksum_mismatch'
			   ELSE 'applied'
		   END,
		   h.checksum, b.checksum, h.applied_at, h.applied_by,
		   coalesce(h.extension_version, b.version)
	  FROM (SELECT * FROM plystra_data.schema_migrations m
			 WHERE $1 IS NULL OR m.component = $1) h
	  FULL JOIN (SELECT * FROM plystra._builtin_migrations()
				  WHERE $1 IS NULL OR $1 = 'plystra') b
		ON h.component = 'plystra' AND h.name = b.name
	 ORDER BY coalesce(h.component, 'plystra') COLLATE "C",
			  coalesce(h.name, b.name) COLLATE "C"
$$;
REVOKE ALL ON FUNCTION plystra.migration_status(text) FROM PUBLIC;
COMMENT ON FUNCTION plystra.migration_status(text) IS
'One row per known migration with its state: applied, pending (run ALTER EXTENSION plystra UPDATE), checksum_mismatch or unknown';

CREATE FUNCTION plystra.migrate_verify()
RETURNS TABLE (component text, name text, problem text, detail text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
		   END
	  FROM plystra.migration_status() s
	 WHERE s.state <> 'applied'
	 ORDER BY s.component COLLATE "C", s.name COLLATE "C"
$$;
REVOKE ALL ON FUNCTION plystra.migrate_verify() FROM PUBLIC;
COMMENT ON FUNCTION plystra.migrate_verify() IS
'Problems of the migration history, one row each; no rows means the history is intact';

-- end of plystra--1.0.sql
