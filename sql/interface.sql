--
-- The interface views that hide rows (deleted entities, relationships of
-- deleted parents) are plain views owned by plystra_interface, over storage
-- whose row-level security hides those rows from that role: joins, IN and
-- EXISTS through them use the same index paths as hand-written SQL on the
-- tables, and no code a caller runs (a leaky function or operator, an
-- error message, a planner estimate) sees a hidden row.  In a database of
-- its own, with 10,000 users.
--
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
CREATE DATABASE plystra_regress_interface;
\c plystra_regress_interface
SET client_min_messages = warning;
CREATE EXTENSION plystra;
DROP ROLE IF EXISTS plystra_regress_iapp;
CREATE ROLE plystra_regress_iapp;
SELECT plystra.grant_access('plystra_regress_iapp', 'application');
RESET client_min_messages;

-- the construction
SELECT c.relname AS view, pg_get_userbyid(c.relowner) AS owner, c.reloptions
  FROM pg_class c
 WHERE c.relnamespace = 'plystra'::regnamespace AND c.relkind = 'v'
   AND c.relowner = 'plystra_interface'::regrole
 ORDER BY 1;
SELECT c.relname AS storage, c.relforcerowsecurity AS forced,
	   string_agg(p.polname || CASE WHEN p.polpermissive THEN '' ELSE ' (restrictive)' END,
				  ', ' ORDER BY p.polname) AS policies
  FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid
 WHERE c.relnamespace = 'plystra_data'::regnamespace AND c.relrowsecurity
 GROUP BY 1, 2 ORDER BY 1;
SELECT rolsuper, rolcanlogin, rolbypassrls, rolcreaterole, rolpassword IS NULL AS no_password,
	   (SELECT count(*) FROM pg_auth_members WHERE roleid = a.oid OR member = a.oid) AS memberships
  FROM pg_authid a WHERE rolname = 'plystra_interface';

-- data, written as the storage owner: every tenth entity deleted, named
-- SECRET; relationships of deleted parents
INSERT INTO plystra_data.spaces (slug, name, deleted_at)
	SELECT 's' || i, CASE WHEN i % 10 = 0 THEN 'SECRET' ELSE 'Space ' || i END,
		   CASE WHEN i % 10 = 0 THEN now() END
	  FROM generate_series(1, 40) i;
INSERT INTO plystra_data.users (email, display_name, deleted_at)
	SELECT CASE WHEN i % 10 = 0 THEN 'secret-' ELSE 'user-' END || i || '@example.test',
		   CASE WHEN i % 10 = 0 THEN 'SECRET' ELSE 'User ' || i END,
		   CASE WHEN i % 10 = 0 THEN now() END
	  FROM generate_series(1, 10000) i;
INSERT INTO plystra_data.members (space_id, display_name, deleted_at)
	SELECT 1 + i % 9, CASE WHEN i % 10 = 1 THEN 'SECRET' ELSE 'Member ' || i END,
		   CASE WHEN i % 10 = 1 THEN now() END
	  FROM generate_series(1, 10000) i;
INSERT INTO plystra_data.user_members (user_id, member_id)
	SELECT u, m FROM generate_series(1, 10000) u,
		   LATERAL (VALUES (u), (1 + (u * 7) % 10000), (1 + (u * 13) % 10000)) v(m)
	ON CONFLICT DO NOTHING;
INSERT INTO plystra_data.groups (space_id, slug, name, deleted_at)
	SELECT 1 + i % 9, 'g' || i, CASE WHEN i % 10 = 0 THEN 'SECRET' ELSE 'Group ' || i END,
		   CASE WHEN i % 10 = 0 THEN now() END
	  FROM generate_series(1, 200) i;
INSERT INTO plystra_data.roles (space_id, key, name, deleted_at)
	SELECT 1 + i % 9, 'r' || i, CASE WHEN i % 10 = 0 THEN 'SECRET' ELSE 'Role ' || i END,
		   CASE WHEN i % 10 = 0 THEN now() END
	  FROM generate_series(1, 200) i;
INSERT INTO plystra_data.member_roles (member_id, role_id, scope_anchor_group_id)
	SELECT m, r.id, CASE WHEN m % 3 = 0 THEN NULL ELSE g.id END
	  FROM generate_series(1, 10000) m,
		   LATERAL (SELECT id FROM plystra_data.roles WHERE key = 'r' || (1 + m % 200)) r,
		   LATERAL (SELECT id FROM plystra_data.groups WHERE slug = 'g' || (1 + m % 200)) g;
INSERT INTO plystra_data.role_permissions (role_id, permission_id)
	SELECT r.id, p.id FROM plystra_data.roles r, plystra_data.permissions p
	 WHERE r.key LIKE 'r%' AND r.key <> 'r1' AND p.id <= 3;
INSERT INTO plystra_data.user_allowed_groups (user_id, group_id)
	SELECT u, g.id FROM generate_series(1, 10000) u,
		   LATERAL (SELECT id FROM plystra_data.groups WHERE slug = 'g' || (1 + u % 200)) g;
INSERT INTO plystra_data.resource_types (key, name) VALUES ('doc', 'Document');
INSERT INTO plystra_data.resource_actions (resource_type_id, key, name)
	SELECT id, 'read', 'Read' FROM plystra_data.resource_types WHERE key = 'doc';
INSERT INTO plystra_data.resources (space_id, resource_type_id, external_id, name, deleted_at)
	SELECT 1 + i % 9, t.id, 'doc-' || i, CASE WHEN i % 10 = 0 THEN 'SECRET' ELSE 'Doc ' || i END,
		   CASE WHEN i % 10 = 0 THEN now() END
	  FROM generate_series(1, 100) i, plystra_data.resource_types t WHERE t.key = 'doc';
INSERT INTO plystra_data.resource_mappings (resource_action_id, permission_id, resource_id)
	SELECT a.id, 1, r.id FROM plystra_data.resource_actions a, plystra_data.resources r;
INSERT INTO plystra_data.sessions (user_id, token_hash, expires_at)
	SELECT u, sha256(u::text::bytea), now() + interval '1 day' FROM generate_series(1, 10000) u;
INSERT INTO plystra_data.admin_grants (user_id, scope, space_id)
	SELECT u, CASE WHEN u % 2 = 0 THEN 'platform' ELSE 'space' END,
		   CASE WHEN u % 2 = 0 THEN NULL ELSE 1 + u % 40 END
	  FROM generate_series(1, 100) u;
INSERT INTO plystra_data.template_installations (space_id, template_key, template_version)
	SELECT s, 'tpl', '1' FROM generate_series(1, 40) s;
INSERT INTO plystra_data.plugins (key, name, version) VALUES ('p', 'P', '1');
INSERT INTO plystra_data.plugin_settings_definitions (plugin_id, key, value_type)
	SELECT id, 'k', 'string' FROM plystra_data.plugins;
INSERT INTO plystra_data.plugin_settings_values (definition_id, space_id, value)
	SELECT d.id, s, '"v"' FROM plystra_data.plugin_settings_definitions d, generate_series(1, 40) s;
INSERT INTO plystra_data.audit_logs (event_type, actor_user_id, target_type, target_id)
	SELECT 'user.login.failed', 1 + i % 10000, 'users', (1 + i % 10000)::text
	  FROM generate_series(1, 50000) i;
ANALYZE;

-- every view that hides rows has rows to hide, from every role: a
-- superuser sees through the views what the application sees
CREATE TABLE hidden (view name PRIMARY KEY, stored bigint, shown bigint);
DO $$
DECLARE
	v name;
BEGIN
	FOR v IN SELECT c.relname FROM pg_class c
			  WHERE c.relnamespace = 'plystra'::regnamespace AND c.relkind = 'v'
				AND c.relowner = 'plystra_interface'::regrole LOOP
		EXECUTE format('INSERT INTO hidden SELECT %L, (SELECT count(*) FROM plystra_data.%I),'
					   ' (SELECT count(*) FROM plystra.%I)', v, v, v);
	END LOOP;
END
$$;
SELECT view, stored, shown, stored > shown AS hides FROM hidden ORDER BY 1;
GRANT SELECT ON hidden TO plystra_regress_iapp;
-- an id (or user_id) of a hidden row of each view
CREATE TABLE hidden_id (view name PRIMARY KEY, id bigint);
DO $$
DECLARE
	v name;
	col name;
BEGIN
	FOR v IN SELECT view FROM hidden LOOP
		col := CASE WHEN v = 'user_allowed_groups' THEN 'user_id' ELSE 'id' END;
		EXECUTE format('INSERT INTO hidden_id SELECT %L, min(s.%I) FROM plystra_data.%I s'
					   ' WHERE NOT EXISTS (SELECT FROM plystra.%I v WHERE v.%I = s.%I)',
					   v, col, v, v, col, col);
	END LOOP;
END
$$;
SELECT view FROM hidden_id WHERE id IS NULL;
GRANT SELECT ON hidden_id TO plystra_regress_iapp;
SELECT 'plystra_data.users'::regclass::oid AS users_oid \gset

SET SESSION AUTHORIZATION plystra_regress_iapp;
-- the application has nothing on the storage, and cannot become the owner
SELECT count(*) FROM plystra_data.users;
SET ROLE plystra_interface;
SELECT has_schema_privilege('plystra_data', 'USAGE') AS storage_usage;
SELECT view, shown = (xpath('/row/c/text()',
						   query_to_xml(format('SELECT count(*) AS c FROM plystra.%I', view),
										false, true, '')))[1]::text::bigint AS same_as_superuser
  FROM hidden ORDER BY 1;

-- a leaky function in a WHERE clause, the cheapest there can be, sees
-- visible rows only: in every view, and in joins
CREATE TEMP TABLE seen (view text, r text);
CREATE TEMP TABLE visible (view text, r text);
CREATE FUNCTION pg_temp.leak(v text, r text) RETURNS boolean
	LANGUAGE plpgsql COST 0.0000001
	AS $$BEGIN INSERT INTO seen VALUES (v, r); RETURN true; END$$;
DO $$
DECLARE
	v name;
BEGIN
	FOR v IN SELECT view FROM hidden LOOP
		EXECUTE format('INSERT INTO visible SELECT %L, t::text FROM plystra.%I t', v, v);
		EXECUTE format('SELECT count(*) FROM plystra.%I t WHERE pg_temp.leak(%L, t::text)', v, v);
		-- and with an id lookup that finds a hidden row by the index
		EXECUTE format('SELECT count(*) FROM plystra.%I t WHERE t.%I = %s AND pg_temp.leak(%L, t::text)',
					   v, CASE WHEN v = 'user_allowed_groups' THEN 'user_id' ELSE 'id' END,
					   (SELECT id FROM hidden_id h WHERE h.view = v), v);
	END LOOP;
END
$$;
SELECT count(*) FROM plystra.user_members um JOIN plystra.members m ON m.id = um.member_id
 WHERE pg_temp.leak('members', m::text) AND pg_temp.leak('user_members', um::text);
SELECT count(*) FROM plystra.users u
 WHERE u.id IN (SELECT um.user_id FROM plystra.user_members um
				 WHERE pg_temp.leak('user_members', um::text))
   AND pg_temp.leak('users', u::text);
SELECT count(*) FROM plystra.member_roles mr JOIN plystra.roles r ON r.id = mr.role_id
 WHERE pg_temp.leak('roles', r::text) AND pg_temp.leak('member_roles', mr::text);
SELECT count(*) AS leaked, count(DISTINCT s.view) AS views
  FROM seen s
 WHERE NOT EXISTS (SELECT FROM visible v WHERE v.view = s.view AND v.r = s.r);
SELECT count(DISTINCT view) AS views_checked, count(*) > 0 AS saw_rows FROM seen;

-- a leaky operator's selectivity estimator is not given the statistics of
-- hidden rows (most common display_name of deleted users: SECRET)
CREATE FUNCTION pg_temp.leakeq(a text, b text) RETURNS boolean
	LANGUAGE plpgsql COST 0.0000001
	AS $$BEGIN INSERT INTO seen VALUES ('operator', a); RETURN a = b; END$$;
CREATE OPERATOR pg_temp.=== (LEFTARG = text, RIGHTARG = text,
							 FUNCTION = pg_temp.leakeq, RESTRICT = eqsel);
TRUNCATE seen;
EXPLAIN (COSTS OFF) SELECT id FROM plystra.users WHERE display_name OPERATOR(pg_temp.===) 'User 7';
EXPLAIN (COSTS OFF) SELECT id FROM plystra.members WHERE display_name OPERATOR(pg_temp.===) 'Member 7';
SELECT count(*) AS estimator_saw_secret FROM seen WHERE r = 'SECRET';

-- an error a caller's expression raises never quotes a hidden row: the
-- cast runs only on rows the policies let through (none here)
DO $$
DECLARE
	v name;
	n bigint;
BEGIN
	FOR v IN SELECT view FROM hidden LOOP
		BEGIN
			EXECUTE format('SELECT count(*) FROM plystra.%I t WHERE t.%I = $1 AND (t::text)::int > 0',
						   v, CASE WHEN v = 'user_allowed_groups' THEN 'user_id' ELSE 'id' END)
				INTO n USING (SELECT id FROM hidden_id h WHERE h.view = v);
			IF n <> 0 THEN
				RAISE NOTICE '%: % rows', v, n;
			END IF;
		EXCEPTION WHEN invalid_text_representation THEN
			RAISE NOTICE '%: %', v, SQLERRM;
		END;
	END LOOP;
END
$$;

-- EXPLAIN ANALYZE of a lookup by a deleted row's content reads as one by a
-- value nobody has (row counts, rows removed, loops)
CREATE FUNCTION pg_temp.analyzed(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	result text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || q LOOP
		result := result || regexp_replace(line, '''[^'']*''', '''?''', 'g') || E'\n';
	END LOOP;
	RETURN result;
END
$$;
SELECT pg_temp.analyzed($$SELECT * FROM plystra.users WHERE email = 'secret-10@example.test'$$)
	 = pg_temp.analyzed($$SELECT * FROM plystra.users WHERE email = 'nobody@example.test'$$) AS email_lookup_same,
	   pg_temp.analyzed($$SELECT * FROM plystra.users WHERE display_name = 'SECRET'$$)
	 = pg_temp.analyzed($$SELECT * FROM plystra.users WHERE display_name = 'NOBODY'$$) AS users_name_same,
	   pg_temp.analyzed($$SELECT * FROM plystra.members WHERE display_name = 'SECRET'$$)
	 = pg_temp.analyzed($$SELECT * FROM plystra.members WHERE display_name = 'NOBODY'$$) AS members_name_same,
	   pg_temp.analyzed($$SELECT * FROM plystra.roles WHERE name = 'SECRET'$$)
	 = pg_temp.analyzed($$SELECT * FROM plystra.roles WHERE name = 'NOBODY'$$) AS roles_name_same;

-- writes through the views keep their counts and reach visible rows only
BEGIN;
UPDATE plystra.users SET display_name = 'x' WHERE id = 10;		-- deleted
UPDATE plystra.users SET deleted_at = now() WHERE id IN (11, 12, 20) RETURNING id;
SELECT count(*) FROM plystra.users WHERE id IN (11, 12);		-- gone, also in this transaction
DELETE FROM plystra.users WHERE id IN (13, 11, 30) RETURNING id;
DELETE FROM plystra.user_members WHERE user_id = 10;			-- rows of a deleted user
DELETE FROM plystra.user_members WHERE user_id = 14 RETURNING user_id;
UPDATE plystra.user_members SET created_at = created_at WHERE user_id IN (10, 15);
INSERT INTO plystra.users (email) VALUES ('new@example.test') RETURNING email, deleted_at;
UPDATE plystra.users SET deleted_at = NULL WHERE id = 20;		-- no undelete through the view
ROLLBACK;

-- the note that lets an UPDATE through the view leave the row it deletes
-- lasts as long as that statement: not after it, not after a rolled back
-- savepoint, not after a statement that failed
BEGIN;
UPDATE plystra.users SET deleted_at = now() WHERE id = 21;
SELECT plystra._soft_deleting(:users_oid::oid::regclass, 21) AS after_the_statement;
SAVEPOINT s;
UPDATE plystra.users SET deleted_at = now(), email = 'NOT AN EMAIL' WHERE id = 22;
ROLLBACK TO SAVEPOINT s;
SELECT plystra._soft_deleting(:users_oid::oid::regclass, 22) AS after_a_failed_statement;
SAVEPOINT t;
UPDATE plystra.users SET deleted_at = now() WHERE id = 23;
ROLLBACK TO SAVEPOINT t;
SELECT plystra._soft_deleting(:users_oid::oid::regclass, 23) AS after_rollback_to;
SELECT count(*) AS shown FROM plystra.users WHERE id IN (21, 22, 23);
ROLLBACK;

-- the plans: joins, IN, EXISTS, LATERAL and eager loads use the indexes of
-- the tables under the views, as hand-written SQL on the tables does
PREPARE memberships(bigint) AS
	SELECT m.id, m.display_name FROM plystra.user_members um
	  JOIN plystra.members m ON m.id = um.member_id WHERE um.user_id = $1;
EXPLAIN (COSTS OFF) EXECUTE memberships(42);
EXECUTE memberships(42);
PREPARE two_hops(bigint) AS
	SELECT r.id, r.key FROM plystra.user_members um
	  JOIN plystra.member_roles mr ON mr.member_id = um.member_id
	  JOIN plystra.roles r ON r.id = mr.role_id
	 WHERE um.user_id = $1;
EXPLAIN (COSTS OFF) EXECUTE two_hops(42);
PREPARE group_page(bigint) AS
	SELECT u.id, u.email FROM plystra.user_allowed_groups ug
	  JOIN plystra.users u ON u.id = ug.user_id
	 WHERE ug.group_id = $1 ORDER BY u.id LIMIT 50;
EXPLAIN (COSTS OFF) EXECUTE group_page(7);
PREPARE group_count(bigint) AS
	SELECT count(*) FROM plystra.user_allowed_groups ug
	  JOIN plystra.users u ON u.id = ug.user_id WHERE ug.group_id = $1;
EXPLAIN (COSTS OFF) EXECUTE group_count(7);
PREPARE in_subquery(bigint) AS
	SELECT m.id, m.display_name FROM plystra.members m
	 WHERE m.id IN (SELECT um.member_id FROM plystra.user_members um WHERE um.user_id = $1);
EXPLAIN (COSTS OFF) EXECUTE in_subquery(42);
PREPARE exists_subquery(bigint) AS
	SELECT u.id FROM plystra.users u
	 WHERE u.id = $1 AND EXISTS (SELECT FROM plystra.sessions s WHERE s.user_id = u.id);
EXPLAIN (COSTS OFF) EXECUTE exists_subquery(42);
PREPARE last_audit(bigint) AS
	SELECT u.id, a.id AS audit_id, a.event_type FROM plystra.users u
	 CROSS JOIN LATERAL (SELECT * FROM plystra.audit_logs a WHERE a.actor_user_id = u.id
						  ORDER BY a.created_at DESC LIMIT 10) a
	 WHERE u.id = $1;
EXPLAIN (COSTS OFF) EXECUTE last_audit(42);
PREPARE eager(bigint[]) AS
	SELECT id, display_name FROM plystra.members WHERE id = ANY ($1);
EXPLAIN (COSTS OFF) EXECUTE eager('{3,5,8,13}');
EXECUTE eager('{3,5,8,11,13}');
-- generic plans (what a driver's prepared statement gets after five runs)
SET plan_cache_mode = force_generic_plan;
CREATE FUNCTION pg_temp.scans(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	result text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		-- (the audit log's default partition is empty but for rows that
		-- found no partition, which doctor() reports: it is read, not searched)
		IF line ~ 'Seq Scan' AND line !~ 'Seq Scan on audit_logs_default' THEN
			result := result || line || ' ';
		END IF;
	END LOOP;
	RETURN coalesce(nullif(result, ''), 'none');
END
$$;
SELECT q, pg_temp.scans('EXECUTE ' || q) AS seq_scans
  FROM unnest(ARRAY['memberships(42)', 'two_hops(42)', 'group_page(7)', 'group_count(7)',
					'in_subquery(42)', 'exists_subquery(42)', 'last_audit(42)',
					'eager(''{3,5}'')']) q;
RESET plan_cache_mode;
RESET SESSION AUTHORIZATION;
-- (the estimator test can fail: a superuser reading the storage itself
-- gives the estimator the statistics)
TRUNCATE seen;
EXPLAIN (COSTS OFF) SELECT id FROM plystra_data.users WHERE display_name OPERATOR(pg_temp.===) 'User 7';
SELECT count(*) > 0 AS estimator_saw_secret FROM seen WHERE r = 'SECRET';

-- the policies and the owner of the views are the extension's
\set VERBOSITY terse
ALTER VIEW plystra.user_members OWNER TO CURRENT_USER;
ALTER TABLE plystra_data.users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE plystra_data.user_members DISABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON plystra_data.users USING (true);
ALTER POLICY plystra_live ON plystra_data.members USING (true);
ALTER POLICY plystra_live ON plystra_data.members RENAME TO other;
DROP POLICY plystra_live ON plystra_data.members;
DROP POLICY plystra_all ON plystra_data.sessions;
\set VERBOSITY default
-- a role with its own UPDATE on the storage (a DBA's) that re-points one
-- reference of a hidden row does not show it: every parent is read again
CREATE ROLE plystra_regress_idba;
GRANT USAGE ON SCHEMA plystra_data TO plystra_regress_idba;
GRANT SELECT, UPDATE ON plystra_data.member_roles TO plystra_regress_idba;
SELECT id AS hidden_member_role FROM plystra_data.member_roles
 WHERE NOT parents_live AND scope_anchor_group_id IN (SELECT id FROM plystra_data.groups WHERE deleted_at IS NOT NULL)
   AND member_id % 10 <> 1 ORDER BY id LIMIT 1 \gset
SET ROLE plystra_regress_idba;
UPDATE plystra_data.member_roles SET member_id = 2 WHERE id = :hidden_member_role;
RESET ROLE;
SELECT member_id, parents_live FROM plystra_data.member_roles WHERE id = :hidden_member_role;
SELECT count(*) AS shown FROM plystra.member_roles WHERE id = :hidden_member_role;
REVOKE ALL ON plystra_data.member_roles FROM plystra_regress_idba;
REVOKE ALL ON SCHEMA plystra_data FROM plystra_regress_idba;
DROP ROLE plystra_regress_idba;

-- a role that could act as the owner of the views is reported
GRANT plystra_interface TO plystra_regress_iapp;
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'interface owner';
REVOKE plystra_interface FROM plystra_regress_iapp;
ALTER ROLE plystra_interface LOGIN;
SELECT "check", status, detail FROM plystra.doctor() WHERE "check" = 'interface owner';
ALTER ROLE plystra_interface NOLOGIN;
-- (no partitions of the audit log made here, so that the plans above name
-- no month: audit partitions warns)
SELECT "check", status FROM plystra.doctor() WHERE status <> 'ok';
SELECT * FROM plystra.drift_check();

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE plystra_regress_interface;
DROP ROLE plystra_regress_iapp;
