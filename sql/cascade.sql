--
-- Cascading soft delete: deleting an entity deletes the entities that
-- belong to it (a space's groups, members, roles and resources, a group's
-- subgroups, a resource's children), in the same statement, each with its
-- own audit row saying which parent's cascade deleted it; restoring the
-- entity brings back what that cascade deleted, not what was deleted on its
-- own before.  In a database of its own: ids are shown.
--
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_cascade;
\c plystra_regress_cascade
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
CREATE ROLE plystra_regress_casc_app;
SELECT plystra.grant_access('plystra_regress_casc_app', 'application');

INSERT INTO plystra.spaces (id, slug, name) VALUES (1, 'acme', 'Acme'), (2, 'globex', 'Globex');
INSERT INTO plystra.groups (id, space_id, parent_id, slug, name) VALUES
	(10, 1, NULL, 'eng', 'Engineering'), (11, 1, 10, 'eng-web', 'Web'), (12, 1, 11, 'eng-web-ui', 'UI'),
	(13, 1, NULL, 'ops', 'Operations'), (20, 2, NULL, 'sales', 'Sales');
INSERT INTO plystra.members (id, space_id, display_name) VALUES (30, 1, 'Ada'), (31, 1, 'Bob'), (32, 2, 'Cy');
INSERT INTO plystra.roles (id, space_id, key, name) VALUES (40, 1, 'editor', 'Editor'), (41, 2, 'viewer', 'Viewer');
INSERT INTO plystra.resource_types (id, key, name) VALUES (50, 'folder', 'Folder');
INSERT INTO plystra.resources (id, space_id, resource_type_id, external_id, parent_id, name) VALUES
	(60, 1, 50, 'F-1', NULL, 'Designs'), (61, 1, 50, 'F-2', 60, 'Mockups'), (62, 2, 50, 'F-3', NULL, 'Leads');
INSERT INTO plystra.users (id, email, display_name) VALUES (70, 'ada@example.test', 'Ada');
INSERT INTO plystra.user_members (user_id, member_id) VALUES (70, 30);
INSERT INTO plystra.member_roles (member_id, role_id) VALUES (30, 40);

-- ops was deleted on its own, earlier
DELETE FROM plystra.groups WHERE id = 13;

-- the application deletes space 1: the DELETE counts the one row it named
SET ROLE plystra_regress_casc_app;
BEGIN;
SET LOCAL plystra.actor_user_id = '7';
SET LOCAL plystra.request_id = 'req-del-1';
DELETE FROM plystra.spaces WHERE id = 1 RETURNING id;
COMMIT;
-- everything of space 1 is gone from the interface, space 2 is untouched
SELECT 'groups' AS what, string_agg(id::text, ',' ORDER BY id) FROM plystra.groups
UNION ALL SELECT 'members', string_agg(id::text, ',' ORDER BY id) FROM plystra.members
UNION ALL SELECT 'roles', string_agg(id::text, ',' ORDER BY id) FROM plystra.roles WHERE id >= 40
UNION ALL SELECT 'resources', string_agg(id::text, ',' ORDER BY id) FROM plystra.resources
UNION ALL SELECT 'user_members', count(*)::text FROM plystra.user_members
UNION ALL SELECT 'member_roles', count(*)::text FROM plystra.member_roles;
RESET ROLE;
-- and stays stored, dated by the parent's deletion
SELECT count(*) AS stored_deleted_at_the_space_time
  FROM (SELECT deleted_at FROM plystra_data.groups WHERE space_id = 1 AND id <> 13
		UNION ALL SELECT deleted_at FROM plystra_data.members WHERE space_id = 1
		UNION ALL SELECT deleted_at FROM plystra_data.roles WHERE space_id = 1
		UNION ALL SELECT deleted_at FROM plystra_data.resources WHERE space_id = 1) d
 WHERE d.deleted_at = (SELECT deleted_at FROM plystra_data.spaces WHERE id = 1);
-- one audit row per entity, each with the acting context and its parent
SELECT target_type, target_id, actor_user_id, request_id, details ->> 'cascaded_from' AS cascaded_from
  FROM plystra.audit_logs
 WHERE event_type = 'entity.deleted' AND request_id = 'req-del-1'
 ORDER BY target_type, target_id::bigint;
-- the admin's view of deleted rows shows who deleted them
SELECT id, slug, deleted_by_user_id, deleted_in_request FROM plystra.deleted_groups ORDER BY id;

-- a cascaded row cannot come back while its parent is deleted
\set VERBOSITY terse
SELECT plystra.restore('plystra.groups', 10);
SELECT plystra.restore('plystra.members', 30);

-- restoring the space brings back what its cascade deleted, not ops, which
-- was deleted on its own before
SELECT plystra.restore('plystra.spaces', 1);
SELECT 'groups' AS what, string_agg(id::text, ',' ORDER BY id) FROM plystra.groups
UNION ALL SELECT 'members', string_agg(id::text, ',' ORDER BY id) FROM plystra.members
UNION ALL SELECT 'roles', string_agg(id::text, ',' ORDER BY id) FROM plystra.roles WHERE id >= 40
UNION ALL SELECT 'resources', string_agg(id::text, ',' ORDER BY id) FROM plystra.resources
UNION ALL SELECT 'user_members', count(*)::text FROM plystra.user_members
UNION ALL SELECT 'member_roles', count(*)::text FROM plystra.member_roles;
SELECT target_type, target_id, details ->> 'cascaded_from' AS cascaded_from
  FROM plystra.audit_logs WHERE event_type = 'entity.restored'
 ORDER BY target_type, target_id::bigint;

-- a group's subgroups go with it, by UPDATE ... SET deleted_at as an ORM
-- sends it too, and come back with it
UPDATE plystra.groups SET deleted_at = now() WHERE id = 10;
SELECT string_agg(id::text, ',' ORDER BY id) AS live_groups FROM plystra.groups;
-- a subgroup deleted on its own before its parent stays deleted when the
-- parent comes back
SELECT plystra.restore('plystra.groups', 10);
SELECT string_agg(id::text, ',' ORDER BY id) AS live_groups FROM plystra.groups;
DELETE FROM plystra.groups WHERE id = 12;
DELETE FROM plystra.groups WHERE id = 10;
SELECT plystra.restore('plystra.groups', 10);
SELECT string_agg(id::text, ',' ORDER BY id) AS live_groups FROM plystra.groups;

-- a row the cascade deleted comes back with its parent only if its other
-- parents are live: a subgroup in another space that was deleted since
-- stays deleted
INSERT INTO plystra.groups (id, space_id, parent_id, slug, name) VALUES (21, 2, 10, 'sales-eng', 'Sales eng');
DELETE FROM plystra.groups WHERE id = 10;
DELETE FROM plystra.spaces WHERE id = 2;
SELECT plystra.restore('plystra.groups', 10);
SELECT id, deleted_at IS NULL AS live FROM plystra_data.groups WHERE id IN (10, 11, 21) ORDER BY id;
SELECT plystra.restore('plystra.spaces', 2);
SELECT id, deleted_at IS NULL AS live FROM plystra_data.groups WHERE id IN (20, 21) ORDER BY id;

-- a deep tree goes and comes back whole
INSERT INTO plystra.groups (id, space_id, parent_id, slug, name)
SELECT 1000 + i, 1, CASE WHEN i = 0 THEN NULL ELSE 1000 + i - 1 END, 'deep-' || i, 'Deep ' || i
  FROM generate_series(0, 200) i;
DELETE FROM plystra.groups WHERE id = 1000;
SELECT count(*) AS deleted FROM plystra_data.groups WHERE id >= 1000 AND deleted_at IS NOT NULL;
SELECT plystra.restore('plystra.groups', 1000);
SELECT count(*) AS live FROM plystra.groups WHERE id >= 1000;

-- deleting an already deleted parent changes nothing and cascades nothing
SELECT count(*) AS audit_rows_before FROM plystra_data.audit_logs \gset
DELETE FROM plystra.groups WHERE id = 12;
SELECT count(*) - :audit_rows_before AS new_audit_rows FROM plystra_data.audit_logs;

SELECT plystra.revoke_access('plystra_regress_casc_app', 'application');

-- the cascade came with 1.2: a database still at 1.0 keeps what 1.0 did
-- (the space goes, its groups stay) until it is updated
CREATE DATABASE plystra_regress_cascade10;
\c plystra_regress_cascade10
SET client_min_messages = warning;
CREATE EXTENSION plystra VERSION '1.0';
RESET client_min_messages;
INSERT INTO plystra.spaces (id, slug, name) VALUES (1, 'old', 'Old'), (2, 'old2', 'Old 2');
INSERT INTO plystra.groups (id, space_id, slug, name) VALUES (10, 1, 'g1', 'G1'), (20, 2, 'g2', 'G2');
DELETE FROM plystra.spaces WHERE id = 1;
SELECT string_agg(id::text, ',' ORDER BY id) AS live_groups FROM plystra.groups;
SET client_min_messages = warning;
ALTER EXTENSION plystra UPDATE;
RESET client_min_messages;
DELETE FROM plystra.spaces WHERE id = 2;
SELECT string_agg(id::text, ',' ORDER BY id) AS live_groups FROM plystra.groups;

\c :regress_db
DROP DATABASE plystra_regress_cascade;
DROP DATABASE plystra_regress_cascade10;
DROP ROLE plystra_regress_casc_app;
