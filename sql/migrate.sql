--
-- plystra.migrate(): applications' migrations, applied once, in order,
-- with their checksum recorded; every refusal with its SQLSTATE.
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
CREATE FUNCTION history() RETURNS TABLE (component text, name text, checksum text,
										 applied_by name, extension_version text)
	LANGUAGE sql AS $$
	SELECT component, name, left(checksum, 15), applied_by, extension_version
	  FROM plystra.schema_migrations WHERE component <> 'plystra'
	 ORDER BY component, name COLLATE "C"$$;
CREATE SCHEMA app;
SET search_path = app, public;

-- applied once
SELECT plystra.migrate('shop', '0001_init', E'CREATE TABLE items (id int PRIMARY KEY, label text);\nINSERT INTO items VALUES (1, ''one'');\n');
SELECT plystra.migrate('shop', '0001_init', E'CREATE TABLE items (id int PRIMARY KEY, label text);\nINSERT INTO items VALUES (1, ''one'');\n');
SELECT * FROM app.items;
SELECT * FROM history();
-- unqualified names landed in the caller's search_path
SELECT relnamespace::regnamespace FROM pg_class WHERE relname = 'items';

-- the same file checked out on Windows, with a BOM, and on an old Mac: one
-- checksum, applied once
SELECT plystra.migrate('shop', '0002_more', E'INSERT INTO items VALUES (2, ''two'');\r\n');
SELECT plystra.migrate('shop', '0002_more', E'\uFEFFINSERT INTO items VALUES (2, ''two'');\r\n');
SELECT plystra.migrate('shop', '0002_more', E'INSERT INTO items VALUES (2, ''two'');\n');
SELECT plystra.migrate('shop', '0002_more', E'INSERT INTO items VALUES (2, ''two'');\r');
-- a BOM is not SQL: it is dropped before the script runs
SELECT plystra.migrate('shop', '0003_bom', E'\uFEFFINSERT INTO items VALUES (3, ''three'');');
SELECT count(*) FROM app.items;

-- an edited migration is refused, naming both checksums, and changes nothing
\set VERBOSITY default
SELECT plystra.migrate('shop', '0002_more', E'INSERT INTO items VALUES (2, ''TWO'');\n');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM app.items WHERE id = 2;

-- order: byte-wise lexicographic within a component
SELECT plystra.migrate('shop', '0000_early', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0000_early', 'CREATE TABLE early ()', allow_out_of_order => true);
SELECT plystra.migrate('shop', '0000_early', 'CREATE TABLE early ()');
SELECT plystra.migrate('shop', '0004_Upper', 'CREATE TABLE upper_case ()');
SELECT plystra.migrate('shop', '0004_lower', 'CREATE TABLE lower_case ()');
SELECT plystra.migrate('shop', '0004_Upper2', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- components are independent
SELECT plystra.migrate('billing', '0001_init', 'CREATE TABLE invoices (id int)');
SELECT * FROM history();

-- names real tools write
SELECT plystra.migrate('golang', '000001_create_teams.up', 'CREATE TABLE teams (id int)');
SELECT plystra.migrate('golang', '000002_add_index.up', 'CREATE INDEX ON teams (id)');
SELECT plystra.migrate('flyway', 'V1_2__add_x', 'CREATE TABLE fx ()');
SELECT plystra.migrate('flyway', 'V1_10__add_y', 'CREATE TABLE fy ()', allow_out_of_order => true);
SELECT plystra.migrate('numbered', '045_add_accounts', 'CREATE TABLE accounts ()');
SELECT plystra.migrate('numbered', '045_add_accounts_extra_index', 'CREATE INDEX ON accounts ((1))');
SELECT plystra.migrate('versioned', '0002_1.7.0_schema.up', 'CREATE TABLE v170 ()');
SELECT plystra.migrate('rails', '20240101120000_create_users', 'CREATE TABLE r_users ()');
SELECT plystra.migrate('my-app.core', 'V2__x+y@z', 'SELECT 1');

-- bad names and scripts: refused, each with its SQLSTATE, nothing recorded
SELECT plystra.migrate(NULL, '0001', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', NULL, 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('', '0009', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', repeat('9', 256), 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate(repeat('c', 64), '0009', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009 add', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', E'0009\tadd', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', E'0009\nadd', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', E'0009\x01', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', 'migrations/0009', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009\..\x', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '.hidden', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('plystra', '016_mine', 'SELECT 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', '');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', E'  -- nothing but a comment\n/* and another */\n');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- statements that cannot run in the migration's transaction are refused
-- before anything runs
SELECT plystra.migrate('shop', '0009', E'CREATE TABLE t9 (id int);\nCREATE INDEX CONCURRENTLY ON t9 (id);');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', E'CREATE TABLE t9 (id int);\nVACUUM t9;');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'CREATE DATABASE nope');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'DROP INDEX CONCURRENTLY IF EXISTS nope');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'REINDEX (CONCURRENTLY) TABLE items');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'ALTER SYSTEM SET work_mem = ''1GB''');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'REINDEX SCHEMA app');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'DISCARD ALL');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'ALTER DATABASE postgres SET TABLESPACE pg_default');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'CLUSTER');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'DROP DATABASE IF EXISTS nope');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'CREATE TABLESPACE nope LOCATION ''/nonexistent''');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'DROP TABLESPACE IF EXISTS nope');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'ALTER TABLE items DETACH PARTITION items_p CONCURRENTLY');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'DROP SUBSCRIPTION IF EXISTS nope');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the statement and line an error names are found past nested block comments
SELECT plystra.migrate('shop', '0009', E'/* one /* nested */ comment */\n/* another */ CREATE TABLE t9 (id int);\n/* a /* b */ c */ INSERT INTO t9 VALUES (''x'');');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('app.t9') AS t9;
-- transaction control would split the migration: refused before anything runs
SELECT plystra.migrate('shop', '0009', E'CREATE TABLE t9 (id int);\nCOMMIT;\nCREATE TABLE t10 ();');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', E'BEGIN;\nCREATE TABLE t9 (id int);\nEND;');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', E'CREATE TABLE t9 (id int);\nSAVEPOINT s;\nROLLBACK TO s;');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', E'CREATE TABLE t9 (id int);\nDO $$ BEGIN COMMIT; END $$;');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('app.t9') AS t9;

-- a failing script leaves nothing: no object, no row; the error says which
-- migration, statement and line, with the original SQLSTATE
SELECT plystra.migrate('shop', '0009', E'CREATE TABLE t9 (id int);\nINSERT INTO t9 VALUES (1);\n\nINSERT INTO t9 VALUES (''x'');\n');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', E'CREATE TABLE t9 (id int);\nSELEC 1;\n');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('app.t9') AS t9;
SELECT count(*) AS recorded FROM plystra.schema_migrations WHERE name = '0009';

-- the history is written by migrate() alone
SELECT plystra.migrate('shop', '0009', 'INSERT INTO plystra.schema_migrations VALUES (''x'', ''y'')');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'DELETE FROM plystra_data.schema_migrations');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'ALTER TABLE plystra_data.schema_migrations DISABLE TRIGGER ALL');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'TRUNCATE plystra.schema_migrations');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'MERGE INTO plystra_data.schema_migrations m USING (SELECT 1) s ON false WHEN NOT MATCHED THEN DO NOTHING');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'COPY plystra_data.schema_migrations FROM ''/dev/null''');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'ALTER TABLE plystra_data.schema_migrations SET SCHEMA public');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'CREATE RULE r AS ON INSERT TO plystra_data.schema_migrations DO INSTEAD NOTHING');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', 'DROP TABLE plystra_data.schema_migrations');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- an unqualified name is the history when the search_path finds it there
SET search_path = plystra, app, public;
SELECT plystra.migrate('shop', '0009', 'DELETE FROM schema_migrations');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET search_path = app, public;
-- and is not where it finds no such table: the statement runs, and fails
SELECT plystra.migrate('shop', '0009', 'DROP TABLE schema_migrations');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', $m$DO $$ BEGIN EXECUTE 'INSERT INTO plystra_data.schema_migrations SELECT ''shop'', ''0010'', checksum, now(), current_user, ''1s'', ''1.1'' FROM plystra_data.schema_migrations LIMIT 1'; END $$$m$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- nor by a migration that calls migrate() or migration_forget()
SELECT plystra.migrate('shop', '0009', $m$SELECT plystra.migrate('shop', '0010', 'SELECT 1')$m$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('shop', '0009', $m$SELECT plystra.migration_forget('shop', '0001_init', 'x')$m$);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS recorded FROM plystra.schema_migrations WHERE name IN ('0009', '0010');
-- and nobody edits it by hand, superuser included, replica mode included
UPDATE plystra_data.schema_migrations SET checksum = checksum WHERE component = 'shop';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra_data.schema_migrations WHERE component = 'shop';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
TRUNCATE plystra_data.schema_migrations;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra.schema_migrations WHERE component = 'shop';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET session_replication_role = replica;
DELETE FROM plystra_data.schema_migrations WHERE component = 'shop';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET session_replication_role;
INSERT INTO plystra_data.schema_migrations AS m
	SELECT * FROM plystra_data.schema_migrations WHERE component = 'shop' LIMIT 1
	ON CONFLICT (component, name) DO UPDATE SET checksum = excluded.checksum;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS shop_rows FROM plystra.schema_migrations WHERE component = 'shop';

-- a 5 MB script: applied once, checksum as for its LF form
CREATE TEMP TABLE big AS
SELECT 'CREATE TABLE big_target (id int, note text);' || E'\r\n' ||
	   string_agg(format('INSERT INTO big_target VALUES (%s, %L);', i, repeat('x', 60)), E'\r\n')
	   AS script
  FROM generate_series(1, 50000) i;
SELECT octet_length(script) > 5000000 AS five_mb FROM big;
SELECT plystra.migrate('big', '0001_bulk', script) FROM big;
SELECT plystra.migrate('big', '0001_bulk', replace(script, E'\r\n', E'\n')) FROM big;
SELECT count(*) FROM big_target;
SELECT checksum = plystra.migration_checksum((SELECT replace(script, E'\r\n', E'\n') FROM big)) AS lf_checksum
  FROM plystra.schema_migrations WHERE component = 'big';
DROP TABLE big;

-- the repair path: privileged, recorded in the audit log
SELECT plystra.migration_forget('shop', '0001_init', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migration_forget('shop', '0001_init', '  ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migration_forget('plystra', '001_finance_demo', 'no');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migration_forget('shop', '0099_never', 'nothing to forget');
SELECT plystra.migration_forget('shop', '0002_more', 'TICKET-7: re-run after data fix');
SELECT plystra.migrate('shop', '0002_more', E'INSERT INTO items VALUES (20, ''twenty'');', allow_out_of_order => true);
SELECT event_type, target_type, target_id, actor_role,
	   details->>'reason' AS reason, details ? 'checksum' AS has_checksum
  FROM plystra.audit_logs WHERE event_type LIKE 'migration.%' AND target_id LIKE 'shop/%'
 ORDER BY id;

-- status and verification
SELECT component, name, state, extension_version FROM plystra.migration_status('shop');
SELECT count(*) AS plystra_applied FROM plystra.migration_status('plystra') WHERE state = 'applied';
SELECT * FROM plystra.migrate_verify();
SELECT * FROM plystra.migration_status('no_such_component');

RESET search_path;
DROP SCHEMA app CASCADE;
