--
-- plystra_data.audit_logs is append-only: no statement changes or removes
-- its rows, for any role, in replica mode too, and no DDL switches the
-- guard off.  After every refusal the row fingerprint is unchanged.
--
-- in a database of its own, so that nothing earlier files leave in the
-- regression database (rows, append-only tables) counts here
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_audit_append_only;
\c plystra_regress_audit_append_only
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse
CREATE FUNCTION audit_fp() RETURNS text LANGUAGE sql AS $$
	SELECT count(*) || ' ' || coalesce(md5(string_agg(a::text, ',' ORDER BY a.id)), '')
	  FROM plystra_data.audit_logs a$$;

-- INSERT and COPY work.  The server dates the rows: a client cannot
-- back-date them; only the table's owner (a superuser: who restores dumps)
-- keeps a time it sends
CREATE ROLE plystra_regress_app;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON plystra.audit_logs TO plystra_regress_app;
SET ROLE plystra_regress_app;
INSERT INTO plystra.audit_logs (event_type, actor_user_id, created_at, details)
	VALUES ('user.login.succeeded', 1, '2001-01-01', '{"via": "view"}')
	RETURNING created_at > now() - interval '1 minute' AS dated_by_server;
RESET ROLE;
COPY plystra_data.audit_logs (event_type, actor_user_id) FROM stdin;
user.login.failed	2
\.
COPY plystra_data.audit_logs (event_type, actor_user_id, created_at) FROM stdin;
user.login.failed	3	1999-12-31 23:59:59+00
\.
SELECT event_type, actor_user_id,
	   created_at > now() - interval '1 minute' AS dated_by_server
  FROM plystra_data.audit_logs WHERE actor_user_id IS NOT NULL ORDER BY id;
SELECT audit_fp() AS fp0 \gset

-- the roles: the application role above and the superuser running this
-- test (make_append_only tests a table owner); a SECURITY DEFINER function
CREATE FUNCTION definer_delete() RETURNS bigint LANGUAGE sql SECURITY DEFINER
	SET search_path = pg_catalog AS $$
	WITH d AS (DELETE FROM plystra_data.audit_logs RETURNING 1) SELECT count(*) FROM d$$;
GRANT EXECUTE ON FUNCTION definer_delete() TO plystra_regress_app;

-- DML, as the superuser, then in replica mode
UPDATE plystra_data.audit_logs SET details = '{}';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra_data.audit_logs;
TRUNCATE plystra_data.audit_logs;
TRUNCATE plystra_data.background_jobs, plystra_data.audit_logs;
TRUNCATE plystra_data.audit_event_types CASCADE;
MERGE INTO plystra_data.audit_logs a USING (SELECT 1 AS id) s ON a.id = s.id
	WHEN MATCHED THEN UPDATE SET details = '{"merged": true}';
MERGE INTO plystra_data.audit_logs a USING (SELECT 1 AS id) s ON a.id = s.id
	WHEN MATCHED THEN DELETE;
INSERT INTO plystra_data.audit_logs (id, event_type) VALUES (1, 'user.locked')
	ON CONFLICT (id) DO UPDATE SET event_type = excluded.event_type;
UPDATE plystra.audit_logs SET details = '{}';
DELETE FROM plystra.audit_logs;
WITH gone AS (DELETE FROM plystra_data.audit_logs RETURNING *) SELECT count(*) FROM gone;
DO $$ BEGIN DELETE FROM plystra_data.audit_logs; END $$;
SELECT definer_delete();
SELECT audit_fp() = :'fp0' AS unchanged;
SET session_replication_role = replica;
UPDATE plystra_data.audit_logs SET details = '{}';
DELETE FROM plystra_data.audit_logs;
TRUNCATE plystra_data.audit_logs;
INSERT INTO plystra_data.audit_logs (id, event_type) VALUES (1, 'user.locked')
	ON CONFLICT (id) DO UPDATE SET event_type = excluded.event_type;
DELETE FROM plystra.audit_logs;
RESET session_replication_role;
SELECT audit_fp() = :'fp0' AS unchanged;

-- DML, as the application role
SET ROLE plystra_regress_app;
UPDATE plystra.audit_logs SET details = '{}';
DELETE FROM plystra.audit_logs;
WITH gone AS (DELETE FROM plystra.audit_logs RETURNING *) SELECT count(*) FROM gone;
SELECT definer_delete();
DELETE FROM plystra_data.audit_logs;
TRUNCATE plystra_data.audit_logs;
INSERT INTO plystra.audit_logs (event_type) VALUES ('user.login.failed') RETURNING event_type;
RESET ROLE;
-- its INSERT was the one change
SELECT count(*) AS rows_now FROM plystra_data.audit_logs;
SELECT audit_fp() AS fp0 \gset

-- DDL cannot switch the guard off
ALTER TABLE plystra_data.audit_logs DISABLE TRIGGER plystra_append_only;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER TABLE plystra_data.audit_logs DISABLE TRIGGER USER;
ALTER TABLE plystra_data.audit_logs DISABLE TRIGGER ALL;
ALTER TABLE plystra_data.audit_logs ENABLE TRIGGER plystra_append_only;
ALTER TABLE plystra_data.audit_logs ENABLE REPLICA TRIGGER plystra_append_only;
DROP TRIGGER plystra_append_only ON plystra_data.audit_logs;
DROP TRIGGER plystra_append_only_truncate ON plystra_data.audit_logs;
CREATE FUNCTION swallow() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE TRIGGER swallow BEFORE INSERT ON plystra_data.audit_logs
	FOR EACH ROW EXECUTE FUNCTION swallow();
CREATE RULE swallow AS ON INSERT TO plystra_data.audit_logs DO INSTEAD NOTHING;
CREATE RULE swallow AS ON DELETE TO plystra_data.audit_logs DO INSTEAD NOTHING;
ALTER TABLE plystra_data.audit_logs ALTER COLUMN details TYPE text;
ALTER TABLE plystra_data.audit_logs DROP COLUMN details;
ALTER TABLE plystra_data.audit_logs RENAME TO audit_logs_old;
ALTER TABLE plystra_data.audit_logs RENAME COLUMN details TO d;
ALTER TABLE plystra_data.audit_logs RENAME CONSTRAINT audit_logs_pkey TO p;
ALTER TRIGGER plystra_append_only ON plystra_data.audit_logs RENAME TO off;
ALTER TABLE plystra_data.audit_logs SET SCHEMA public;
ALTER TABLE plystra_data.audit_logs SET UNLOGGED;
ALTER TABLE plystra_data.audit_logs INHERIT plystra_data.background_jobs;
CREATE TABLE parted (LIKE plystra_data.audit_logs) PARTITION BY RANGE (id);
ALTER TABLE parted ATTACH PARTITION plystra_data.audit_logs FOR VALUES FROM (0) TO (100000);
DROP TABLE parted;
ALTER TABLE plystra_data.audit_logs OWNER TO plystra_regress_app;
-- (on a partition: PostgreSQL itself refuses a NOT VALID key on the
-- partitioned table)
ALTER TABLE plystra_data.audit_logs_default
	ADD CONSTRAINT audit_logs_actor_fkey FOREIGN KEY (actor_user_id)
	REFERENCES plystra_data.users (id) ON DELETE SET NULL NOT VALID;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER TABLE plystra_data.audit_logs_default
	ADD CONSTRAINT audit_logs_actor_fkey FOREIGN KEY (actor_user_id)
	REFERENCES plystra_data.users (id) ON UPDATE CASCADE NOT VALID;
SELECT count(*) AS foreign_keys FROM pg_constraint
 WHERE conrelid IN ('plystra_data.audit_logs'::regclass, 'plystra_data.audit_logs_default'::regclass)
   AND contype = 'f' AND conparentid = 0;
DROP TABLE plystra_data.audit_logs;
DROP TABLE plystra_data.audit_logs CASCADE;
DROP SCHEMA plystra_data CASCADE;
DROP SCHEMA plystra CASCADE;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP EXTENSION plystra;
DROP OWNED BY CURRENT_USER;
ALTER EXTENSION plystra DROP TABLE plystra_data.audit_logs;
CREATE OR REPLACE FUNCTION plystra.append_only_guard() RETURNS trigger
	LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
ALTER FUNCTION plystra.append_only_guard() RENAME TO guard_off;
ALTER FUNCTION plystra.audit_purge(timestamptz) SECURITY DEFINER;
-- a drop that reaches an append-only table by cascade from another object
CREATE DOMAIN note_text AS text;
CREATE TABLE cascade_target (id int, note note_text);
SELECT plystra.make_append_only('cascade_target');
DROP DOMAIN note_text CASCADE;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS note_columns FROM pg_attribute
 WHERE attrelid = 'cascade_target'::regclass AND attname = 'note' AND NOT attisdropped;
-- unqualified names, found through the search_path
SET search_path = plystra_data;
ALTER TABLE audit_logs DISABLE TRIGGER plystra_append_only;
DROP TRIGGER plystra_append_only ON audit_logs;
ALTER TABLE audit_logs RENAME TO audit_old;
DELETE FROM audit_logs;
TRUNCATE audit_logs;
RESET search_path;
-- a trigger that would replace the guard, or one with its function that
-- would stop inserts
CREATE OR REPLACE TRIGGER plystra_append_only BEFORE UPDATE OR DELETE ON plystra_data.audit_logs
	FOR EACH ROW WHEN (false) EXECUTE FUNCTION plystra.append_only_guard();
CREATE TRIGGER plystra_append_only_2 BEFORE UPDATE OR DELETE ON plystra_data.audit_logs
	FOR EACH ROW WHEN (false) EXECUTE FUNCTION plystra.append_only_guard();
CREATE TRIGGER stop_inserts BEFORE INSERT ON plystra_data.audit_logs
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard();
-- tying a guard trigger to another extension, to drop it with that one
ALTER TRIGGER plystra_append_only ON plystra_data.audit_logs DEPENDS ON EXTENSION plpgsql;
-- renaming the extension's schema, to drop it under another name
ALTER SCHEMA plystra RENAME TO gone;
-- row level security that would hide the rows
ALTER TABLE plystra_data.audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE plystra_data.audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY hide ON plystra_data.audit_logs USING (false);
-- a foreign key onto the audit rows whose action would run inside a purge
-- (onto a partition: audit_logs itself has no key on id)
CREATE TABLE bomb (a bigint REFERENCES plystra_data.audit_logs_default ON DELETE CASCADE);
CREATE TABLE calm (a bigint REFERENCES plystra_data.audit_logs_default ON DELETE RESTRICT);
DROP TABLE calm;
-- what only strengthens the guard is allowed
ALTER TABLE plystra_data.audit_logs ENABLE ALWAYS TRIGGER plystra_append_only;
-- in replica mode too
SET session_replication_role = replica;
ALTER TABLE plystra_data.audit_logs DISABLE TRIGGER ALL;
DROP TRIGGER plystra_append_only ON plystra_data.audit_logs;
DROP TABLE plystra_data.audit_logs;
RESET session_replication_role;
-- as the table's would-be owner: nothing to do without being the owner
SET ROLE plystra_regress_app;
ALTER TABLE plystra_data.audit_logs DISABLE TRIGGER ALL;
DROP TABLE plystra_data.audit_logs;
RESET ROLE;

-- the guard is intact: triggers enabled ALWAYS, the shape as it was
SELECT tgname, tgenabled FROM pg_trigger
 WHERE tgrelid = 'plystra_data.audit_logs'::regclass AND NOT tgisinternal ORDER BY 1;
SELECT string_agg(attname, ', ' ORDER BY attnum) AS columns FROM pg_attribute
 WHERE attrelid = 'plystra_data.audit_logs'::regclass AND attnum > 0 AND NOT attisdropped;
SELECT evtname, evtenabled FROM pg_event_trigger ORDER BY 1;
SELECT audit_fp() = :'fp0' AS unchanged;

-- what DDL may still do: indexes, comments, statistics
CREATE INDEX audit_logs_request_id_idx ON plystra_data.audit_logs (request_id);
DROP INDEX plystra_data.audit_logs_request_id_idx;
ALTER TABLE plystra_data.audit_logs ALTER COLUMN details SET STATISTICS 200;
ALTER TABLE plystra_data.audit_logs ALTER COLUMN details SET STATISTICS -1;
SELECT audit_fp() = :'fp0' AS unchanged;

\set VERBOSITY default
DROP FUNCTION definer_delete();
DROP FUNCTION swallow();
REVOKE ALL ON plystra.audit_logs FROM plystra_regress_app;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_app;
DROP ROLE plystra_regress_app;

\c :regress_db
DROP DATABASE plystra_regress_audit_append_only;
