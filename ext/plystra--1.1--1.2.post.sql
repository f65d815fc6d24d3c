/*
 * What 1.2 adds: every promise holds against a determined attacker.
 */

CREATE FUNCTION plystra._revoke_default_privileges()
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_revoke_default_privileges';
REVOKE ALL ON FUNCTION plystra._revoke_default_privileges() FROM PUBLIC;
COMMENT ON FUNCTION plystra._revoke_default_privileges() IS
'Internal: revokes from the objects a script created what default privileges gave other roles; callable only from plystra''s scripts';

CREATE FUNCTION plystra._revoke_lock_privileges()
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_revoke_lock_privileges';
REVOKE ALL ON FUNCTION plystra._revoke_lock_privileges() FROM PUBLIC;
COMMENT ON FUNCTION plystra._revoke_lock_privileges() IS
'Internal: revokes UPDATE, DELETE and TRUNCATE on append-only tables and their views, which allow nothing but LOCK TABLE; callable only from plystra''s scripts';

CREATE FUNCTION plystra._enable_always_trigger(rel regclass, trigger name)
RETURNS void
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_enable_always_trigger';
REVOKE ALL ON FUNCTION plystra._enable_always_trigger(regclass, name) FROM PUBLIC;
COMMENT ON FUNCTION plystra._enable_always_trigger(regclass, name) IS
'Internal: makes a trigger of an interface view fire also with session_replication_role = replica; callable only from plystra''s scripts';

/*
 * Rows that state what a version defines are written by its scripts only:
 * the manifest drift_check() compares with, and the policies of references.
 */
CREATE FUNCTION plystra.script_only_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_script_only_guard';
REVOKE ALL ON FUNCTION plystra.script_only_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.script_only_guard() IS
'BEFORE INSERT row trigger: rows of the table are written by plystra''s scripts only';

CREATE TRIGGER plystra_script_only
	BEFORE INSERT ON plystra_data.manifest
	FOR EACH ROW EXECUTE FUNCTION plystra.script_only_guard();
ALTER TABLE plystra_data.manifest ENABLE ALWAYS TRIGGER plystra_script_only;

/*
 * What purge_deleted() does with the rows that reference a purged entity,
 * per referencing column: 'delete' relationship rows that belong to it,
 * 'clear' a reference that only says who did something, 'restrict' (and
 * every column not listed) refuse the purge.  The migration that adds a
 * table adds its rows.
 */
CREATE TABLE plystra_data.reference_policies (
	table_name	name NOT NULL,
	column_name	name NOT NULL,
	policy		text NOT NULL,
	CONSTRAINT reference_policies_pkey PRIMARY KEY (table_name, column_name),
	CONSTRAINT reference_policies_policy_check
		CHECK (policy OPERATOR(pg_catalog.=) ANY (ARRAY['delete', 'clear', 'restrict']))
);
COMMENT ON TABLE plystra_data.reference_policies IS
'What purge_deleted() does with rows of plystra_data that reference a purged entity: delete them, clear the reference, or refuse; written by the extension''s scripts';
CREATE TRIGGER plystra_append_only
	BEFORE UPDATE OR DELETE ON plystra_data.reference_policies
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard(
		'The policies of references are what the extension version defines.');
CREATE TRIGGER plystra_append_only_truncate
	BEFORE TRUNCATE ON plystra_data.reference_policies
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard(
		'The policies of references are what the extension version defines.');
CREATE TRIGGER plystra_script_only
	BEFORE INSERT ON plystra_data.reference_policies
	FOR EACH ROW EXECUTE FUNCTION plystra.script_only_guard();
ALTER TABLE plystra_data.reference_policies
	ENABLE ALWAYS TRIGGER plystra_append_only,
	ENABLE ALWAYS TRIGGER plystra_append_only_truncate,
	ENABLE ALWAYS TRIGGER plystra_script_only;
INSERT INTO plystra_data.append_only_relations (relation, builtin)
	VALUES ('plystra_data.reference_policies', true);

INSERT INTO plystra_data.reference_policies (table_name, column_name, policy) VALUES
	-- relationship rows go with the entity they belong to
	('user_members', 'user_id', 'delete'),
	('user_members', 'member_id', 'delete'),
	('member_roles', 'member_id', 'delete'),
	('member_roles', 'role_id', 'delete'),
	('member_roles', 'scope_anchor_group_id', 'delete'),
	('role_permissions', 'role_id', 'delete'),
	('user_allowed_groups', 'user_id', 'delete'),
	('user_allowed_groups', 'group_id', 'delete'),
	('resource_mappings', 'resource_id', 'delete'),
	('sessions', 'user_id', 'delete'),
	-- who did something: forgotten with the user
	('role_permissions', 'granted_by', 'clear'),
	('member_roles', 'granted_by', 'clear'),
	('admin_grants', 'granted_by', 'clear'),
	('plugin_settings_values', 'updated_by', 'clear'),
	('template_installations', 'installed_by', 'clear'),
	-- scopes and children: the purge waits until they are gone
	('groups', 'space_id', 'restrict'),
	('groups', 'parent_id', 'restrict'),
	('members', 'space_id', 'restrict'),
	('roles', 'space_id', 'restrict'),
	('resources', 'space_id', 'restrict'),
	('resources', 'parent_id', 'restrict'),
	('plugin_settings_values', 'space_id', 'restrict'),
	('template_installations', 'space_id', 'restrict'),
	('admin_grants', 'space_id', 'restrict'),
	('admin_grants', 'user_id', 'restrict');

/*
 * Audit rows: the server sets when, by whom and with which id, and only the
 * extension writes the event types that record what it did.
 */
CREATE FUNCTION plystra.audit_row_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_audit_row_guard';
REVOKE ALL ON FUNCTION plystra.audit_row_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_row_guard() IS
'BEFORE INSERT row trigger of audit_logs: server-set created_at (clock time), actor_role and id; event types under migration., audit., entity. and user.password. written by the extension only';

CREATE TRIGGER plystra_audit_rows
	BEFORE INSERT ON plystra_data.audit_logs
	FOR EACH ROW EXECUTE FUNCTION plystra.audit_row_guard();
ALTER TABLE plystra_data.audit_logs ENABLE ALWAYS TRIGGER plystra_audit_rows;

/*
 * audit_logs is partitioned now (migration 018; the table it was is its
 * first partition and stays registered): the partitioned table is guarded
 * and registered, and every partition has its TRUNCATE guard.
 */
@append_only audit_logs 'Audit rows older than the retention are removed with plystra.audit_purge().'
INSERT INTO plystra_data.append_only_relations (relation, builtin)
	VALUES ('plystra_data.audit_logs', true);
@include audit_partitions
@include audit_seals

/*
 * Ids are the server's: a new row's id is the one its identity sequence
 * has just assigned, for every role but the storage owner (restores).
 */
CREATE FUNCTION plystra.server_id_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_server_id_guard';
REVOKE ALL ON FUNCTION plystra.server_id_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.server_id_guard() IS
'BEFORE INSERT row trigger: a new row''s id must be the one its identity sequence has just assigned, but for the storage owner';

CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.admin_grants
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.audit_event_types
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.background_jobs
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.groups
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.member_roles
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.members
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.permissions
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.plugin_admin_menus
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.plugin_settings_definitions
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.plugin_settings_values
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.plugins
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.resource_actions
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.resource_mappings
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.resource_types
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.resources
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.role_permissions
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.roles
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.sessions
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.spaces
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.template_installations
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.user_members
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.users
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();

/*
 * updated_at is the server's on INSERT too (the storage owner, restoring,
 * keeps the time it sends).
 */
@updated_at admin_grants
@updated_at background_jobs
@updated_at groups
@updated_at member_roles
@updated_at members
@updated_at permissions
@updated_at plugin_admin_menus
@updated_at plugin_settings_definitions
@updated_at plugin_settings_values
@updated_at plugins
@updated_at resource_actions
@updated_at resource_mappings
@updated_at resource_types
@updated_at resources
@updated_at role_permissions
@updated_at roles
@updated_at spaces
@updated_at template_installations
@updated_at users

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
SELECT plystra._enable_always_trigger('plystra.users', 'plystra_soft_delete');
SELECT plystra._enable_always_trigger('plystra.members', 'plystra_soft_delete');
SELECT plystra._enable_always_trigger('plystra.spaces', 'plystra_soft_delete');
SELECT plystra._enable_always_trigger('plystra.groups', 'plystra_soft_delete');
SELECT plystra._enable_always_trigger('plystra.roles', 'plystra_soft_delete');
SELECT plystra._enable_always_trigger('plystra.resources', 'plystra_soft_delete');

/*
 * The migration history: a row of an application's component that no
 * migration.applied audit row accounts for was not written by migrate()
 * (a superuser's INSERT, or a row forged through the view before 1.2):
 * migration_status() calls it 'unaudited', migrate_verify() reports it.
 * Rows older than the last audit_purge() cutoff cannot be checked.
 * These functions and doctor() run with jit off: they read some thousand
 * rows, and compiling their expressions would cost more than it saves.
 */
CREATE OR REPLACE FUNCTION plystra.migration_status(component text DEFAULT NULL)
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
COMMENT ON FUNCTION plystra.migration_status(text) IS
'One row per known migration with its state: applied, pending (run ALTER EXTENSION plystra UPDATE), checksum_mismatch, unknown or unaudited';

CREATE OR REPLACE FUNCTION plystra.migrate_verify()
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

@include doctor
COMMENT ON FUNCTION plystra.doctor() IS
'Checks a DBA runs before restarting the application: versions, migrations, drift, guards, inheritance and keys of append-only tables, dump registration, privileges, audit log';

CREATE FUNCTION plystra._drift_before_update()
RETURNS text
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_drift_before_update';
REVOKE ALL ON FUNCTION plystra._drift_before_update() FROM PUBLIC;
COMMENT ON FUNCTION plystra._drift_before_update() IS
'Internal: the drift against the installed version found when the update running in this transaction began, as JSON';

/*
 * The manifest of a version is the catalog at the end of its script, but
 * for what drifted before the update (remembered by the DDL guard at the
 * update's first command, see _drift_before_update()): an
 * object that was there unexpectedly is not recorded (it stays
 * unexpected); one that was changed keeps the definition the previous
 * version expected, if it is still there; one that was missing is recorded
 * as expected, unless the update made it again.
 */
CREATE OR REPLACE FUNCTION plystra._record_manifest(version text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH carried AS (
		SELECT c.object_type, c.object, c.drift, c.expected
		  FROM jsonb_to_recordset(coalesce(plystra._drift_before_update(), '[]')::jsonb)
			   AS c(object_type text, object text, drift text, expected text)
	), live AS (
		SELECT f.object_type, f.object, f.detail FROM plystra._catalog_facts() f
	)
	INSERT INTO plystra_data.manifest (version, object_type, object, detail)
	SELECT $1, l.object_type, l.object, l.detail
	  FROM live l
	 WHERE NOT EXISTS (SELECT 1 FROM carried c
						WHERE c.object_type = l.object_type AND c.object = l.object
						  AND c.drift IN ('unexpected', 'changed'))
	UNION ALL
	SELECT $1, c.object_type, c.object, c.expected
	  FROM carried c
	 WHERE (c.drift = 'changed'
			AND EXISTS (SELECT 1 FROM live l WHERE l.object_type = c.object_type AND l.object = c.object))
		OR (c.drift = 'missing'
			AND NOT EXISTS (SELECT 1 FROM live l WHERE l.object_type = c.object_type AND l.object = c.object))
$$;

/*
 * Access.  Roles get privileges through the extension, by kind, recorded in
 * plystra_data.access_grants so that every script grants the objects it
 * creates to the roles entitled to them (plystra._apply_access(), last in
 * every script).  The table is dumped: a restored database keeps who has
 * what, and pg_dump restores the grants themselves.
 */
CREATE TABLE plystra_data.access_grants (
	role_name	name NOT NULL,
	access		text NOT NULL,
	granted_at	timestamptz NOT NULL DEFAULT now(),
	granted_by	name NOT NULL DEFAULT session_user,
	role_oid	oid NOT NULL DEFAULT 0,
	CONSTRAINT access_grants_pkey PRIMARY KEY (role_name, access),
	CONSTRAINT access_grants_access_check
		CHECK (access OPERATOR(pg_catalog.=) ANY (ARRAY['application', 'migrator', 'monitor', 'admin', 'authenticator']))
);
SELECT pg_catalog.pg_extension_config_dump('plystra_data.access_grants', '');
COMMENT ON TABLE plystra_data.access_grants IS
'The access each role holds, recorded by plystra.grant_access(); every update grants the objects it creates accordingly';

/*
 * A record holds the role by its OID as well as its name: a role dropped
 * and created again under its name is another role, and gets nothing of
 * the old one's access.  Each row written (by grant_access(), or by a
 * restore, in a cluster whose roles have other OIDs) is bound to the role
 * that has its name now.
 */
CREATE FUNCTION plystra.access_grant_bind()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_access_grant_bind';
REVOKE ALL ON FUNCTION plystra.access_grant_bind() FROM PUBLIC;
COMMENT ON FUNCTION plystra.access_grant_bind() IS
'BEFORE INSERT row trigger of access_grants: binds the record to the OID of the role named, 0 when there is none';
CREATE TRIGGER plystra_bind_role
	BEFORE INSERT ON plystra_data.access_grants
	FOR EACH ROW EXECUTE FUNCTION plystra.access_grant_bind();
ALTER TABLE plystra_data.access_grants ENABLE ALWAYS TRIGGER plystra_bind_role;

/*
 * The relations a LOCK TABLE of which would stop writes to an append-only
 * table: the append-only tables, the tables their foreign keys reference
 * (every insert checks its key there), and the views over either.  UPDATE,
 * DELETE and TRUNCATE on them are granted to nobody.
 */
CREATE FUNCTION plystra._lock_protected_relations()
RETURNS SETOF regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH base AS (
		SELECT r.relation::oid AS oid FROM plystra_data.append_only_relations r
		UNION
		SELECT c.confrelid FROM pg_catalog.pg_constraint c
		  JOIN plystra_data.append_only_relations r ON r.relation::oid = c.conrelid
		 WHERE c.contype = 'f'
	)
	SELECT oid::regclass FROM base
	UNION
	SELECT w.ev_class::regclass
	  FROM pg_catalog.pg_rewrite w
	  JOIN pg_catalog.pg_depend d
		ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = w.oid
	   AND d.refclassid = 'pg_catalog.pg_class'::regclass
	  JOIN base ON base.oid = d.refobjid
	 WHERE w.ev_class <> d.refobjid
$$;
REVOKE ALL ON FUNCTION plystra._lock_protected_relations() FROM PUBLIC;
COMMENT ON FUNCTION plystra._lock_protected_relations() IS
'Internal: the relations on which UPDATE, DELETE and TRUNCATE would let a role lock an append-only table against its writers';

/*
 * What each kind of access gives, one row per privilege; the one place
 * that says it.  application: the entity views (read and write; SELECT and
 * INSERT on the audit log and the tables it checks keys against), SELECT
 * on the migration history; migrator: migrate(), migration_status(),
 * migrate_verify(); monitor: doctor(), drift_check(), migrate_verify(),
 * migration_status(), audit_partitions(), audit_verify(), audit_head(),
 * audit_verify_head(), and who has what; admin: restore(),
 * purge_deleted(), audit_purge(), audit_maintain(), audit_partitions(),
 * audit_seal() and the three of the seals monitor has, and who has what;
 * authenticator: the password functions.
 * Every kind uses schema plystra.
 */
CREATE FUNCTION plystra._access_privileges(OUT access text, OUT object_type text,
										   OUT object text, OUT privilege text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH kinds(access) AS (
		VALUES ('application'), ('migrator'), ('monitor'), ('admin'), ('authenticator')
	), views AS (
		SELECT c.oid, c.relname,
			   c.oid IN (SELECT l::oid FROM plystra._lock_protected_relations() l) AS locked
		  FROM pg_catalog.pg_class c
		  JOIN pg_catalog.pg_depend d
			ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
		   AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
		  JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid AND x.extname = 'plystra'
		 WHERE c.relnamespace = 'plystra'::regnamespace AND c.relkind = 'v'
	), functions(access, fn) AS (
		VALUES ('migrator', 'plystra.migrate(text,text,text,boolean)'),
			   ('migrator', 'plystra.migration_status(text)'),
			   ('migrator', 'plystra.migrate_verify()'),
			   ('monitor', 'plystra.doctor()'),
			   ('monitor', 'plystra.drift_check()'),
			   ('monitor', 'plystra.migrate_verify()'),
			   ('monitor', 'plystra.migration_status(text)'),
			   ('admin', 'plystra.restore(regclass,bigint)'),
			   ('admin', 'plystra.purge_deleted(regclass,interval)'),
			   ('admin', 'plystra.audit_purge(timestamptz)'),
			   ('admin', 'plystra.audit_maintain()'),
			   ('admin', 'plystra.audit_partitions()'),
			   ('monitor', 'plystra.audit_partitions()'),
			   ('admin', 'plystra.audit_seal()'),
			   ('admin', 'plystra.audit_verify()'),
			   ('admin', 'plystra.audit_head()'),
			   ('admin', 'plystra.audit_verify_head(text)'),
			   ('monitor', 'plystra.audit_verify()'),
			   ('monitor', 'plystra.audit_head()'),
			   ('monitor', 'plystra.audit_verify_head(text)'),
			   ('authenticator', 'plystra.set_password_hash(bigint,text)'),
			   ('authenticator', 'plystra.password_hash(bigint)')
	)
	SELECT k.access, 'SCHEMA', 'plystra', 'USAGE' FROM kinds k
	UNION ALL
	SELECT 'application', 'TABLE', v.oid::regclass::text, p.privilege
	  FROM views v,
		   LATERAL unnest(CASE
			   WHEN v.relname = 'access' OR v.relname LIKE 'deleted\_%' THEN '{}'::text[]
			   WHEN v.relname = 'schema_migrations' THEN '{SELECT}'::text[]
			   WHEN v.locked THEN '{SELECT,INSERT}'::text[]
			   ELSE '{SELECT,INSERT,UPDATE,DELETE}'::text[] END) AS p(privilege)
	UNION ALL
	SELECT k.access, 'TABLE', v.oid::regclass::text, 'SELECT'
	  FROM views v, (VALUES ('admin'), ('monitor')) k(access)
	 WHERE v.relname = 'access' OR (v.relname LIKE 'deleted\_%' AND k.access = 'admin')
	UNION ALL
	SELECT f.access, 'FUNCTION', f.fn::regprocedure::text, 'EXECUTE' FROM functions f
$$;
REVOKE ALL ON FUNCTION plystra._access_privileges() FROM PUBLIC;
COMMENT ON FUNCTION plystra._access_privileges() IS
'Internal: what each kind of access gives, one row per privilege';

CREATE VIEW plystra.access AS
	SELECT g.role_name AS role, g.access
	  FROM plystra_data.access_grants g
	 WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
				   WHERE r.oid OPERATOR(pg_catalog.=) g.role_oid
					 AND r.rolname OPERATOR(pg_catalog.=) g.role_name);
COMMENT ON VIEW plystra.access IS
'Who has which access to the extension, as plystra.grant_access() recorded it (records of dropped or renamed roles left out: doctor() reports them)';

CREATE FUNCTION plystra.grant_access(role regrole, access text)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_grant_access';
REVOKE ALL ON FUNCTION plystra.grant_access(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION plystra.grant_access(regrole, text) IS
'Gives a role an access to the extension (application, migrator, monitor, admin or authenticator) and records it, so that updates extend it to new objects';

CREATE FUNCTION plystra.revoke_access(role regrole, access text)
RETURNS void
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_revoke_access';
REVOKE ALL ON FUNCTION plystra.revoke_access(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION plystra.revoke_access(regrole, text) IS
'Takes an access to the extension from a role and forgets it; what another access of the role gives stays';

CREATE FUNCTION plystra._apply_access()
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_apply_access';
REVOKE ALL ON FUNCTION plystra._apply_access() FROM PUBLIC;
COMMENT ON FUNCTION plystra._apply_access() IS
'Internal: grants every recorded access again, at the end of each script, so that new objects are granted; callable only from plystra''s scripts';

/*
 * How the privileges roles hold on the extension's interface differ from
 * what their recorded access gives: 'missing' privileges of a recorded
 * access (a superuser misses none), 'extra' privileges beyond it (held
 * directly, by a role that is neither a superuser nor the owner, or by
 * PUBLIC; on a column, which no access gives), and 'no
 * such role' for a record whose role is gone (dropped, renamed, or dropped
 * and created again: the new role gets nothing of the old one's access).  doctor() reports them.
 */
CREATE FUNCTION plystra._access_differences(OUT role name, OUT difference text,
											OUT object_type text, OUT object text,
											OUT privilege text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH live AS (
		-- the records whose role still exists under its name
		SELECT g.role_name, g.access
		  FROM plystra_data.access_grants g
		  JOIN pg_catalog.pg_roles r ON r.oid = g.role_oid AND r.rolname = g.role_name
	), want AS (
		SELECT g.role_name, a.object_type, a.object, a.privilege
		  FROM live g
		  JOIN plystra._access_privileges() a ON a.access = g.access
	), members AS (
		SELECT d.classid, d.objid
		  FROM pg_catalog.pg_depend d
		  JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid AND x.extname = 'plystra'
		 WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
	), acl AS (
		SELECT 'SCHEMA' AS object_type, n.nspname::text AS object, n.nspowner AS owner, a.grantee,
			   a.privilege_type
		  FROM pg_catalog.pg_namespace n, LATERAL pg_catalog.aclexplode(n.nspacl) a
		 WHERE n.nspname = 'plystra'
		UNION ALL
		SELECT 'TABLE', c.oid::regclass::text, c.relowner, a.grantee, a.privilege_type
		  FROM members m JOIN pg_catalog.pg_class c
			ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid,
			   LATERAL pg_catalog.aclexplode(c.relacl) a
		 WHERE c.relnamespace = 'plystra'::regnamespace
		UNION ALL
		SELECT 'FUNCTION', p.oid::regprocedure::text, p.proowner, a.grantee, a.privilege_type
		  FROM members m JOIN pg_catalog.pg_proc p
			ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid,
			   LATERAL pg_catalog.aclexplode(p.proacl) a
		UNION ALL
		-- no access gives a privilege on a column: every one is extra
		SELECT 'COLUMN', c.oid::regclass::text || '.' || quote_ident(t.attname), c.relowner,
			   a.grantee, a.privilege_type
		  FROM members m JOIN pg_catalog.pg_class c
			ON m.classid = 'pg_catalog.pg_class'::regclass AND c.oid = m.objid
		  JOIN pg_catalog.pg_attribute t ON t.attrelid = c.oid AND t.attnum > 0 AND NOT t.attisdropped,
			   LATERAL pg_catalog.aclexplode(t.attacl) a
		 WHERE c.relnamespace = 'plystra'::regnamespace
	), have AS (
		-- PUBLIC's EXECUTE on functions is doctor()'s 'function privileges'
		SELECT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE r.rolname END AS role_name,
			   acl.object_type, acl.object, acl.privilege_type AS privilege
		  FROM acl LEFT JOIN pg_catalog.pg_roles r ON r.oid = acl.grantee
		 WHERE acl.grantee <> acl.owner
		   AND CASE WHEN acl.grantee = 0 THEN NOT (acl.object_type = 'FUNCTION')
					ELSE NOT coalesce(r.rolsuper, true) END
	)
	SELECT w.role_name, 'missing', w.object_type, w.object, w.privilege
	  FROM want w
	 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
					   WHERE r.rolname = w.role_name AND r.rolsuper)
	   AND NOT EXISTS (SELECT 1 FROM have h
						WHERE h.role_name = w.role_name AND h.object_type = w.object_type
						  AND h.object = w.object AND h.privilege = w.privilege)
	UNION ALL
	SELECT h.role_name, 'extra', h.object_type, h.object, h.privilege
	  FROM have h
	 WHERE NOT EXISTS (SELECT 1 FROM want w
						WHERE w.role_name = h.role_name AND w.object_type = h.object_type
						  AND w.object = h.object AND w.privilege = h.privilege)
	UNION ALL
	SELECT g.role_name, 'no such role', NULL, NULL, NULL
	  FROM plystra_data.access_grants g
	 WHERE NOT EXISTS (SELECT 1 FROM live l WHERE l.role_name = g.role_name AND l.access = g.access)
	 GROUP BY g.role_name
	 ORDER BY 1, 2, 3, 4, 5
$$;
REVOKE ALL ON FUNCTION plystra._access_differences() FROM PUBLIC;
COMMENT ON FUNCTION plystra._access_differences() IS
'Internal: how the privileges roles hold on the interface differ from their recorded access: missing, extra, or a record of a role that is gone';


/*
 * Before 1.2, README told DBAs to GRANT by hand; roles granted that way are
 * recorded with the access the grant amounted to (see _adopt_access()).
 * This function and _date_builtin_rows() live for the length of this
 * script only (nothing else can call them in between, so no REVOKE or
 * COMMENT: the mutation test shows they would change nothing).
 */
CREATE FUNCTION plystra._adopt_access()
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_adopt_access';

/*
 * Built-in rows carry the time their migration was applied, which the
 * history keeps, so that a restored dump gives them back as they were
 * (builtin_rows.c).  Versions before 1.2 stamped them with the start of
 * the transaction that installed them.
 */
CREATE FUNCTION plystra._date_builtin_rows(rel regclass, migration text, ids bigint[])
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_date_builtin_rows_sql';
SELECT plystra._date_builtin_rows('plystra_data.permissions', '001_finance_demo', NULL);
SELECT plystra._date_builtin_rows('plystra_data.roles', '001_finance_demo', NULL);
SELECT plystra._date_builtin_rows('plystra_data.role_permissions', '001_finance_demo', NULL);
SELECT plystra._date_builtin_rows('plystra_data.audit_event_types', '004_production_readiness', '{1,2,3,4,5,6}');
SELECT plystra._date_builtin_rows('plystra_data.audit_event_types', '006_data_console_mutations', '{7}');
SELECT plystra._date_builtin_rows('plystra_data.audit_event_types', '013_user_admin_grants', '{8,9}');
SELECT plystra._date_builtin_rows('plystra_data.audit_event_types', '014_authn_hardening', '{10,11,12,13}');
DROP FUNCTION plystra._date_builtin_rows(regclass, text, bigint[]);

/*
 * The views that hide rows become plain views owned by plystra_interface
 * over storage whose row-level security hides the rows: joins through them
 * use the indexes (ext/defs/interface.sql, as in a fresh install).
 */
@include interface

-- the views of deleted rows, for the admin access (ext/defs/deleted.sql)
@include deleted

-- the owner of an append-only partitioned table adds partitions: PostgreSQL
-- checks EXECUTE on the row guard it clones to them (ext/defs/bootstrap.sql)
GRANT EXECUTE ON FUNCTION plystra.append_only_guard() TO PUBLIC;

/*
 * Privileges: UPDATE, DELETE and TRUNCATE on append-only tables and their
 * views allow nothing but LOCK TABLE (README's grants of 1.0 and 1.1 gave
 * them); and what default privileges gave other roles on what this script
 * created goes.
 */
SELECT plystra._revoke_lock_privileges();
SELECT plystra._revoke_default_privileges();
SELECT plystra._adopt_access();
DROP FUNCTION plystra._adopt_access();

-- then the recorded access, to what this script created too
SELECT plystra._apply_access();

-- what drift_check() compares now includes policies and owners' names
@include catalog_facts

-- last: what version 1.2 defines, for drift_check()
SELECT plystra._record_manifest('1.2');

-- end of plystra--1.1--1.2.sql
