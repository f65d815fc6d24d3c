-- test/bench/joins_setup.sql: the tables applications join, at 1M users,
-- in the extension's storage (every 50th user and member soft-deleted) and
-- as plain copies in schema bench_plain with the same columns and indexes,
-- for the hand-written queries (joins.sh).
SET session_replication_role = replica;		-- loading: no row triggers but the guards
INSERT INTO plystra_data.spaces (slug, name)
	SELECT 's' || i, 'Space ' || i FROM generate_series(1, 1000) i;
INSERT INTO plystra_data.users (email, display_name)
	SELECT 'u' || i || '@bench.test', 'User ' || i FROM generate_series(1, 1000000) i;
INSERT INTO plystra_data.members (space_id, display_name)
	SELECT 1 + i % 1000, 'Member ' || i FROM generate_series(1, 1000000) i;
INSERT INTO plystra_data.user_members (user_id, member_id)
	SELECT u, 1 + (u * 7 + k * 333331) % 1000000
	  FROM generate_series(1, 1000000) u, generate_series(0, 2) k;
INSERT INTO plystra_data.roles (space_id, key, name)
	SELECT 1 + i % 1000, 'r' || i, 'Role ' || i FROM generate_series(1, 10000) i;
INSERT INTO plystra_data.groups (space_id, slug, name)
	SELECT 1 + i % 1000, 'g' || i, 'Group ' || i FROM generate_series(1, 10000) i;
INSERT INTO plystra_data.member_roles (member_id, role_id, scope_anchor_group_id)
	SELECT m, 5 + (m * 13 + k) % 10000, CASE WHEN k = 0 THEN NULL ELSE 1 + (m * 7) % 10000 END
	  FROM generate_series(1, 1000000) m, generate_series(0, 1) k;
INSERT INTO plystra_data.user_allowed_groups (user_id, group_id)
	SELECT u, 1 + u % 10000 FROM generate_series(1, 1000000) u;
RESET session_replication_role;
INSERT INTO plystra_data.audit_logs (event_type, actor_user_id, target_type, target_id, created_at)
	SELECT 'user.login.failed', 1 + i % 1000000, 'users', (1 + i % 1000000)::text,
		   now() - i * interval '1 second'
	  FROM generate_series(1, 3000000) i;
UPDATE plystra_data.users SET deleted_at = now() WHERE id % 50 = 0;
UPDATE plystra_data.members SET deleted_at = now() WHERE id % 50 = 1;
UPDATE plystra_data.groups SET deleted_at = now() WHERE id % 50 = 2;
UPDATE plystra_data.roles SET deleted_at = now() WHERE id % 50 = 3;

CREATE SCHEMA bench_plain;
CREATE TABLE bench_plain.users (LIKE plystra_data.users INCLUDING ALL);
INSERT INTO bench_plain.users SELECT * FROM plystra_data.users;
CREATE TABLE bench_plain.members (LIKE plystra_data.members INCLUDING ALL);
INSERT INTO bench_plain.members SELECT * FROM plystra_data.members;
CREATE TABLE bench_plain.user_members (LIKE plystra_data.user_members INCLUDING ALL);
INSERT INTO bench_plain.user_members SELECT * FROM plystra_data.user_members;
CREATE TABLE bench_plain.roles (LIKE plystra_data.roles INCLUDING ALL);
INSERT INTO bench_plain.roles SELECT * FROM plystra_data.roles;
CREATE TABLE bench_plain.groups (LIKE plystra_data.groups INCLUDING ALL);
INSERT INTO bench_plain.groups SELECT * FROM plystra_data.groups;
CREATE TABLE bench_plain.member_roles (LIKE plystra_data.member_roles INCLUDING ALL);
INSERT INTO bench_plain.member_roles SELECT * FROM plystra_data.member_roles;
CREATE TABLE bench_plain.user_allowed_groups (LIKE plystra_data.user_allowed_groups INCLUDING ALL);
INSERT INTO bench_plain.user_allowed_groups SELECT * FROM plystra_data.user_allowed_groups;
CREATE TABLE bench_plain.audit_logs (LIKE plystra_data.audit_logs INCLUDING ALL);
INSERT INTO bench_plain.audit_logs SELECT * FROM plystra_data.audit_logs;
VACUUM ANALYZE;
GRANT USAGE ON SCHEMA bench_plain TO bench_app;
GRANT SELECT ON ALL TABLES IN SCHEMA bench_plain TO bench_app;
