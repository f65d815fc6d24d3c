--
-- Rows an application writes: the server decides what must be true of
-- them.  Ids are assigned by the server (a purged id cannot be taken
-- again, future ids cannot be taken ahead); an audit row's time, acting
-- role and id are the server's, and the event types that record what the
-- extension did are written by the extension only; rows the extension
-- writes are dated by the clock, after the rows written before them;
-- updated_at is the server's on INSERT too.  A DELETE through a view in
-- replica mode is refused, never a silent no-op; DROP EXTENSION by a role
-- that may not drop it says nothing about the data; a deleted parent
-- cannot be told from a missing one.
--
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_rows;
\c plystra_regress_rows
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
CREATE ROLE plystra_regress_rows_app;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_rows_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA plystra TO plystra_regress_rows_app;
SET client_min_messages = error;
GRANT SELECT, INSERT ON plystra.audit_logs TO plystra_regress_rows_app;
RESET client_min_messages;
GRANT EXECUTE ON FUNCTION plystra.purge_deleted(regclass, interval) TO plystra_regress_rows_app;

-- ids are the server's
SET ROLE plystra_regress_rows_app;
INSERT INTO plystra.users (email) VALUES ('rows-first@acme.test') RETURNING id > 0 AS assigned;
SELECT id AS first_user FROM plystra.users WHERE email = 'rows-first@acme.test' \gset
INSERT INTO plystra.users (id, email) VALUES (:first_user + 1000, 'rows-ahead@acme.test');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO plystra.spaces (id, slug, name) VALUES (-1, 'rows', 'Rows');
INSERT INTO plystra.users (id, email) VALUES (DEFAULT, 'rows-default@acme.test') RETURNING email;
-- the id the default drew for a row just inserted is taken already
INSERT INTO plystra.users (id, email)
	VALUES ((SELECT max(id) FROM plystra.users), 'rows-again@acme.test');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- upsert by an id of its own is an INSERT that names an id
INSERT INTO plystra.users (id, email) VALUES (:first_user, 'rows-first@acme.test')
	ON CONFLICT (id) DO UPDATE SET display_name = 'Upserted';
-- audit rows taken ahead of the extension's own
RESET ROLE;
SELECT coalesce(max(id), 0) AS max_audit FROM plystra_data.audit_logs \gset
SET ROLE plystra_regress_rows_app;
INSERT INTO plystra.audit_logs (id, event_type)
	SELECT g, 'user.login.failed' FROM generate_series(:max_audit + 1, :max_audit + 50) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
-- the extension's own audited operations go on
DELETE FROM plystra.users WHERE email = 'rows-first@acme.test';
SELECT event_type, target_id = :'first_user' AS about_the_user FROM plystra_data.audit_logs
 ORDER BY id DESC LIMIT 1;
-- after a purge, the purged id is not given out again
SET ROLE plystra_regress_rows_app;
SELECT plystra.purge_deleted('plystra.users', '0 seconds');
INSERT INTO plystra.users (id, email) VALUES (:first_user, 'rows-impostor@acme.test');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS impostors FROM plystra_data.users WHERE email = 'rows-impostor@acme.test';
-- the storage owner (a restore) keeps the ids it writes
INSERT INTO plystra.users (id, email) VALUES (:first_user, 'rows-restored@acme.test');
SELECT id = :first_user AS kept_id FROM plystra_data.users WHERE email = 'rows-restored@acme.test';
-- a sequence moved back behind its table is what doctor() reports
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'identity sequences';
SELECT setval('plystra_data.users_id_seq', 1);
SELECT "check", status, detail FROM plystra.doctor() WHERE "check" = 'identity sequences';
SELECT setval('plystra_data.users_id_seq', max(id)) FROM plystra_data.users;
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'identity sequences';

-- audit rows: the server sets the acting role, whatever the client sent;
-- event types that record what the extension did are the extension's
SELECT coalesce(max(id), 0) AS before_forging FROM plystra_data.audit_logs \gset
SET ROLE plystra_regress_rows_app;
INSERT INTO plystra.audit_logs (event_type, actor_role, created_at)
	VALUES ('user.login.failed', 'postgres', '2001-01-01')
	RETURNING actor_role, created_at > now() - interval '1 minute' AS dated_by_server;
INSERT INTO plystra.audit_logs (event_type, actor_role) VALUES ('audit.purged', 'postgres');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO plystra.audit_logs (event_type) VALUES ('migration.forgotten');
INSERT INTO plystra.audit_logs (event_type) VALUES ('migration.applied');
INSERT INTO plystra.audit_logs (event_type) VALUES ('entity.deleted');
INSERT INTO plystra.audit_logs (event_type) VALUES ('user.password.changed');
RESET ROLE;
SELECT event_type, actor_role FROM plystra_data.audit_logs WHERE id > :before_forging;

-- rows the extension writes are dated by the clock: in one transaction,
-- they follow the rows written before them
INSERT INTO plystra.users (email) VALUES ('rows-clock@acme.test');
BEGIN;
SET LOCAL ROLE plystra_regress_rows_app;
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.locked', 'rows-clock');
SELECT pg_sleep(0.01);
DELETE FROM plystra.users WHERE email = 'rows-clock@acme.test';
COMMIT;
SELECT event_type FROM plystra_data.audit_logs
 WHERE id > (SELECT max(id) - 2 FROM plystra_data.audit_logs) ORDER BY created_at, id;
SELECT max(created_at) FILTER (WHERE event_type = 'entity.deleted')
	   > max(created_at) FILTER (WHERE event_type = 'user.locked') AS extension_row_later
  FROM plystra_data.audit_logs WHERE id > (SELECT max(id) - 2 FROM plystra_data.audit_logs);
-- a superuser's row without a time gets the clock's too; a restored time stays
BEGIN;
SELECT pg_sleep(0.01);
INSERT INTO plystra_data.audit_logs (event_type) VALUES ('user.locked')
	RETURNING created_at > now() AS clock_time;
INSERT INTO plystra_data.audit_logs (event_type, created_at) VALUES ('user.locked', '2001-01-01')
	RETURNING created_at;
COMMIT;

-- updated_at is the server's on INSERT too
SET ROLE plystra_regress_rows_app;
INSERT INTO plystra.spaces (slug, name, updated_at) VALUES ('rows-future', 'Future', '2999-01-01')
	RETURNING updated_at = now() AS stamped;
RESET ROLE;
INSERT INTO plystra.spaces (slug, name, updated_at) VALUES ('rows-restored', 'Restored', '2001-01-01')
	RETURNING updated_at;

-- replica mode: DELETE through a view is refused, not counted and skipped
INSERT INTO plystra.users (email) VALUES ('rows-replica@acme.test');
SET session_replication_role = replica;
DELETE FROM plystra.users WHERE email = 'rows-replica@acme.test' RETURNING email;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra.schema_migrations WHERE name = '001_finance_demo';
RESET session_replication_role;
SELECT deleted_at IS NULL AS still_live FROM plystra_data.users WHERE email = 'rows-replica@acme.test';

-- DROP EXTENSION by a role that may not drop it: PostgreSQL's own refusal,
-- before the guard would count (and so reveal) any rows
SET ROLE plystra_regress_rows_app;
DROP EXTENSION plystra;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP SCHEMA plystra CASCADE;
DROP OWNED BY postgres;
RESET ROLE;

-- a deleted parent cannot be told from a missing one: same SQLSTATE, same
-- message, no key
INSERT INTO plystra.users (email) VALUES ('rows-parent@acme.test');
SELECT id AS deleted_user FROM plystra.users WHERE email = 'rows-parent@acme.test' \gset
DELETE FROM plystra.users WHERE id = :deleted_user;
INSERT INTO plystra.spaces (slug, name) VALUES ('rows-space', 'Rows');
INSERT INTO plystra.members (space_id, display_name)
	SELECT id, 'Rows member' FROM plystra.spaces WHERE slug = 'rows-space';
SELECT id AS rows_member FROM plystra.members WHERE display_name = 'Rows member' \gset
SET ROLE plystra_regress_rows_app;
INSERT INTO plystra.user_members (user_id, member_id) VALUES (:deleted_user, :rows_member);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO plystra.user_members (user_id, member_id) VALUES (999999999, :rows_member);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
\set VERBOSITY default
SET ROLE plystra_regress_rows_app;
INSERT INTO plystra.user_members (user_id, member_id) VALUES (:deleted_user, :rows_member);
INSERT INTO plystra.user_members (user_id, member_id) VALUES (999999999, :rows_member);
RESET ROLE;
\set VERBOSITY terse

\c :regress_db
DROP DATABASE plystra_regress_rows;
DROP ROLE plystra_regress_rows_app;
