--
-- migration_status() and migrate_verify() for the extension's own history:
-- the expected list is compiled into the library, so a library newer than
-- the installed SQL shows 'pending', and a damaged history shows
-- 'checksum_mismatch' or 'unknown'.
--
-- the earlier tests left rows behind; drop them with the extension (when
-- this file runs alone, there is none)
-- errors raised inside extension scripts carry CONTEXT lines from
-- PostgreSQL 18 on; what is asserted here is the error itself
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET plystra.allow_drop_data = on;
DROP EXTENSION IF EXISTS plystra;
RESET plystra.allow_drop_data;
DROP SCHEMA IF EXISTS plystra;
RESET client_min_messages;
CREATE EXTENSION plystra VERSION '1.0';

-- the library (1.1) ships 015; the database (1.0) has not applied it
SELECT name, state, extension_version FROM plystra.migration_status('plystra')
 WHERE state <> 'applied';
SELECT * FROM plystra.migrate_verify();
SELECT count(*) FILTER (WHERE checksum = expected_checksum) AS matching,
	   count(*) AS total
  FROM plystra.migration_status('plystra');
SELECT name, version, left(checksum, 15) FROM plystra._builtin_migrations() ORDER BY name;

-- a history row the library does not ship, and one whose checksum differs
-- from the library's (as a superuser's hand edit, or a restore of another
-- build's dump, would leave)
INSERT INTO plystra_data.schema_migrations
	VALUES ('plystra', '099_from_the_future', 'sha256:' || repeat('a', 64), now(),
			current_user, '0', '9.9');
INSERT INTO plystra_data.schema_migrations
	VALUES ('plystra', '015_user_allowed_groups', 'sha256:' || repeat('b', 64), now(),
			current_user, '0', '1.1');
SELECT name, state, left(checksum, 15) AS recorded, left(expected_checksum, 15) AS expected
  FROM plystra.migration_status('plystra') WHERE state <> 'applied' ORDER BY name;
SELECT component, name, problem, left(detail, 60) AS detail FROM plystra.migrate_verify();
-- the update refuses to run on top of a damaged history
ALTER EXTENSION plystra UPDATE;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT extversion FROM pg_extension WHERE extname = 'plystra';

-- applications' rows are 'applied'; an unknown component has no rows
SELECT plystra.migrate('statusapp', '0001', 'SELECT 1');
SELECT component, name, state FROM plystra.migration_status('statusapp');
SELECT count(*) FROM plystra.migration_status('nobody');
-- privileges: nothing for PUBLIC
SELECT p.oid::regprocedure, has_function_privilege('public', p.oid, 'EXECUTE')
  FROM pg_proc p
 WHERE p.oid IN ('plystra.migrate(text,text,text,boolean)'::regprocedure,
				 'plystra.migration_forget(text,text,text)'::regprocedure,
				 'plystra.migration_status(text)'::regprocedure,
				 'plystra.migrate_verify()'::regprocedure)
 ORDER BY 1::text;
