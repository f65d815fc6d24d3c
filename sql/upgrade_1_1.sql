--
-- ALTER EXTENSION plystra UPDATE from 1.0 to 1.1 (migration 015): the
-- allowed_groups arrays become user_allowed_groups rows, the column goes,
-- and privileges granted on plystra.users are kept.
--
-- the earlier tests left rows behind; drop them with the extension (when
-- this file runs alone, there is none)
SET client_min_messages = warning;
SET plystra.allow_drop_data = on;
DROP EXTENSION IF EXISTS plystra;
RESET plystra.allow_drop_data;
DROP SCHEMA IF EXISTS plystra;
RESET client_min_messages;
CREATE EXTENSION plystra VERSION '1.0';

INSERT INTO plystra.spaces (id, slug, name) VALUES (1, 'acme', 'Acme');
INSERT INTO plystra.groups (id, space_id, slug, name) VALUES
	(1, 1, 'a', 'A'), (2, 1, 'b', 'B'), (3, 1, 'c', 'C');
INSERT INTO plystra.users (id, email, allowed_groups) VALUES
	(1, 'one@acme.test', '{1,2}'),
	(2, 'two@acme.test', '{2,2,NULL,3}'),	-- duplicates and NULL
	(3, 'three@acme.test', '{}'),
	(4, 'four@acme.test', '{3}'),
	(5, 'five@acme.test', '{1,99}');		-- 99 is no group
SELECT setval('plystra_data.users_id_seq', 5);
SELECT setval('plystra_data.spaces_id_seq', 1), setval('plystra_data.groups_id_seq', 3);
UPDATE plystra_data.users SET deleted_at = now() WHERE id = 4;
UPDATE plystra_data.groups SET deleted_at = now() WHERE id = 3;

-- privileges a DBA granted on the 1.0 interface
CREATE ROLE plystra_regress_reader;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_reader;
GRANT SELECT ON plystra.users TO plystra_regress_reader;
GRANT UPDATE (display_name) ON plystra.users TO plystra_regress_reader;
GRANT SELECT (allowed_groups) ON plystra.users TO plystra_regress_reader;

-- a group that does not exist stops the update, which changes nothing
ALTER EXTENSION plystra UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'plystra';
SELECT count(*) AS history FROM plystra.schema_migrations;
SELECT to_regclass('plystra_data.user_allowed_groups') AS new_table;
SELECT id, allowed_groups FROM plystra_data.users ORDER BY id;

UPDATE plystra.users SET allowed_groups = '{1}' WHERE id = 5;

-- objects of an application built on plystra.users: 015 removes a column
-- of the view, so it must drop and recreate it, which they would block;
-- the update says which and what to do, and changes nothing
CREATE VIEW public.user_emails AS SELECT email FROM plystra.users;
CREATE FUNCTION public.user_count() RETURNS bigint LANGUAGE sql
	BEGIN ATOMIC SELECT count(*) FROM plystra.users; END;
CREATE FUNCTION public.all_users() RETURNS SETOF plystra.users LANGUAGE sql
	AS 'SELECT * FROM plystra.users';
ALTER EXTENSION plystra UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'plystra';
SELECT count(*) AS emails FROM public.user_emails;
DROP VIEW public.user_emails;
DROP FUNCTION public.user_count();
DROP FUNCTION public.all_users();

ALTER EXTENSION plystra UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'plystra';
-- and the application creates them again
CREATE VIEW public.user_emails AS SELECT email FROM plystra.users;
SELECT count(*) AS emails FROM public.user_emails;
DROP VIEW public.user_emails;

-- every element became a row, soft-deleted users and groups included
SELECT user_id, group_id FROM plystra_data.user_allowed_groups ORDER BY 1, 2;
-- the interface hides rows of deleted users and groups
SELECT user_id, group_id FROM plystra.user_allowed_groups ORDER BY 1, 2;
-- the array is gone from storage and interface
SELECT attname FROM pg_attribute
 WHERE attrelid IN ('plystra_data.users'::regclass, 'plystra.users'::regclass)
   AND attname = 'allowed_groups' AND NOT attisdropped;

-- the grants survived, as the DBA's own (not recorded as the extension's)
-- (MAINTAIN, which the owner also holds from PostgreSQL 17 on, left out)
SELECT a.grantor::regrole, a.grantee::regrole, string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privileges
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = 'plystra.users'::regclass AND a.privilege_type <> 'MAINTAIN'
 GROUP BY 1, 2 ORDER BY 2;
SELECT attname, attacl FROM pg_attribute
 WHERE attrelid = 'plystra.users'::regclass AND attacl IS NOT NULL;
SELECT count(*) AS init_privs FROM pg_init_privs
 WHERE classoid = 'pg_class'::regclass AND objoid = 'plystra.users'::regclass;
SET ROLE plystra_regress_reader;
SELECT count(*) FROM plystra.users;
UPDATE plystra.users SET display_name = 'One' WHERE id = 1;
UPDATE plystra.users SET email = 'x@acme.test' WHERE id = 1;
RESET ROLE;

-- relationship rows are hard-deleted and checked against both parents
DELETE FROM plystra.user_allowed_groups WHERE user_id = 1 AND group_id = 2;
SELECT count(*) AS stored FROM plystra_data.user_allowed_groups WHERE user_id = 1;
INSERT INTO plystra.user_allowed_groups (user_id, group_id) VALUES (1, 42);
INSERT INTO plystra.user_allowed_groups (user_id, group_id) VALUES (1, 1);

-- the users interface still takes writes after the view was rebuilt
INSERT INTO plystra.users (email) VALUES ('six@acme.test') RETURNING email, status;
UPDATE plystra.users SET display_name = 'Six' WHERE email = 'six@acme.test'
	RETURNING display_name;

REVOKE ALL ON plystra.users FROM plystra_regress_reader;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_reader;
DROP ROLE plystra_regress_reader;
