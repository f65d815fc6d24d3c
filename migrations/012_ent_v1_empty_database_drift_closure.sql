-- 012_ent_v1_empty_database_drift_closure
-- Indexes the v1.0 model declares that an empty database was missing: every
-- foreign key gets an index, so that lookups by parent and the checks made
-- when a parent row is removed do not scan the child table.

CREATE INDEX groups_space_id_idx ON plystra_data.groups (space_id);
CREATE INDEX groups_parent_id_idx ON plystra_data.groups (parent_id);
CREATE INDEX user_members_member_id_idx ON plystra_data.user_members (member_id);
CREATE INDEX roles_space_id_idx ON plystra_data.roles (space_id);
CREATE INDEX role_permissions_permission_id_idx
	ON plystra_data.role_permissions (permission_id);
CREATE INDEX member_roles_role_id_idx ON plystra_data.member_roles (role_id);
CREATE INDEX member_roles_scope_anchor_group_id_idx
	ON plystra_data.member_roles (scope_anchor_group_id);
CREATE INDEX resources_resource_type_id_idx
	ON plystra_data.resources (resource_type_id);
CREATE INDEX resources_parent_id_idx ON plystra_data.resources (parent_id);
CREATE INDEX resource_mappings_permission_id_idx
	ON plystra_data.resource_mappings (permission_id);
CREATE INDEX resource_mappings_resource_id_idx
	ON plystra_data.resource_mappings (resource_id);
CREATE INDEX plugin_admin_menus_parent_id_idx
	ON plystra_data.plugin_admin_menus (parent_id);
CREATE INDEX plugin_settings_values_space_id_idx
	ON plystra_data.plugin_settings_values (space_id);
CREATE INDEX template_installations_space_id_idx
	ON plystra_data.template_installations (space_id);
CREATE INDEX audit_logs_event_type_created_at_idx
	ON plystra_data.audit_logs (event_type, created_at);
CREATE INDEX resources_space_id_idx ON plystra_data.resources (space_id);
CREATE INDEX role_permissions_granted_by_idx
	ON plystra_data.role_permissions (granted_by);
CREATE INDEX member_roles_granted_by_idx ON plystra_data.member_roles (granted_by);
CREATE INDEX plugin_settings_values_updated_by_idx
	ON plystra_data.plugin_settings_values (updated_by);
CREATE INDEX template_installations_installed_by_idx
	ON plystra_data.template_installations (installed_by);
CREATE INDEX plugin_admin_menus_required_permission_id_idx
	ON plystra_data.plugin_admin_menus (required_permission_id);
