--
-- Soft delete through the interface: DELETE keeps the row and reports true
-- counts, a deleted row is hidden from every role, re-DELETE affects 0 rows,
-- UPDATE ... SET deleted_at works as ORMs send it, unique keys hold among
-- live rows only, relationships of deleted entities are hidden and refused.
--
-- in a database of its own, so that nothing earlier files leave in the
-- regression database (rows, append-only tables) counts here
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_soft_delete;
\c plystra_regress_soft_delete
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse
CREATE ROLE plystra_regress_app;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA plystra TO plystra_regress_app;
INSERT INTO plystra.spaces (slug, name) VALUES ('sd', 'Soft delete');
INSERT INTO plystra.resource_types (key, name) VALUES ('sd_doc', 'Doc');

-- one row per entity, made through the interface
CREATE TEMP TABLE made (entity text PRIMARY KEY, id bigint);
CREATE TEMP TABLE result (entity text, step text, value text);
DO $$
DECLARE
	sp bigint := (SELECT id FROM plystra.spaces WHERE slug = 'sd');
	rt bigint := (SELECT id FROM plystra.resource_types WHERE key = 'sd_doc');
	made_id bigint;
BEGIN
	INSERT INTO plystra.users (email) VALUES ('sd-user@example.test') RETURNING id INTO made_id;
	INSERT INTO plystra.users (email) VALUES ('sd2@example.test');
	INSERT INTO made VALUES ('users', made_id);
	INSERT INTO plystra.members (space_id, display_name) VALUES (sp, 'sd') RETURNING id INTO made_id;
	INSERT INTO made VALUES ('members', made_id);
	INSERT INTO plystra.spaces (slug, name) VALUES ('sd-child', 'x') RETURNING id INTO made_id;
	INSERT INTO made VALUES ('spaces', made_id);
	INSERT INTO plystra.groups (space_id, slug, name) VALUES (sp, 'sd-group', 'x') RETURNING id INTO made_id;
	INSERT INTO made VALUES ('groups', made_id);
	INSERT INTO plystra.roles (space_id, key, name) VALUES (sp, 'sd_role', 'x') RETURNING id INTO made_id;
	INSERT INTO made VALUES ('roles', made_id);
	INSERT INTO plystra.resources (space_id, resource_type_id, external_id) VALUES (sp, rt, 'sd-1') RETURNING id INTO made_id;
	INSERT INTO made VALUES ('resources', made_id);
END
$$;

-- DELETE through the view, twice, then what is stored and what is shown
DO $$
DECLARE
	m record;
	n bigint;
	first_deleted timestamptz;
	later timestamptz;
BEGIN
	FOR m IN SELECT * FROM made ORDER BY entity LOOP
		EXECUTE format('DELETE FROM plystra.%I WHERE id = $1', m.entity) USING m.id;
		GET DIAGNOSTICS n = ROW_COUNT;
		INSERT INTO result VALUES (m.entity, '1 delete: rows', n::text);
		EXECUTE format('SELECT deleted_at FROM plystra_data.%I WHERE id = $1', m.entity)
			INTO first_deleted USING m.id;
		EXECUTE format('DELETE FROM plystra.%I WHERE id = $1', m.entity) USING m.id;
		GET DIAGNOSTICS n = ROW_COUNT;
		INSERT INTO result VALUES (m.entity, '2 delete again: rows', n::text);
		EXECUTE format('UPDATE plystra.%I SET deleted_at = now() WHERE id = $1', m.entity) USING m.id;
		GET DIAGNOSTICS n = ROW_COUNT;
		INSERT INTO result VALUES (m.entity, '3 update deleted_at again: rows', n::text);
		EXECUTE format('SELECT deleted_at FROM plystra_data.%I WHERE id = $1', m.entity)
			INTO later USING m.id;
		INSERT INTO result VALUES (m.entity, '4 deleted_at kept', (later = first_deleted)::text);
		EXECUTE format('SELECT count(*) FROM plystra.%I WHERE id = $1', m.entity) INTO n USING m.id;
		INSERT INTO result VALUES (m.entity, '5 shown', n::text);
		EXECUTE format('SELECT count(*) FROM plystra_data.%I WHERE id = $1 AND deleted_at IS NOT NULL', m.entity)
			INTO n USING m.id;
		INSERT INTO result VALUES (m.entity, '6 stored, deleted', n::text);
	END LOOP;
END
$$;
SELECT entity, string_agg(step || ' = ' || value, '; ' ORDER BY step) FROM result GROUP BY 1 ORDER BY 1;

-- RETURNING returns the row as it was; the count covers several rows
INSERT INTO plystra.users (email) VALUES ('r1@example.test'), ('r2@example.test'), ('r3@example.test');
DELETE FROM plystra.users WHERE email IN ('r1@example.test', 'r2@example.test')
	RETURNING email, deleted_at;
DELETE FROM plystra.users WHERE email LIKE 'r_@example.test' RETURNING email;
-- UPDATE ... SET deleted_at, as ORMs (GORM, ActiveRecord) send it
INSERT INTO plystra.users (email) VALUES ('orm@example.test');
UPDATE plystra.users SET deleted_at = now() WHERE email = 'orm@example.test' RETURNING email;
SELECT count(*) AS shown FROM plystra.users WHERE email = 'orm@example.test';
-- every soft delete was audited, whichever way
SELECT target_type, count(*) FROM plystra.audit_logs
 WHERE event_type = 'entity.deleted' GROUP BY 1 ORDER BY 1;

-- hidden from every role: an application role, and the superuser
SET ROLE plystra_regress_app;
SELECT count(*) AS deleted_users_shown FROM plystra.users
 WHERE email IN ('sd-user@example.test', 'orm@example.test', 'r1@example.test');
-- the application role deletes with DELETE privilege on the view only
INSERT INTO plystra.users (email) VALUES ('app@example.test');
DELETE FROM plystra.users WHERE email = 'app@example.test' RETURNING email;
SELECT count(*) FROM plystra_data.users;
RESET ROLE;
SELECT count(*) AS deleted_users_shown FROM plystra.users
 WHERE email IN ('sd-user@example.test', 'orm@example.test', 'app@example.test');
SELECT actor_role FROM plystra.audit_logs
 WHERE event_type = 'entity.deleted' AND target_id =
	   (SELECT id::text FROM plystra_data.users WHERE email = 'app@example.test');

-- unique keys hold among live rows only; ON CONFLICT on the live key
INSERT INTO plystra.users (email) VALUES ('orm@example.test') RETURNING email;
INSERT INTO plystra.users (email) VALUES ('orm@example.test');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO plystra.users (email, display_name) VALUES ('orm@example.test', 'Upserted')
	ON CONFLICT (email) WHERE deleted_at IS NULL
	DO UPDATE SET display_name = excluded.display_name
	RETURNING email, display_name;
SELECT count(*) AS stored, count(*) FILTER (WHERE deleted_at IS NULL) AS live
  FROM plystra_data.users WHERE email = 'orm@example.test';

-- relationships of a deleted entity are hidden, and new ones refused
INSERT INTO plystra.groups (space_id, slug, name)
	SELECT id, 'rel-g', 'x' FROM plystra.spaces WHERE slug = 'sd';
INSERT INTO plystra.user_allowed_groups (user_id, group_id)
	SELECT u.id, g.id FROM plystra.users u, plystra.groups g
	 WHERE u.email = 'orm@example.test' AND g.slug = 'rel-g';
SELECT count(*) AS shown FROM plystra.user_allowed_groups
 WHERE group_id = (SELECT id FROM plystra.groups WHERE slug = 'rel-g');
DELETE FROM plystra.groups WHERE slug = 'rel-g';
SELECT count(*) AS shown, (SELECT count(*) FROM plystra_data.user_allowed_groups) AS stored
  FROM plystra.user_allowed_groups;
-- (as an application role: the storage owner, who restores dumps, may)
SELECT id AS rel_g FROM plystra_data.groups WHERE slug = 'rel-g' \gset
SELECT id AS orm_user FROM plystra.users WHERE email = 'orm@example.test' \gset
SELECT space_id AS sd_space FROM plystra_data.groups WHERE slug = 'rel-g' \gset
SELECT id AS sd_child FROM plystra_data.spaces WHERE slug = 'sd-child' \gset
SET ROLE plystra_regress_app;
INSERT INTO plystra.user_allowed_groups (user_id, group_id) VALUES (:orm_user, :rel_g);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE plystra.user_allowed_groups SET group_id = :rel_g WHERE user_id = :orm_user;
INSERT INTO plystra.groups (space_id, parent_id, slug, name) VALUES (:sd_space, :rel_g, 'rel-child', 'x');
INSERT INTO plystra.members (space_id) VALUES (:sd_child);
RESET ROLE;
-- restoring the parent brings its relationships back
SELECT plystra.restore('plystra.groups', (SELECT id FROM plystra_data.groups WHERE slug = 'rel-g'));
SELECT count(*) AS shown FROM plystra.user_allowed_groups;
-- relationship rows are hard-deleted
DELETE FROM plystra.user_allowed_groups RETURNING group_id IS NOT NULL AS removed;
SELECT count(*) AS stored FROM plystra_data.user_allowed_groups;

-- the views are security barriers: a caller's function never sees the
-- rows they hide
INSERT INTO plystra.sessions (user_id, token_hash, expires_at)
	SELECT id, sha256('hidden-token'), now() + interval '1 day'
	  FROM plystra.users WHERE email = 'sd2@example.test';
SET ROLE plystra_regress_app;
CREATE FUNCTION pg_temp.peek(bigint, bytea) RETURNS boolean LANGUAGE plpgsql COST 0.0000001
	AS $$BEGIN RAISE NOTICE 'saw session of user %', $1; RETURN true; END$$;
DELETE FROM plystra.users WHERE email = 'sd2@example.test';
SELECT count(*) AS shown FROM plystra.sessions WHERE pg_temp.peek(user_id, token_hash);
SELECT count(*) AS shown FROM plystra.users WHERE email = 'sd2@example.test'
   AND pg_temp.peek(id, NULL);
-- the server dates soft deletes, and rows are not born deleted
INSERT INTO plystra.users (email, deleted_at) VALUES ('born-dead@example.test', '1970-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO plystra.users (email) VALUES ('backdated@example.test');
UPDATE plystra.users SET deleted_at = '-infinity' WHERE email = 'backdated@example.test';
-- nor can an application renumber a row
UPDATE plystra.users SET id = id + 100000 WHERE email = 'orm@example.test';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP FUNCTION pg_temp.peek(bigint, bytea);
SELECT deleted_at > now() - interval '1 minute' AS dated_by_server
  FROM plystra_data.users WHERE email = 'backdated@example.test';

-- the interface uses the indexes
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM plystra.users WHERE id = 1;
EXPLAIN (COSTS OFF) SELECT * FROM plystra.users WHERE email = 'orm@example.test';
EXPLAIN (COSTS OFF) SELECT id, email FROM plystra.users ORDER BY id LIMIT 20;
RESET enable_seqscan;

\set VERBOSITY default
REVOKE ALL ON ALL TABLES IN SCHEMA plystra FROM plystra_regress_app;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_app;
DROP ROLE plystra_regress_app;

\c :regress_db
DROP DATABASE plystra_regress_soft_delete;
