--
-- The triggers keep their plans, and facts about their tables, per
-- relation (plan_cache.c).  Any relcache invalidation makes every kept set
-- stale; the next call frees it and prepares it again, in the same
-- session, and must then do exactly what the first call did: soft delete
-- through the view, check live parents, set parents_live, keep ids the
-- server's.
--
-- in a database of its own: it leaves nothing in the regression database
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_kept_plans;
\c plystra_regress_kept_plans
SET client_min_messages = warning;
CREATE EXTENSION plystra;
DROP ROLE IF EXISTS plystra_regress_kept;
RESET client_min_messages;
\set VERBOSITY terse
CREATE ROLE plystra_regress_kept;
SELECT plystra.grant_access('plystra_regress_kept', 'application');
-- a table of the session's own, whose changes invalidate every kept set
CREATE TEMP TABLE churn (a int);

INSERT INTO plystra.spaces (slug, name) VALUES ('kept', 'Kept plans');
SELECT id AS space FROM plystra.spaces WHERE slug = 'kept' \gset
SET ROLE plystra_regress_kept;
INSERT INTO plystra.users (email) VALUES ('kept-1@example.test'), ('kept-2@example.test');
INSERT INTO plystra.members (space_id, display_name) VALUES (:space, 'Kept member');
RESET ROLE;
SELECT id AS u1 FROM plystra.users WHERE email = 'kept-1@example.test' \gset
SELECT id AS u2 FROM plystra.users WHERE email = 'kept-2@example.test' \gset
SELECT id AS m FROM plystra.members WHERE display_name = 'Kept member' \gset

SET ROLE plystra_regress_kept;
-- first use: every plan is prepared and kept
INSERT INTO plystra.user_members (user_id, member_id) VALUES (:u1, :m);
DELETE FROM plystra.users WHERE id = :u1;
RESET ROLE;
ALTER TABLE churn ADD COLUMN b int;		-- a relcache invalidation
SET ROLE plystra_regress_kept;
-- after it: prepared again, the same results
INSERT INTO plystra.user_members (user_id, member_id) VALUES (:u2, :m);
DELETE FROM plystra.users WHERE id = :u2;
-- the live-parent check refuses a deleted parent with a plan prepared anew
INSERT INTO plystra.user_members (user_id, member_id) VALUES (:u1, :m);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- and the server still assigns ids
INSERT INTO plystra.users (id, email) VALUES (:u2 + 1000, 'kept-3@example.test');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
ALTER TABLE churn ADD COLUMN c int;
SET ROLE plystra_regress_kept;
INSERT INTO plystra.users (id, email) VALUES (:u2 + 1000, 'kept-3@example.test');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

-- both users are soft-deleted, still stored, and their memberships hidden
SELECT count(*) AS deleted_users FROM plystra_data.users
 WHERE id IN (:u1, :u2) AND deleted_at IS NOT NULL;
SELECT count(*) AS stored_memberships, count(*) FILTER (WHERE parents_live) AS live
  FROM plystra_data.user_members WHERE member_id = :m;
SELECT count(*) AS visible_memberships FROM plystra.user_members WHERE member_id = :m;

-- a restore refreshes the flag through the cascade's kept plans, prepared
-- again after an invalidation
ALTER TABLE churn ADD COLUMN d int;
SELECT plystra.restore('plystra.users', :u1);
SELECT count(*) AS visible_memberships FROM plystra.user_members WHERE member_id = :m;

SELECT plystra.revoke_access('plystra_regress_kept', 'application');
DROP ROLE plystra_regress_kept;
\c :regress_db
DROP DATABASE plystra_regress_kept_plans;
