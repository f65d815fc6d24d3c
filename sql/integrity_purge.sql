--
-- purge_deleted() follows the policy each referencing column declares in
-- plystra_data.reference_policies: relationship rows go with the entity,
-- references that say who did something are cleared, scopes and children
-- make it refuse.  A tenant's role never becomes global, a deleted
-- tenant's setting never platform-wide.  Groups and resources, whose
-- foreign keys onto themselves are deferrable, can be purged.
--
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_purge;
\c plystra_regress_purge
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;

SELECT table_name, column_name, policy FROM plystra_data.reference_policies
 ORDER BY policy, table_name, column_name;
-- the policies are what the extension version defines
INSERT INTO plystra_data.reference_policies VALUES ('roles', 'space_id', 'clear');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE plystra_data.reference_policies SET policy = 'clear' WHERE table_name = 'roles';
DELETE FROM plystra_data.reference_policies;

-- a tenant with a role and a setting of its own
INSERT INTO plystra.spaces (id, slug, name) VALUES (1, 'tenant', 'Tenant');
INSERT INTO plystra.users (id, email) VALUES (1, 'admin@tenant.test'), (2, 'bob@tenant.test');
INSERT INTO plystra.roles (id, space_id, key, name) VALUES (1001, 1, 'approver', 'Approver');
INSERT INTO plystra.plugins (id, key, name, version) VALUES (1, 'billing', 'Billing', '1.0.0');
INSERT INTO plystra.plugin_settings_definitions (id, plugin_id, key, value_type, default_value)
	VALUES (1, 1, 'currency', 'string', '"EUR"');
INSERT INTO plystra.plugin_settings_values (definition_id, space_id, value, updated_by)
	VALUES (1, 1, '"USD"', 2);
DELETE FROM plystra.spaces WHERE id = 1;
-- the purge refuses while the setting and the role are scoped to the
-- tenant, and changes nothing: neither becomes platform-wide
SELECT plystra.purge_deleted('plystra.spaces', '0 seconds');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT (SELECT space_id FROM plystra_data.roles WHERE id = 1001) AS role_space,
	   (SELECT space_id FROM plystra_data.plugin_settings_values) AS setting_space,
	   (SELECT count(*) FROM plystra_data.spaces WHERE id = 1) AS space_kept;
-- the setting is hidden with its tenant: it goes from the storage
DELETE FROM plystra_data.plugin_settings_values WHERE space_id = 1;
SELECT plystra.purge_deleted('plystra.spaces', '0 seconds');
SELECT space_id AS role_space FROM plystra_data.roles WHERE id = 1001;
DELETE FROM plystra.roles WHERE id = 1001;
SELECT plystra.purge_deleted('plystra.roles', '0 seconds') AS roles_purged;
SELECT plystra.purge_deleted('plystra.spaces', '0 seconds') AS spaces_purged;

-- who did something is forgotten with the user; what the user holds (an
-- admin grant of a space) makes the purge refuse
INSERT INTO plystra.spaces (id, slug, name) VALUES (2, 'other', 'Other');
INSERT INTO plystra.plugin_settings_values (definition_id, space_id, value, updated_by)
	VALUES (1, 2, '"GBP"', 2);
INSERT INTO plystra.admin_grants (user_id, scope, space_id, granted_by, reason)
	VALUES (1, 'space', 2, 2, 'granted by bob');
INSERT INTO plystra.sessions (user_id, token_hash, expires_at)
	VALUES (2, sha256('bob-token'), now() + interval '1 hour');
DELETE FROM plystra.users WHERE id = 2;
SELECT plystra.purge_deleted('plystra.users', '0 seconds') AS users_purged;
SELECT (SELECT updated_by FROM plystra_data.plugin_settings_values WHERE space_id = 2) AS updated_by,
	   (SELECT granted_by FROM plystra_data.admin_grants WHERE space_id = 2) AS granted_by,
	   (SELECT space_id FROM plystra_data.admin_grants WHERE space_id = 2) AS grant_space,
	   (SELECT count(*) FROM plystra_data.sessions) AS sessions;
DELETE FROM plystra.users WHERE id = 1;
SELECT plystra.purge_deleted('plystra.users', '0 seconds');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- groups and resources reference themselves through deferrable keys: a
-- parent is purged with its deleted children, and refused while a live
-- child holds it.  Deleting a parent deletes its live children with it
-- (the cascade): 4's child 5 goes too.  A live child under a deleted
-- parent is what the storage owner can still write (as a restore does).
INSERT INTO plystra.spaces (id, slug, name) VALUES (3, 'groups', 'Groups');
INSERT INTO plystra.groups (id, space_id, parent_id, slug, name) VALUES
	(1, 3, NULL, 'top', 'Top'), (2, 3, 1, 'child', 'Child'), (3, 3, NULL, 'alone', 'Alone'),
	(4, 3, NULL, 'parent', 'Parent'), (5, 3, 4, 'live', 'Live child');
DELETE FROM plystra.groups WHERE id IN (1, 2, 3, 4);
SELECT count(*) AS live_groups FROM plystra_data.groups WHERE deleted_at IS NULL;
INSERT INTO plystra_data.groups (id, space_id, parent_id, slug, name) VALUES (6, 3, 4, 'late', 'Late child');
SELECT plystra.purge_deleted('plystra.groups', '0 seconds');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra.groups WHERE id = 6;
SELECT plystra.purge_deleted('plystra.groups', '0 seconds') AS groups_purged;
INSERT INTO plystra.resource_types (id, key, name) VALUES (1, 'doc', 'Doc');
INSERT INTO plystra.resources (id, space_id, resource_type_id, external_id, parent_id, name) VALUES
	(1, 3, 1, 'D-1', NULL, 'Folder'), (2, 3, 1, 'D-2', 1, 'File');
DELETE FROM plystra.resources;
SELECT plystra.purge_deleted('plystra.resources', '0 seconds') AS resources_purged;
SELECT (SELECT count(*) FROM plystra_data.groups) AS groups_left,
	   (SELECT count(*) FROM plystra_data.resources) AS resources_left;
SELECT event_type, details ->> 'rows' AS purged_rows FROM plystra_data.audit_logs
 WHERE event_type = 'entity.purged' ORDER BY id;

\c :regress_db
DROP DATABASE plystra_regress_purge;
