--
-- plystra.restore(), plystra.purge_deleted() and the password functions:
-- privileged, audited, and clear about bad input.
--
-- in a database of its own, so that nothing earlier files leave in the
-- regression database (rows, append-only tables) counts here
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_soft_delete_admin;
\c plystra_regress_soft_delete_admin
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse
INSERT INTO plystra.spaces (slug, name) VALUES ('adm', 'Admin');
INSERT INTO plystra.users (email) VALUES ('keep@example.test'), ('gone@example.test'), ('dup@example.test');
DELETE FROM plystra.users WHERE email IN ('gone@example.test', 'dup@example.test');

-- restore
SELECT plystra.restore('plystra.users', id) FROM plystra_data.users WHERE email = 'gone@example.test';
SELECT plystra.restore('plystra_data.users', id) FROM plystra_data.users WHERE email = 'gone@example.test';
SELECT count(*) AS shown FROM plystra.users WHERE email = 'gone@example.test';
INSERT INTO plystra.users (email) VALUES ('dup@example.test');
SELECT plystra.restore('plystra.users', id) FROM plystra_data.users
 WHERE email = 'dup@example.test' AND deleted_at IS NOT NULL;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.restore('plystra.users', -1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.restore(NULL, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.restore('plystra.users', NULL);
SELECT plystra.restore('plystra.permissions', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.restore('plystra.user_allowed_groups', 1);
SELECT plystra.restore('pg_catalog.pg_class', 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.restore(0, 1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT event_type, target_type FROM plystra.audit_logs
 WHERE event_type = 'entity.restored' ORDER BY id DESC LIMIT 1;

-- a row comes back only under live parents: a group of a deleted space, a
-- subgroup of a deleted group, is refused (PY031) with the parent to
-- restore first, and changes nothing; in the right order each comes back
-- (the subgroup with its group, whose cascade deleted it)
INSERT INTO plystra.spaces (slug, name) VALUES ('orphans', 'Orphans') RETURNING id AS o_space \gset
INSERT INTO plystra.groups (space_id, slug, name) VALUES (:o_space, 'o-eng', 'Eng') RETURNING id AS o_group \gset
INSERT INTO plystra.groups (space_id, parent_id, slug, name)
VALUES (:o_space, :o_group, 'o-eng-sub', 'Eng sub') RETURNING id AS o_sub \gset
DELETE FROM plystra.groups WHERE id IN (:o_group, :o_sub);
DELETE FROM plystra.spaces WHERE id = :o_space;
-- (the ids in the messages depend on what ran before: shown as N)
SELECT set_config('plystra_regress.o_group', :'o_group', false) IS NOT NULL AS noted;
DO $$
BEGIN
	PERFORM plystra.restore('plystra.groups', current_setting('plystra_regress.o_group')::bigint);
EXCEPTION WHEN OTHERS THEN
	DECLARE d text; h text;
	BEGIN
		GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
		RAISE NOTICE '% % / % / %', SQLSTATE, regexp_replace(SQLERRM, '[0-9]+', 'N', 'g'), d,
			regexp_replace(h, '[0-9]+', 'N', 'g');
	END;
END $$;
\set VERBOSITY sqlstate
SELECT plystra.restore('plystra.deleted_groups', :o_sub) IS NOT NULL;
\set VERBOSITY terse
SELECT count(*) AS restored FROM plystra.groups WHERE id IN (:o_group, :o_sub);
SELECT plystra.restore('plystra.spaces', :o_space);
\set VERBOSITY sqlstate
SELECT plystra.restore('plystra.groups', :o_sub) IS NOT NULL;
\set VERBOSITY terse
SELECT plystra.restore('plystra.groups', :o_group);
SELECT plystra.restore('plystra.groups', :o_sub);
SELECT count(*) AS restored FROM plystra.groups WHERE id IN (:o_group, :o_sub);

-- purge_deleted: relationship rows go with the entity; other references refuse
INSERT INTO plystra.members (space_id, display_name)
	SELECT id, 'm-gone' FROM plystra.spaces WHERE slug = 'adm';
INSERT INTO plystra.user_members (user_id, member_id)
	SELECT u.id, m.id FROM plystra.users u, plystra.members m
	 WHERE u.email = 'gone@example.test' AND m.display_name = 'm-gone';
INSERT INTO plystra.admin_grants (user_id, scope)
	SELECT id, 'platform' FROM plystra.users WHERE email = 'keep@example.test';
DELETE FROM plystra.users WHERE email IN ('gone@example.test', 'keep@example.test');
SELECT count(*) AS users_deleted FROM plystra_data.users WHERE deleted_at IS NOT NULL \gset
SELECT plystra.purge_deleted('plystra.users', '1 hour');
SELECT plystra.purge_deleted('plystra.users', '0');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) = :users_deleted AS nothing_purged FROM plystra_data.users WHERE deleted_at IS NOT NULL;
-- once the admin grant is gone, the purge goes through, with the relationship rows;
-- grants the purged user made to others stay, naming no granter
INSERT INTO plystra.roles (key, name) VALUES ('adm_role', 'Adm');
INSERT INTO plystra.members (space_id, display_name)
	SELECT id, 'm-keep' FROM plystra.spaces WHERE slug = 'adm';
INSERT INTO plystra_data.member_roles (member_id, role_id, granted_by)
	SELECT m.id, r.id, u.id FROM plystra.members m, plystra.roles r, plystra_data.users u
	 WHERE m.display_name = 'm-keep' AND r.key = 'adm_role' AND u.email = 'keep@example.test';
DELETE FROM plystra_data.admin_grants;
SELECT plystra.purge_deleted('plystra.users', '0') = :users_deleted AS purged_all;
SELECT count(*) AS deleted_users_left FROM plystra_data.users WHERE deleted_at IS NOT NULL;
SELECT count(*) AS user_members_left FROM plystra_data.user_members;
SELECT count(*) AS grants_kept, count(granted_by) AS naming_a_granter
  FROM plystra.member_roles mr JOIN plystra.roles r ON r.id = mr.role_id WHERE r.key = 'adm_role';
SELECT count(*) AS live_users_kept FROM plystra.users;
SELECT event_type, target_type, details->>'rows' = :'users_deleted' AS rows_recorded
  FROM plystra.audit_logs WHERE event_type = 'entity.purged' ORDER BY id DESC LIMIT 1;
SELECT plystra.purge_deleted('plystra.users', '-1 day');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.purge_deleted('plystra.users', NULL);
SELECT plystra.purge_deleted('plystra.sessions', '0');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- passwords: stored, never shown, read and written only by the granted role
SELECT id AS uid FROM plystra.users WHERE email = 'dup@example.test' \gset
SELECT plystra.set_password_hash(:uid, '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g');
SELECT plystra.password_hash(:uid);
SELECT password_changed_at > now() - interval '1 minute' AS stamped FROM plystra.users WHERE id = :uid;
SELECT count(*) AS columns_named_hash FROM pg_attribute
 WHERE attrelid = 'plystra.users'::regclass AND attname = 'password_hash';
SELECT plystra.set_password_hash(:uid, 'correct horse battery staple');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.set_password_hash(:uid, '');
SELECT plystra.set_password_hash(:uid, repeat('x', 1025));
SELECT plystra.set_password_hash(NULL, 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.set_password_hash(-1, '$2b$12$abc');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra.users WHERE id = :uid;
SELECT plystra.password_hash(:uid);
SELECT plystra.set_password_hash(:uid, '$2b$12$abc');
SELECT plystra.restore('plystra.users', :uid);
SELECT event_type, target_id = :'uid' AS this_user FROM plystra.audit_logs
 WHERE event_type = 'user.password.changed';

CREATE ROLE plystra_regress_app;
CREATE ROLE plystra_regress_auth;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_app, plystra_regress_auth;
GRANT SELECT ON plystra.users TO plystra_regress_app;
GRANT EXECUTE ON FUNCTION plystra.password_hash(bigint), plystra.set_password_hash(bigint, text)
	TO plystra_regress_auth;
SET ROLE plystra_regress_app;
SELECT plystra.password_hash(:uid);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.restore('plystra.users', :uid);
SELECT plystra.purge_deleted('plystra.users', '0');
SELECT password_hash FROM plystra.users;
RESET ROLE;
SET ROLE plystra_regress_auth;
SELECT plystra.password_hash(:uid) LIKE '$argon2id$%' AS readable_by_auth;
SELECT plystra.set_password_hash(:uid, '$2b$12$new');
RESET ROLE;
SELECT actor_role FROM plystra.audit_logs
 WHERE event_type = 'user.password.changed' ORDER BY id DESC LIMIT 1;

\set VERBOSITY default
REVOKE ALL ON FUNCTION plystra.password_hash(bigint), plystra.set_password_hash(bigint, text)
	FROM plystra_regress_auth;
REVOKE ALL ON plystra.users FROM plystra_regress_app;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_app, plystra_regress_auth;
DROP ROLE plystra_regress_app;
DROP ROLE plystra_regress_auth;

\c :regress_db
DROP DATABASE plystra_regress_soft_delete_admin;
