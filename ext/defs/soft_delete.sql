-- ext/defs/soft_delete.sql
-- Current definitions: soft delete of entities, the relationships that
-- hide what belongs to deleted entities, restore() and purge_deleted().

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

CREATE FUNCTION plystra.live_parent_check()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_live_parent_check';
REVOKE ALL ON FUNCTION plystra.live_parent_check() FROM PUBLIC;
COMMENT ON FUNCTION plystra.live_parent_check() IS
'BEFORE INSERT OR UPDATE row trigger: refuses references (pairs of column and parent table) to soft-deleted rows';


/*
 * DELETE through the interface of these entities soft-deletes.  Which
 * rows their views show, and the views of the relationships that hide the
 * rows of deleted parents: ext/defs/interface.sql.
 */
@soft_delete spaces
@soft_delete groups
@soft_delete users
@soft_delete members
@soft_delete roles
@soft_delete resources

-- new rows cannot reference deleted entities
@live_parents groups 'space_id', 'plystra_data.spaces', 'parent_id', 'plystra_data.groups'
@live_parents members 'space_id', 'plystra_data.spaces'
@live_parents user_members 'user_id', 'plystra_data.users', 'member_id', 'plystra_data.members'
@live_parents roles 'space_id', 'plystra_data.spaces'
@live_parents role_permissions 'role_id', 'plystra_data.roles', 'granted_by', 'plystra_data.users'
@live_parents member_roles 'member_id', 'plystra_data.members', 'role_id', 'plystra_data.roles', 'scope_anchor_group_id', 'plystra_data.groups', 'granted_by', 'plystra_data.users'
@live_parents resources 'space_id', 'plystra_data.spaces', 'parent_id', 'plystra_data.resources'
@live_parents resource_mappings 'resource_id', 'plystra_data.resources'
@live_parents plugin_settings_values 'space_id', 'plystra_data.spaces', 'updated_by', 'plystra_data.users'
@live_parents template_installations 'space_id', 'plystra_data.spaces', 'installed_by', 'plystra_data.users'
@live_parents sessions 'user_id', 'plystra_data.users'
@live_parents admin_grants 'user_id', 'plystra_data.users', 'space_id', 'plystra_data.spaces', 'granted_by', 'plystra_data.users'
@live_parents user_allowed_groups 'user_id', 'plystra_data.users', 'group_id', 'plystra_data.groups'


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
@append_only reference_policies 'The policies of references are what the extension version defines.'
@script_only reference_policies
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
