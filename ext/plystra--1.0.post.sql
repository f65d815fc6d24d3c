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
 * The interface views that filter rows are security barriers: a function
 * or operator in a caller's query must not see the rows they hide (soft-
 * deleted entities, relationships of deleted parents) before the filter
 * has run.  They stay simply updatable; leakproof comparisons such as an
 * id lookup are still pushed down to the indexes.
 */
ALTER VIEW plystra.users SET (security_barrier = true);
ALTER VIEW plystra.members SET (security_barrier = true);
ALTER VIEW plystra.spaces SET (security_barrier = true);
ALTER VIEW plystra.groups SET (security_barrier = true);
ALTER VIEW plystra.roles SET (security_barrier = true);
ALTER VIEW plystra.resources SET (security_barrier = true);
ALTER VIEW plystra.user_members SET (security_barrier = true);
ALTER VIEW plystra.role_permissions SET (security_barrier = true);
ALTER VIEW plystra.member_roles SET (security_barrier = true);
ALTER VIEW plystra.resource_mappings SET (security_barrier = true);
ALTER VIEW plystra.plugin_settings_values SET (security_barrier = true);
ALTER VIEW plystra.template_installations SET (security_barrier = true);
ALTER VIEW plystra.sessions SET (security_barrier = true);
ALTER VIEW plystra.admin_grants SET (security_barrier = true);

/*
 * Soft delete.  DELETE through the interface of a soft-deletable entity
 * sets deleted_at (C, INSTEAD OF DELETE); every change of deleted_at, by
 * DELETE, by UPDATE ... SET deleted_at as ORMs send, or by restore(), is
 * audited; new rows cannot reference deleted entities.
 */
CREATE FUNCTION plystra.soft_delete_trigger()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_soft_delete_trigger';
REVOKE ALL ON FUNCTION plystra.soft_delete_trigger() FROM PUBLIC;
COMMENT ON FUNCTION plystra.soft_delete_trigger() IS
'INSTEAD OF DELETE row trigger of an interface view: sets deleted_at of the storage row named by its argument and counts it';

CREATE FUNCTION plystra.deleted_at_audit()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_deleted_at_audit';
REVOKE ALL ON FUNCTION plystra.deleted_at_audit() FROM PUBLIC;
COMMENT ON FUNCTION plystra.deleted_at_audit() IS
'AFTER UPDATE row trigger: audits entity.deleted or entity.restored when deleted_at changes between null and not null';

CREATE FUNCTION plystra.deleted_at_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_deleted_at_guard';
REVOKE ALL ON FUNCTION plystra.deleted_at_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.deleted_at_guard() IS
'BEFORE INSERT or UPDATE row trigger: the server dates soft deletes; a new row cannot be born deleted';

CREATE TRIGGER plystra_deleted_at_insert BEFORE INSERT ON plystra_data.spaces
	FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_update BEFORE UPDATE OF deleted_at ON plystra_data.spaces
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_insert BEFORE INSERT ON plystra_data.groups
	FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_update BEFORE UPDATE OF deleted_at ON plystra_data.groups
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_insert BEFORE INSERT ON plystra_data.users
	FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_update BEFORE UPDATE OF deleted_at ON plystra_data.users
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_insert BEFORE INSERT ON plystra_data.members
	FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_update BEFORE UPDATE OF deleted_at ON plystra_data.members
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_insert BEFORE INSERT ON plystra_data.roles
	FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_update BEFORE UPDATE OF deleted_at ON plystra_data.roles
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_insert BEFORE INSERT ON plystra_data.resources
	FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_update BEFORE UPDATE OF deleted_at ON plystra_data.resources
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();

CREATE FUNCTION plystra.live_parent_check()
RETURNS trigger
LANGUAGE C
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
 * Operations: the manifest of what this version defines, drift_check() and
 * doctor().
 *
 * plystra._catalog_facts() describes every object of the extension's two
 * schemas as (object_type, object, detail) rows: relations, columns with
 * their types, defaults and nullability, constraints, indexes with their
 * predicates, triggers with their enabled state, views with their
 * definitions, functions with their full definition (volatility, security,
 * settings), sequences, event triggers, extension members, dump
 * registration, and what PUBLIC may do.  Privileges a DBA grants to named
 * roles are not drift and are left out.  At the end of each version script
 * the facts are recorded as that version's manifest; drift_check() compares
 * the live facts with the manifest of the installed version.  Capturing the
 * manifest on the server itself keeps it independent of how the server
 * version deparses definitions; the upgrade matrix checks that every path
 * to a version records the same manifest.
 */
CREATE FUNCTION plystra._catalog_facts(OUT object_type text, OUT object text, OUT detail text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH nsp AS (
	SELECT oid, nspname FROM pg_catalog.pg_namespace
	 WHERE nspname IN ('plystra', 'plystra_data')
), rel AS (
	SELECT c.oid, c.relkind, pg_catalog.format('%I.%I', n.nspname, c.relname) AS qname
	  FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace
	 WHERE c.relkind <> 't'
), fn AS (
	SELECT p.oid FROM pg_catalog.pg_proc p JOIN nsp n ON n.oid = p.pronamespace
)
SELECT 'relation', r.qname,
	   pg_catalog.concat_ws(' ', c.relkind::text, c.relpersistence::text,
							CASE WHEN c.relrowsecurity THEN 'rls' END,
							CASE WHEN c.relforcerowsecurity THEN 'force rls' END,
							CASE WHEN c.relowner <> x.extowner THEN 'not owned by the extension owner' END,
							CASE WHEN c.relkind = 'v' THEN c.reloptions::text END)
  FROM rel r JOIN pg_catalog.pg_class c ON c.oid = r.oid,
	   pg_catalog.pg_extension x
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'schema', n.nspname,
	   CASE WHEN s.nspowner <> x.extowner THEN 'not owned by the extension owner' ELSE '' END
  FROM nsp n JOIN pg_catalog.pg_namespace s ON s.oid = n.oid,
	   pg_catalog.pg_extension x
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'column', r.qname || '.' || a.attname,
	   pg_catalog.concat_ws(' ',
		   pg_catalog.format_type(a.atttypid, a.atttypmod),
		   CASE WHEN a.attnotnull THEN 'not null' END,
		   'default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid),
		   'identity ' || NULLIF(a.attidentity::text, ''),
		   'generated ' || NULLIF(a.attgenerated::text, ''))
  FROM rel r
  JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'v', 'p')
UNION ALL
SELECT 'constraint', r.qname || '.' || co.conname,
	   co.contype::text || ' ' || pg_catalog.pg_get_constraintdef(co.oid)
  FROM rel r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid
UNION ALL
SELECT 'index', r.qname,
	   -- storage parameters (fillfactor) are tuning, not definition
	   pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(r.oid), ' WITH \([^)]*\)', '')
  FROM rel r WHERE r.relkind IN ('i', 'I')
UNION ALL
SELECT 'trigger', r.qname || '.' || t.tgname,
	   'enabled ' || t.tgenabled::text || ' ' || pg_catalog.pg_get_triggerdef(t.oid)
  FROM rel r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'rule', r.qname || '.' || rw.rulename, pg_catalog.pg_get_ruledef(rw.oid)
  FROM rel r JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = r.oid
 WHERE rw.rulename <> '_RETURN'
UNION ALL
SELECT 'view', r.qname, pg_catalog.pg_get_viewdef(r.oid)
  FROM rel r WHERE r.relkind = 'v'
UNION ALL
SELECT 'sequence', r.qname,
	   pg_catalog.concat_ws(' ', pg_catalog.format_type(s.seqtypid, NULL), s.seqstart,
							s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
  FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
UNION ALL
SELECT 'function', p.oid::pg_catalog.regprocedure::text,
	   pg_catalog.pg_get_functiondef(p.oid)
	   || CASE WHEN p.proowner <> x.extowner THEN ' not owned by the extension owner' ELSE '' END
  FROM fn JOIN pg_catalog.pg_proc p ON p.oid = fn.oid,
	   pg_catalog.pg_extension x
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'event trigger', e.evtname,
	   pg_catalog.concat_ws(' ', e.evtevent, 'enabled ' || e.evtenabled::text,
							e.evtfoid::pg_catalog.regproc::text, e.evttags::text)
  FROM pg_catalog.pg_event_trigger e
 WHERE e.evtfoid IN (SELECT oid FROM fn)
UNION ALL
SELECT 'member', pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ''
  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
 WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
   AND x.extname = 'plystra' AND d.deptype = 'e'
UNION ALL
SELECT 'dump registration', c.cfg::pg_catalog.regclass::text, coalesce(c.cond, '')
  FROM pg_catalog.pg_extension x,
	   LATERAL ROWS FROM (pg_catalog.unnest(x.extconfig), pg_catalog.unnest(x.extcondition)) AS c(cfg, cond)
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'public privilege', r.qname,
	   pg_catalog.string_agg(a.privilege_type, ',' ORDER BY a.privilege_type)
  FROM rel r JOIN pg_catalog.pg_class c ON c.oid = r.oid,
	   LATERAL pg_catalog.aclexplode(c.relacl) a
 WHERE a.grantee = 0
 GROUP BY r.qname
UNION ALL
SELECT 'public privilege', p.oid::pg_catalog.regprocedure::text,
	   pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')::text
  FROM fn JOIN pg_catalog.pg_proc p ON p.oid = fn.oid
UNION ALL
SELECT 'public privilege', 'schema ' || n.nspname,
	   pg_catalog.concat_ws(',',
		   CASE WHEN pg_catalog.has_schema_privilege('public', n.oid, 'USAGE') THEN 'USAGE' END,
		   CASE WHEN pg_catalog.has_schema_privilege('public', n.oid, 'CREATE') THEN 'CREATE' END)
  FROM nsp n
$$;
REVOKE ALL ON FUNCTION plystra._catalog_facts() FROM PUBLIC;
COMMENT ON FUNCTION plystra._catalog_facts() IS
'Internal: every object of the extension''s schemas as (object_type, object, detail) facts';

CREATE TABLE plystra_data.manifest (
	version		text NOT NULL,
	object_type	text NOT NULL,
	object		text NOT NULL,
	detail		text NOT NULL,
	CONSTRAINT manifest_pkey PRIMARY KEY (version, object_type, object)
);
COMMENT ON TABLE plystra_data.manifest IS
'What each installed version of the extension defines, recorded by its script; drift_check() compares the catalog with it. Not dumped: CREATE EXTENSION records it again';
CREATE TRIGGER plystra_append_only
	BEFORE UPDATE OR DELETE ON plystra_data.manifest
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard(
		'The manifest is what the extension version defines.');
CREATE TRIGGER plystra_append_only_truncate
	BEFORE TRUNCATE ON plystra_data.manifest
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard(
		'The manifest is what the extension version defines.');
ALTER TABLE plystra_data.manifest
	ENABLE ALWAYS TRIGGER plystra_append_only,
	ENABLE ALWAYS TRIGGER plystra_append_only_truncate;
INSERT INTO plystra_data.append_only_relations (relation, builtin)
	VALUES ('plystra_data.manifest', true);

CREATE FUNCTION plystra._record_manifest(version text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO plystra_data.manifest (version, object_type, object, detail)
	SELECT $1, f.object_type, f.object, f.detail FROM plystra._catalog_facts() f
$$;
REVOKE ALL ON FUNCTION plystra._record_manifest(text) FROM PUBLIC;
COMMENT ON FUNCTION plystra._record_manifest(text) IS
'Internal: records what a version defines, at the end of its script';

CREATE FUNCTION plystra._library_version()
RETURNS text
LANGUAGE C IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_library_version_sql';
COMMENT ON FUNCTION plystra._library_version() IS
'The version of the loaded plystra library';

CREATE FUNCTION plystra.drift_check()
RETURNS TABLE (object_type text, object text, drift text, expected text, actual text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH want AS (
		SELECT m.object_type, m.object, m.detail
		  FROM plystra_data.manifest m
		 WHERE m.version = (SELECT extversion FROM pg_catalog.pg_extension
							 WHERE extname = 'plystra')
	), live AS (
		SELECT f.object_type, f.object, f.detail FROM plystra._catalog_facts() f
	)
	SELECT coalesce(w.object_type, l.object_type),
		   coalesce(w.object, l.object),
		   CASE WHEN l.object IS NULL THEN 'missing'
				WHEN w.object IS NULL THEN 'unexpected'
				ELSE 'changed' END,
		   w.detail, l.detail
	  FROM want w
	  FULL JOIN live l ON l.object_type = w.object_type AND l.object = w.object
	 WHERE w.detail IS DISTINCT FROM l.detail
	 ORDER BY 1, 2
$$;
REVOKE ALL ON FUNCTION plystra.drift_check() FROM PUBLIC;
COMMENT ON FUNCTION plystra.drift_check() IS
'Every difference between the catalog of the extension''s objects and what the installed version defines; no rows means no drift';

CREATE FUNCTION plystra.doctor()
RETURNS TABLE ("check" text, status text, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext_version text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'plystra');
	lib_version text := plystra._library_version();
	server_num int := current_setting('server_version_num')::int;
	n bigint;
	first_items text;
	oldest timestamptz;
	retention interval;
BEGIN
	"check" := 'server version';
	IF server_num / 10000 = 15 THEN
		status := 'ok';
		detail := 'PostgreSQL ' || current_setting('server_version') || ', the version plystra is tested on';
	ELSIF server_num >= 130000 THEN
		status := 'warn';
		detail := 'PostgreSQL ' || current_setting('server_version')
				  || ' builds, but plystra is tested on 15 only. Hint: run the test suite on this version before relying on it.';
	ELSE
		status := 'fail';
		detail := 'PostgreSQL ' || current_setting('server_version') || ' is older than 13. Hint: upgrade PostgreSQL.';
	END IF;
	RETURN NEXT;

	"check" := 'extension and library';
	IF ext_version = lib_version THEN
		status := 'ok';
		detail := 'extension ' || ext_version || ', library ' || lib_version;
	ELSE
		status := 'fail';
		detail := 'extension ' || ext_version || ', library ' || lib_version || '. Hint: '
				  || CASE WHEN string_to_array(ext_version, '.')::int[] < string_to_array(lib_version, '.')::int[]
						  THEN 'run ALTER EXTENSION plystra UPDATE, then restart the application.'
						  ELSE 'install the plystra library of version ' || ext_version || ' (make install from the matching source).'
					 END;
	END IF;
	RETURN NEXT;

	"check" := 'pending migrations';
	SELECT count(*), string_agg(s.name, ', ' ORDER BY s.name) INTO n, first_items
	  FROM plystra.migration_status('plystra') s WHERE s.state = 'pending';
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'none'
				   ELSE n || ' shipped by the library but not applied: ' || first_items
						|| '. Hint: run ALTER EXTENSION plystra UPDATE.' END;
	RETURN NEXT;

	"check" := 'migrate_verify';
	SELECT count(*), string_agg(v.component || '/' || v.name || ' ' || v.problem, ', ')
	  INTO n, first_items FROM plystra.migrate_verify() v;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'the migration history is intact'
				   ELSE n || CASE WHEN n = 1 THEN ' problem: ' ELSE ' problems: ' END || first_items
						|| '. Hint: SELECT * FROM plystra.migrate_verify() says what each one means.' END;
	RETURN NEXT;

	"check" := 'drift_check';
	SELECT count(*), string_agg(d.object_type || ' ' || d.object || ' ' || d.drift, '; ')
	  INTO n, first_items
	  FROM (SELECT * FROM plystra.drift_check() LIMIT 3) d;
	IF n > 0 THEN
		SELECT count(*) INTO n FROM plystra.drift_check();
	END IF;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'the catalog matches what version ' || ext_version || ' defines'
				   ELSE n || ' differences, first: ' || first_items
						|| '. Hint: SELECT * FROM plystra.drift_check() lists them with expected and actual definitions.' END;
	RETURN NEXT;

	"check" := 'guard triggers';
	SELECT count(*), string_agg(g.what, ', ') INTO n, first_items
	  FROM (SELECT r.relation::text || '.' || t.name
				   || CASE WHEN tg.oid IS NULL THEN ' missing' ELSE ' enabled ' || tg.tgenabled::text END AS what
			  FROM plystra_data.append_only_relations r
			  CROSS JOIN (VALUES ('plystra_append_only'), ('plystra_append_only_truncate')) AS t(name)
			  LEFT JOIN pg_catalog.pg_trigger tg
				ON tg.tgrelid = r.relation AND tg.tgname = t.name
			 WHERE tg.oid IS NULL OR tg.tgenabled <> 'A'
			UNION ALL
			SELECT 'plystra_data.audit_logs.plystra_created_at'
				   || CASE WHEN tg.oid IS NULL THEN ' missing' ELSE ' enabled ' || tg.tgenabled::text END
			  FROM (SELECT 1) one
			  LEFT JOIN pg_catalog.pg_trigger tg
				ON tg.tgrelid = 'plystra_data.audit_logs'::regclass AND tg.tgname = 'plystra_created_at'
			 WHERE tg.oid IS NULL OR tg.tgenabled <> 'A') g;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0
				   THEN (SELECT count(*) FROM plystra_data.append_only_relations)
						|| ' append-only tables, every guard trigger present and ENABLE ALWAYS'
				   ELSE 'not guarding: ' || first_items
						|| '. Hint: the guard was switched off below SQL''s reach (catalog edit); restore the trigger with ALTER TABLE ... ENABLE ALWAYS TRIGGER and find out who did it.' END;
	RETURN NEXT;

	"check" := 'event triggers';
	SELECT count(*), string_agg(x.name || coalesce(' enabled ' || e.evtenabled::text, ' missing'), ', ')
	  INTO n, first_items
	  FROM (VALUES ('plystra_ddl_guard'), ('plystra_ddl_guard_end'), ('plystra_drop_guard')) AS x(name)
	  LEFT JOIN pg_catalog.pg_event_trigger e ON e.evtname = x.name
	 WHERE e.oid IS NULL OR e.evtenabled <> 'A';
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'plystra_ddl_guard, plystra_ddl_guard_end, plystra_drop_guard present and ENABLE ALWAYS'
				   ELSE 'not guarding DDL: ' || first_items
						|| '. Hint: ALTER EVENT TRIGGER <name> ENABLE ALWAYS, and find out who disabled it (event triggers do not fire for ALTER EVENT TRIGGER).' END;
	RETURN NEXT;

	"check" := 'dump registration';
	SELECT count(*), string_agg(c.oid::regclass::text, ', ') INTO n, first_items
	  FROM pg_catalog.pg_class c
	 WHERE c.relnamespace = 'plystra_data'::regnamespace AND c.relkind IN ('r', 'S')
	   AND c.oid <> 'plystra_data.manifest'::regclass
	   AND c.oid NOT IN (SELECT unnest(extconfig) FROM pg_catalog.pg_extension WHERE extname = 'plystra');
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'every table and sequence of plystra_data is dumped by pg_dump'
				   ELSE n || ' not dumped: ' || first_items
						|| '. Hint: their rows would be lost by a dump and restore; reinstall the extension scripts of this version.' END;
	RETURN NEXT;

	"check" := 'session_replication_role';
	status := CASE WHEN current_setting('session_replication_role') = 'origin' THEN 'ok' ELSE 'warn' END;
	detail := CASE WHEN status = 'ok' THEN 'origin'
				   ELSE current_setting('session_replication_role')
						|| ': the guards still fire, but foreign keys, updated_at and soft delete audit triggers do not. Hint: SET session_replication_role = origin outside replication and restores.' END;
	RETURN NEXT;

	"check" := 'storage privileges';
	SELECT count(*), string_agg(DISTINCT r.rolname, ', ') INTO n, first_items
	  FROM pg_catalog.pg_roles r
	 WHERE NOT r.rolsuper
	   AND r.rolname !~ '^pg_'
	   AND pg_catalog.has_schema_privilege(r.oid, 'plystra_data'::regnamespace, 'USAGE');
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'warn' END;
	detail := CASE WHEN n = 0 THEN 'no role but superusers can reach plystra_data'
				   ELSE 'roles with USAGE on plystra_data: ' || first_items
						|| '. Hint: applications are granted schema plystra only: REVOKE ALL ON SCHEMA plystra_data FROM <role>.' END;
	RETURN NEXT;

	"check" := 'function privileges';
	SELECT count(*), string_agg(p.oid::regprocedure::text, ', ') INTO n, first_items
	  FROM pg_catalog.pg_proc p
	 WHERE p.pronamespace = 'plystra'::regnamespace
	   AND p.proname NOT IN ('migration_checksum', 'append_only_tables', '_builtin_migrations',
							 '_library_version')
	   AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE');
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'PUBLIC can execute no privileged function'
				   ELSE 'PUBLIC can execute: ' || first_items
						|| '. Hint: REVOKE EXECUTE ON FUNCTION ... FROM PUBLIC and grant it to the roles that need it.' END;
	RETURN NEXT;

	"check" := 'audit log';
	SELECT min(a.created_at) INTO oldest FROM plystra_data.audit_logs a;
	retention := make_interval(secs => (SELECT setting::double precision FROM pg_catalog.pg_settings
										 WHERE name = 'plystra.audit_min_retention'));
	status := 'ok';
	detail := pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size('plystra_data.audit_logs'))
			  || CASE WHEN oldest IS NULL THEN ', no rows'
					  ELSE ', oldest row from ' || oldest::date || ' ('
						   || date_part('day', now() - oldest)::int || ' days ago)' END
			  || '; minimum retention ' || current_setting('plystra.audit_min_retention')
			  || CASE WHEN oldest < now() - retention
					  THEN '; rows older than that may be removed with plystra.audit_purge()' ELSE '' END;
	RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION plystra.doctor() FROM PUBLIC;
COMMENT ON FUNCTION plystra.doctor() IS
'Checks a DBA runs before restarting the application: versions, migrations, drift, guards, dump registration, privileges, audit log';

/*
 * The id of a row never changes: audit rows and relationships name rows by
 * id (audit_logs is append-only anyway).
 */
CREATE FUNCTION plystra.id_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_id_guard';
REVOKE ALL ON FUNCTION plystra.id_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.id_guard() IS
'BEFORE UPDATE OF id row trigger: refuses changing a row''s id, but for the storage owner';

CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.spaces
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.groups
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.users
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.members
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.user_members
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.roles
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.permissions
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.role_permissions
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.member_roles
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.resource_types
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.resource_actions
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.resources
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.resource_mappings
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.plugins
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.plugin_settings_definitions
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.plugin_settings_values
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.audit_event_types
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.background_jobs
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.plugin_admin_menus
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.template_installations
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.sessions
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.admin_grants
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();

/*
 * Seed rows stay as shipped: pg_dump leaves them out (CREATE EXTENSION
 * writes them again on restore), so nobody may change, delete or add
 * built-in rows.
 */
CREATE FUNCTION plystra.builtin_row_guard()
RETURNS trigger
LANGUAGE C
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

-- last: what version 1.0 defines, for drift_check()
SELECT plystra._record_manifest('1.0');

-- end of plystra--1.0.sql
