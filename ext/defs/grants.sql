-- ext/defs/grants.sql
-- Current definitions: what each role may do with the extension's objects.
-- Last in the full install script: it revokes what default privileges
-- gave on the objects the script created.

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
 * Privileges: UPDATE, DELETE and TRUNCATE on append-only tables and their
 * views allow nothing but LOCK TABLE (README's grants of 1.0 and 1.1 gave
 * them); and what default privileges gave other roles on what this script
 * created goes: access is given by grant_access().
 */
SELECT plystra._revoke_lock_privileges();
SELECT plystra._revoke_default_privileges();

-- then the recorded access, to what this script created too
SELECT plystra._apply_access();
