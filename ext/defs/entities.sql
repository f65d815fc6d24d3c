-- ext/defs/entities.sql
-- Current definitions: what the server keeps for every entity row (its id,
-- updated_at), the built-in rows the migrations ship, and the password
-- hash that is no column of the interface.

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

@server_ids spaces
@server_ids groups
@server_ids users
@server_ids members
@server_ids user_members
@server_ids roles
@server_ids permissions
@server_ids role_permissions
@server_ids member_roles
@server_ids resource_types
@server_ids resource_actions
@server_ids resources
@server_ids resource_mappings
@server_ids plugins
@server_ids plugin_settings_definitions
@server_ids plugin_settings_values
@server_ids audit_event_types
@server_ids background_jobs
@server_ids plugin_admin_menus
@server_ids template_installations
@server_ids sessions
@server_ids admin_grants


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
@builtin_rows roles
@builtin_rows permissions
@builtin_rows role_permissions
@builtin_rows audit_event_types

/*
 * Passwords: the hash is no column of plystra.users; these functions are
 * granted separately.
 */
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
