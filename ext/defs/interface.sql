-- ext/defs/interface.sql
-- Current definitions: which rows the interface views show, and who owns
-- them.  Deleted entities, and the relationship rows of deleted parents,
-- are hidden by row-level security on the storage, applied to the views'
-- owner plystra_interface and so to every caller of the views, superusers
-- included (src/row_security.c says why: views that join as fast as the
-- tables under them, and a caller's function still never sees a hidden
-- row).

/*
 * The owner of the views that hide rows: created when the cluster has
 * none, refused when it could be used.
 */
CREATE FUNCTION plystra._interface_role()
RETURNS regrole
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_interface_role';
REVOKE ALL ON FUNCTION plystra._interface_role() FROM PUBLIC;
COMMENT ON FUNCTION plystra._interface_role() IS
'Internal: creates the role plystra_interface that owns the interface views, or checks that the existing one is NOLOGIN, without attributes, members or memberships';
SELECT plystra._interface_role();

/*
 * Part of the policy of soft-deletable entities: an UPDATE through a view
 * must leave a row the view's owner may see, and UPDATE ... SET deleted_at
 * (an ORM's soft delete) leaves one that this transaction deleted.  Every
 * caller of the views evaluates the policy, so every role may call it; it
 * tells a transaction only what it did itself.
 */
CREATE FUNCTION plystra._soft_deleting(rel regclass, id bigint)
RETURNS boolean
LANGUAGE C STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_soft_deleting';
COMMENT ON FUNCTION plystra._soft_deleting(regclass, bigint) IS
'Internal: whether this transaction has soft-deleted row id of rel (policies of the storage)';

/*
 * What the owner of the views may do with the storage under them: what the
 * views let their callers do (a soft delete goes through its trigger, which
 * acts as the storage owner).
 */
GRANT USAGE ON SCHEMA plystra_data TO plystra_interface;
GRANT SELECT, INSERT, UPDATE ON TABLE
	plystra_data.spaces, plystra_data.groups, plystra_data.users,
	plystra_data.members, plystra_data.roles, plystra_data.resources
	TO plystra_interface;
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE
	plystra_data.user_members, plystra_data.role_permissions,
	plystra_data.member_roles, plystra_data.resource_mappings,
	plystra_data.plugin_settings_values, plystra_data.template_installations,
	plystra_data.sessions, plystra_data.admin_grants,
	plystra_data.user_allowed_groups
	TO plystra_interface;

-- entities: live rows only; their views were security barriers before 1.2
ALTER VIEW plystra.spaces RESET (security_barrier);
ALTER VIEW plystra.groups RESET (security_barrier);
ALTER VIEW plystra.users RESET (security_barrier);
ALTER VIEW plystra.members RESET (security_barrier);
ALTER VIEW plystra.roles RESET (security_barrier);
ALTER VIEW plystra.resources RESET (security_barrier);
@live_rows spaces deleted_at IS NULL OR plystra._soft_deleting('plystra_data.spaces'::pg_catalog.regclass, id)
@live_rows groups deleted_at IS NULL OR plystra._soft_deleting('plystra_data.groups'::pg_catalog.regclass, id)
@live_rows users deleted_at IS NULL OR plystra._soft_deleting('plystra_data.users'::pg_catalog.regclass, id)
@live_rows members deleted_at IS NULL OR plystra._soft_deleting('plystra_data.members'::pg_catalog.regclass, id)
@live_rows roles deleted_at IS NULL OR plystra._soft_deleting('plystra_data.roles'::pg_catalog.regclass, id)
@live_rows resources deleted_at IS NULL OR plystra._soft_deleting('plystra_data.resources'::pg_catalog.regclass, id)

/*
 * Relationships: the rows of live parents only.  Each row says whether its
 * parents are live (parents_live, migration 017), kept by the triggers of
 * src/live_parents.c; the policy hides the others, so the views select
 * every row and stay simply updatable, and a DELETE or UPDATE through them
 * reaches visible rows only.
 */
CREATE FUNCTION plystra.parents_live_trigger()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_parents_live_trigger';
REVOKE ALL ON FUNCTION plystra.parents_live_trigger() FROM PUBLIC;
COMMENT ON FUNCTION plystra.parents_live_trigger() IS
'BEFORE INSERT OR UPDATE row trigger of a relationship table: sets parents_live, whether the parents named by its arguments (pairs of column and parent table) are live';

CREATE FUNCTION plystra._refresh_parents_live(rel regclass)
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_refresh_parents_live';
REVOKE ALL ON FUNCTION plystra._refresh_parents_live(regclass) FROM PUBLIC;
COMMENT ON FUNCTION plystra._refresh_parents_live(regclass) IS
'Internal: sets parents_live of the rows of rel that reference a deleted parent';

CREATE OR REPLACE VIEW plystra.user_members AS
	SELECT r.id, r.user_id, r.member_id, r.created_at
	  FROM plystra_data.user_members r;
@parents_live user_members 'user_id', 'plystra_data.users', 'member_id', 'plystra_data.members'
@live_rows user_members parents_live

CREATE OR REPLACE VIEW plystra.role_permissions AS
	SELECT r.id, r.role_id, r.permission_id, r.granted_by, r.metadata, r.builtin,
		   r.created_at, r.updated_at
	  FROM plystra_data.role_permissions r;
@parents_live role_permissions 'role_id', 'plystra_data.roles'
@live_rows role_permissions parents_live

CREATE OR REPLACE VIEW plystra.member_roles AS
	SELECT r.id, r.member_id, r.role_id, r.scope_anchor_group_id, r.granted_by,
		   r.expires_at, r.created_at, r.updated_at
	  FROM plystra_data.member_roles r;
@parents_live member_roles 'member_id', 'plystra_data.members', 'role_id', 'plystra_data.roles', 'scope_anchor_group_id', 'plystra_data.groups'
@live_rows member_roles parents_live

CREATE OR REPLACE VIEW plystra.resource_mappings AS
	SELECT r.id, r.resource_action_id, r.permission_id, r.resource_id,
		   r.created_at, r.updated_at
	  FROM plystra_data.resource_mappings r;
@parents_live resource_mappings 'resource_id', 'plystra_data.resources'
@live_rows resource_mappings parents_live

CREATE OR REPLACE VIEW plystra.plugin_settings_values AS
	SELECT r.id, r.definition_id, r.space_id, r.value, r.updated_by,
		   r.created_at, r.updated_at
	  FROM plystra_data.plugin_settings_values r;
@parents_live plugin_settings_values 'space_id', 'plystra_data.spaces'
@live_rows plugin_settings_values parents_live

CREATE OR REPLACE VIEW plystra.template_installations AS
	SELECT r.id, r.space_id, r.template_key, r.template_version, r.status,
		   r.parameters, r.installed_by, r.installed_at, r.created_at, r.updated_at
	  FROM plystra_data.template_installations r;
@parents_live template_installations 'space_id', 'plystra_data.spaces'
@live_rows template_installations parents_live

CREATE OR REPLACE VIEW plystra.sessions AS
	SELECT r.id, r.user_id, r.token_hash, r.created_at, r.last_seen_at,
		   r.expires_at, r.revoked_at, r.ip, r.user_agent
	  FROM plystra_data.sessions r;
@parents_live sessions 'user_id', 'plystra_data.users'
@live_rows sessions parents_live

CREATE OR REPLACE VIEW plystra.admin_grants AS
	SELECT r.id, r.user_id, r.scope, r.space_id, r.granted_by, r.reason,
		   r.created_at, r.updated_at, r.expires_at, r.revoked_at
	  FROM plystra_data.admin_grants r;
@parents_live admin_grants 'user_id', 'plystra_data.users', 'space_id', 'plystra_data.spaces'
@live_rows admin_grants parents_live

CREATE OR REPLACE VIEW plystra.user_allowed_groups AS
	SELECT r.user_id, r.group_id, r.created_at
	  FROM plystra_data.user_allowed_groups r;
@parents_live user_allowed_groups 'user_id', 'plystra_data.users', 'group_id', 'plystra_data.groups'
@live_rows user_allowed_groups parents_live
