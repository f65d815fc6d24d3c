--
-- The acting context: plystra.actor_user_id, plystra.request_id,
-- plystra.client_ip and plystra.user_agent, set by any role per
-- transaction, stamped into the audit rows the extension writes and into
-- the columns an application leaves NULL; a value counts in the
-- transaction that set it only.  And the views of deleted rows,
-- plystra.deleted_<entity>, which show who deleted each, for the admin
-- access, whose restore() is audited with its context.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
CREATE ROLE plystra_regress_act_app;
SELECT plystra.grant_access('plystra_regress_act_app', 'application');
INSERT INTO plystra.audit_event_types (key, description)
VALUES ('app.act.test', 'acting context test');

-- any role may set them; bad values are refused when set, with SQLSTATE
-- 22023, and change nothing
SET ROLE plystra_regress_act_app;
\set VERBOSITY default
SET plystra.actor_user_id = 'abc';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.actor_user_id = '0';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.actor_user_id = '-3';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.actor_user_id = '9223372036854775808';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.actor_user_id = ' 42';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.client_ip = 'localhost';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.client_ip = '300.1.2.3';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.request_id = E'line\nbreak';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_config('plystra.request_id', repeat('r', 201), true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT set_config('plystra.user_agent', repeat('u', 1001), true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.actor_rol = 'x';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SHOW plystra.actor_user_id;
SHOW plystra.client_ip;

-- a request: SET LOCAL, then the application's rows and the extension's
BEGIN;
SET LOCAL plystra.actor_user_id = '42';
SET LOCAL plystra.request_id = 'req-7f3a';
SELECT set_config('plystra.client_ip', '2001:db8::7', true);
SET LOCAL plystra.user_agent = 'Mozilla/5.0 (X11; Linux x86_64)';
INSERT INTO plystra.audit_logs (event_type, target_type, target_id)
VALUES ('app.act.test', 'invoice', 'omitted');
-- an ORM sends every column: its NULLs take the context too
INSERT INTO plystra.audit_logs (event_type, target_type, target_id, actor_user_id, request_id, ip, user_agent)
VALUES ('app.act.test', 'invoice', 'orm nulls', NULL, NULL, NULL, NULL);
-- what the row names wins; actor_role is the server's
INSERT INTO plystra.audit_logs (event_type, target_type, target_id, actor_user_id, request_id, ip, user_agent, actor_role)
VALUES ('app.act.test', 'invoice', 'explicit', 7, 'job-1', '192.0.2.1', 'cron', 'postgres');
INSERT INTO plystra.users (email, display_name) VALUES ('act@example.test', 'Act');
DELETE FROM plystra.users WHERE email = 'act@example.test';
COMMIT;
RESET ROLE;
SELECT id AS act_id FROM plystra_data.users WHERE email = 'act@example.test' \gset
SELECT event_type, CASE WHEN event_type = 'entity.deleted' THEN 'the user' ELSE target_id END AS target,
	   actor_user_id, request_id, ip, user_agent, actor_role
  FROM plystra.audit_logs
 WHERE event_type = 'app.act.test'
	OR (event_type = 'entity.deleted' AND target_type = 'users' AND target_id = :'act_id')
 ORDER BY id;

-- deleted rows on purpose: the admin access lists them, with who deleted
-- each, and restores one, by the names it can reach; the application
-- cannot see them; nobody writes through them
CREATE ROLE plystra_regress_act_admin;
SELECT plystra.grant_access('plystra_regress_act_admin', 'admin');
SET ROLE plystra_regress_act_admin;
SELECT email, deleted_at IS NOT NULL AS deleted, deleted_by_user_id, deleted_by_role, deleted_in_request
  FROM plystra.deleted_users WHERE id = :act_id;
SELECT count(*) AS password_hash_columns FROM information_schema.columns
 WHERE table_schema = 'plystra' AND table_name = 'deleted_users' AND column_name = 'password_hash';
RESET ROLE;
SET ROLE plystra_regress_act_app;
SELECT count(*) FROM plystra.deleted_users;
RESET ROLE;
DELETE FROM plystra.deleted_users WHERE id = :act_id;
UPDATE plystra.deleted_users SET email = 'x@example.test' WHERE id = :act_id;
-- the extension's rows of a restore and a password change carry the
-- context too
SET ROLE plystra_regress_act_admin;
BEGIN;
SET LOCAL plystra.actor_user_id = '1001';
SET LOCAL plystra.request_id = 'req-admin-1';
SELECT plystra.restore('plystra.deleted_users', :act_id);
COMMIT;
SELECT count(*) AS still_deleted FROM plystra.deleted_users WHERE id = :act_id;
RESET ROLE;
BEGIN;
SET LOCAL plystra.actor_user_id = '1002';
SELECT plystra.set_password_hash(id, '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g')
  FROM plystra.users WHERE email = 'act@example.test';
COMMIT;
SELECT event_type, actor_user_id, request_id, actor_role
  FROM plystra.audit_logs
 WHERE event_type IN ('entity.restored', 'user.password.changed') AND target_id = :'act_id'
 ORDER BY id;

-- a value counts in the transaction that set it only: after COMMIT or
-- ROLLBACK, and after a plain SET's own transaction, nothing is stamped
BEGIN;
SET LOCAL plystra.actor_user_id = '5';
ROLLBACK;
SET plystra.actor_user_id = '6';
SET plystra.request_id = 'stale';
SHOW plystra.actor_user_id;
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'after');
-- a plain SET inside the transaction counts in it
BEGIN;
SET plystra.actor_user_id = '8';
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'same transaction');
COMMIT;
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'next transaction');
RESET plystra.actor_user_id;
RESET plystra.request_id;
SELECT target_id, actor_user_id, request_id FROM plystra.audit_logs
 WHERE event_type = 'app.act.test' AND target_id IN ('after', 'same transaction', 'next transaction')
 ORDER BY id;

-- what PostgreSQL puts back (ROLLBACK TO SAVEPOINT, the end of a function
-- with a SET clause) is the value from before: one a plain SET left from an
-- earlier transaction is not stamped then either
CREATE FUNCTION public.plystra_regress_act_fn() RETURNS int
LANGUAGE sql SET plystra.actor_user_id = '88' AS 'SELECT 1';
SET plystra.actor_user_id = '5';
BEGIN;
SAVEPOINT s;
SET LOCAL plystra.actor_user_id = '7';
ROLLBACK TO SAVEPOINT s;
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'put back by rollback to savepoint');
SELECT public.plystra_regress_act_fn();
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'put back after a function');
SET LOCAL plystra.actor_user_id = '9';
SELECT public.plystra_regress_act_fn();
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'SET LOCAL, then a function');
COMMIT;
RESET plystra.actor_user_id;
DROP FUNCTION public.plystra_regress_act_fn();
SELECT target_id, actor_user_id FROM plystra.audit_logs
 WHERE event_type = 'app.act.test' AND (target_id LIKE '%function%' OR target_id LIKE 'put back%')
 ORDER BY id;

-- a savepoint rolled back takes its SET LOCAL with it
BEGIN;
SET LOCAL plystra.actor_user_id = '11';
SAVEPOINT s;
SET LOCAL plystra.actor_user_id = '12';
ROLLBACK TO SAVEPOINT s;
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'savepoint');
COMMIT;
SELECT actor_user_id FROM plystra.audit_logs WHERE target_id = 'savepoint';

-- a restore (the table's owner sending a row with its own time) keeps
-- what it sends
BEGIN;
SET LOCAL plystra.actor_user_id = '13';
INSERT INTO plystra_data.audit_logs (event_type, target_id, created_at)
VALUES ('app.act.test', 'restored', '2026-01-01 00:00:00+00');
COMMIT;
SELECT actor_user_id, created_at FROM plystra.audit_logs WHERE target_id = 'restored';

-- before the library is loaded in a session: a value set in an earlier
-- transaction is not stamped when the library loads; one set in the
-- transaction that loads it is
\c
SET plystra.actor_user_id = '31';
BEGIN;
SET LOCAL plystra.request_id = 'req-first';
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'library loaded');
COMMIT;
SELECT actor_user_id, request_id FROM plystra.audit_logs WHERE target_id = 'library loaded';
-- and an invalid value is a placeholder: when the library loads, it is
-- dropped with a warning and never stamped
\c
BEGIN;
SET LOCAL plystra.actor_user_id = 'not-a-number';
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.act.test', 'placeholder');
COMMIT;
SELECT actor_user_id FROM plystra.audit_logs WHERE target_id = 'placeholder';

DELETE FROM plystra.users WHERE email = 'act@example.test';
SELECT plystra.revoke_access('plystra_regress_act_app', 'application');
SELECT plystra.revoke_access('plystra_regress_act_admin', 'admin');
DROP ROLE plystra_regress_act_app;
DROP ROLE plystra_regress_act_admin;
