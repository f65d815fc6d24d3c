--
-- Access: roles get their privileges through the extension, by kind
-- (grant_access, revoke_access, plystra.access), recorded so that updates
-- and dumps keep them; doctor() reports a role whose privileges differ.
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
\set VERBOSITY terse
CREATE ROLE plystra_regress_acc_app;
CREATE ROLE plystra_regress_acc_ops;
CREATE ROLE plystra_regress_acc_nobody;

-- nobody but superusers gives or takes access, or reads who has what
SELECT p, has_function_privilege('public', p, 'EXECUTE')
  FROM unnest(ARRAY['plystra.grant_access(regrole,text)', 'plystra.revoke_access(regrole,text)']) p;
SET ROLE plystra_regress_acc_nobody;
SELECT plystra.grant_access('plystra_regress_acc_nobody', 'admin');
SELECT plystra.revoke_access('plystra_regress_acc_nobody', 'admin');
SELECT * FROM plystra.access;
RESET ROLE;

-- bad input changes nothing
\set VERBOSITY default
SELECT plystra.grant_access(NULL, 'application');
SELECT plystra.grant_access('plystra_regress_acc_app', NULL);
SELECT plystra.grant_access('plystra_regress_acc_app', 'superuser');
SELECT plystra.grant_access('plystra_regress_acc_app', '');
SELECT plystra.grant_access('plystra_regress_acc_app', repeat('application', 3));
SELECT plystra.grant_access(4000000000::oid::regrole, 'application');
SELECT plystra.grant_access('public', 'application');
SELECT plystra.revoke_access('plystra_regress_acc_app', 'Application');
SELECT plystra.grant_access(current_user::regrole, 'admin');
SELECT plystra.revoke_access(current_user::regrole, 'monitor');
\set VERBOSITY terse
SELECT count(*) FROM plystra.access;
SELECT count(*) FROM plystra_data.audit_logs WHERE event_type LIKE 'audit.access%';

-- what each kind gives: the functions and the views that are not read and
-- written alike (every other entity view gets SELECT, INSERT, UPDATE, DELETE)
SELECT a.access, a.object_type, a.object, a.privilege
  FROM plystra._access_privileges() a
 WHERE a.access <> 'application'
 ORDER BY 1, 2, 3, 4;
SELECT a.object, string_agg(a.privilege, ', ' ORDER BY a.privilege) AS privileges
  FROM plystra._access_privileges() a
 WHERE a.access = 'application'
 GROUP BY a.object
HAVING count(*) <> 4
 ORDER BY 1;
SELECT count(DISTINCT a.object) AS read_write_views
  FROM plystra._access_privileges() a
 WHERE a.access = 'application' AND a.privilege = 'DELETE';

-- application: read and write the entities, append and read audit rows,
-- read the history
SELECT plystra.grant_access('plystra_regress_acc_app', 'application');
SELECT plystra.grant_access('plystra_regress_acc_app', 'application');	-- again: no second record
SELECT role, access FROM plystra.access ORDER BY 1, 2;
SET ROLE plystra_regress_acc_app;
INSERT INTO plystra.users (email, display_name) VALUES ('acc@example.test', 'Acc') RETURNING email;
UPDATE plystra.users SET display_name = 'Acc Two' WHERE email = 'acc@example.test';
DELETE FROM plystra.users WHERE email = 'acc@example.test';
SELECT count(*) FROM plystra.user_allowed_groups WHERE user_id < 0;
INSERT INTO plystra.audit_logs (event_type, target_type, target_id)
	VALUES ('data_console.mutation', 'test', 'access');
SELECT count(*) > 0 AS reads_audit FROM plystra.audit_logs;
SELECT count(*) > 0 AS reads_history FROM plystra.schema_migrations;
-- least privilege: the audit log cannot be changed, emptied or locked,
-- storage and the functions of other kinds stay closed
UPDATE plystra.audit_logs SET target_id = 'x';
DELETE FROM plystra.audit_logs;
BEGIN;
LOCK TABLE plystra.audit_logs IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
BEGIN;
LOCK TABLE plystra.audit_event_types IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
INSERT INTO plystra.schema_migrations (component, name, checksum) VALUES ('x', 'y', 'z');
SELECT count(*) FROM plystra_data.users;
SELECT plystra.audit_purge(now() - interval '1000 days');
SELECT plystra.password_hash(1);
SELECT count(*) FROM plystra.doctor();
SELECT count(*) FROM plystra.access;
RESET ROLE;

-- the other kinds
SELECT plystra.grant_access('plystra_regress_acc_ops', k)
  FROM unnest(ARRAY['migrator', 'monitor', 'admin', 'authenticator']) k;
SET ROLE plystra_regress_acc_ops;
SELECT count(*) > 0 AS doctor_runs FROM plystra.doctor();
SELECT count(*) AS drift FROM plystra.drift_check();
SELECT count(*) AS problems FROM plystra.migrate_verify();
SELECT count(*) > 0 AS status_runs FROM plystra.migration_status('plystra');
SELECT role, access FROM plystra.access ORDER BY 1, 2;
SELECT plystra.password_hash(-1);
SELECT count(*) FROM plystra.users;
-- no access lets a role give or take access
SELECT plystra.grant_access('plystra_regress_acc_ops', 'application');
SELECT plystra.revoke_access('plystra_regress_acc_app', 'application');
RESET ROLE;

-- revoking one kind keeps what another kind of the role gives:
-- migration_status() and migrate_verify() belong to migrator and monitor
SELECT plystra.revoke_access('plystra_regress_acc_ops', 'monitor');
SELECT has_function_privilege('plystra_regress_acc_ops', 'plystra.doctor()', 'EXECUTE') AS doctor,
	   has_function_privilege('plystra_regress_acc_ops', 'plystra.migration_status(text)', 'EXECUTE') AS status,
	   has_table_privilege('plystra_regress_acc_ops', 'plystra.access', 'SELECT') AS access_view,
	   has_schema_privilege('plystra_regress_acc_ops', 'plystra', 'USAGE') AS schema_usage;
SELECT plystra.revoke_access('plystra_regress_acc_ops', 'monitor');
SELECT plystra.revoke_access('plystra_regress_acc_ops', 'admin');
SELECT plystra.revoke_access('plystra_regress_acc_ops', 'authenticator');
SELECT plystra.revoke_access('plystra_regress_acc_ops', 'migrator');
SELECT has_schema_privilege('plystra_regress_acc_ops', 'plystra', 'USAGE') AS schema_usage,
	   has_function_privilege('plystra_regress_acc_ops', 'plystra.migrate(text,text,text,boolean)', 'EXECUTE') AS migrate;
SELECT role, access FROM plystra.access ORDER BY 1, 2;

-- a rolled back grant leaves neither a record nor a privilege
BEGIN;
SELECT plystra.grant_access('plystra_regress_acc_ops', 'admin');
ROLLBACK;
SELECT count(*) FROM plystra.access WHERE role = 'plystra_regress_acc_ops';
SELECT has_function_privilege('plystra_regress_acc_ops', 'plystra.restore(regclass,bigint)', 'EXECUTE');

-- doctor: clean, then a missing and an extra privilege, then a record of a
-- role that is gone
SELECT status, detail FROM plystra.doctor() WHERE "check" = 'access';
REVOKE SELECT ON plystra.users FROM plystra_regress_acc_app;
GRANT EXECUTE ON FUNCTION plystra.audit_purge(timestamptz) TO plystra_regress_acc_app;
SELECT status, detail FROM plystra.doctor() WHERE "check" = 'access';
SELECT * FROM plystra._access_differences();
SELECT plystra.grant_access('plystra_regress_acc_app', 'application');	-- grants the missing again
REVOKE EXECUTE ON FUNCTION plystra.audit_purge(timestamptz) FROM plystra_regress_acc_app;
SELECT status FROM plystra.doctor() WHERE "check" = 'access';
CREATE ROLE plystra_regress_acc_gone;
SELECT plystra.grant_access('plystra_regress_acc_gone', 'monitor');
DROP OWNED BY plystra_regress_acc_gone;
DROP ROLE plystra_regress_acc_gone;
SELECT status, detail FROM plystra.doctor() WHERE "check" = 'access';
DELETE FROM plystra_data.access_grants WHERE role_name = 'plystra_regress_acc_gone';
SELECT status FROM plystra.doctor() WHERE "check" = 'access';
-- PUBLIC's privileges and column privileges are no access: doctor names them
GRANT USAGE ON SCHEMA plystra TO PUBLIC;
GRANT SELECT ON plystra.sessions TO PUBLIC;
GRANT SELECT (email) ON plystra.users TO plystra_regress_acc_ops;
SELECT * FROM plystra._access_differences();
SELECT status FROM plystra.doctor() WHERE "check" = 'access';
REVOKE USAGE ON SCHEMA plystra FROM PUBLIC;
REVOKE SELECT ON plystra.sessions FROM PUBLIC;
REVOKE SELECT (email) ON plystra.users FROM plystra_regress_acc_ops;
-- a role dropped and created again under its name is another role: it
-- gets nothing of the old one's access until given it
CREATE ROLE plystra_regress_acc_again;
SELECT plystra.grant_access('plystra_regress_acc_again', 'monitor');
DROP OWNED BY plystra_regress_acc_again;
DROP ROLE plystra_regress_acc_again;
CREATE ROLE plystra_regress_acc_again;
SELECT count(*) AS listed FROM plystra.access WHERE role = 'plystra_regress_acc_again';
SELECT status FROM plystra.doctor() WHERE "check" = 'access';
SELECT plystra.grant_access('plystra_regress_acc_again', 'monitor');
SELECT count(*) AS listed FROM plystra.access WHERE role = 'plystra_regress_acc_again';
SELECT status FROM plystra.doctor() WHERE "check" = 'access';
SELECT plystra.revoke_access('plystra_regress_acc_again', 'monitor');
DROP ROLE plystra_regress_acc_again;
-- names that need quoting
CREATE ROLE "Plystra Regress ""Quoted"" Role";
SELECT plystra.grant_access('"Plystra Regress ""Quoted"" Role"', 'application');
SELECT role, access FROM plystra.access WHERE role LIKE 'Plystra%';
SELECT has_table_privilege('Plystra Regress "Quoted" Role', 'plystra.users', 'SELECT, DELETE') AS granted;
SELECT status FROM plystra.doctor() WHERE "check" = 'access';
SELECT plystra.revoke_access('"Plystra Regress ""Quoted"" Role"', 'application');
SELECT has_schema_privilege('Plystra Regress "Quoted" Role', 'plystra', 'USAGE') AS usage_left;
DROP ROLE "Plystra Regress ""Quoted"" Role";
-- a superuser with a recorded access misses nothing
CREATE ROLE plystra_regress_acc_super SUPERUSER;
SELECT plystra.grant_access('plystra_regress_acc_super', 'admin');
REVOKE ALL ON FUNCTION plystra.restore(regclass, bigint) FROM plystra_regress_acc_super;
SELECT status FROM plystra.doctor() WHERE "check" = 'access';
SELECT plystra.revoke_access('plystra_regress_acc_super', 'admin');
DROP ROLE plystra_regress_acc_super;

-- every change is audited, by whom, and the record is dumped
SELECT event_type, actor_role, target_type, target_id, details
  FROM plystra.audit_logs WHERE event_type LIKE 'audit.access%' ORDER BY id;
SELECT 'plystra_data.access_grants'::regclass = ANY (extconfig) AS dumped
  FROM pg_extension WHERE extname = 'plystra';

-- an application cannot forge the audit rows of access changes, nor make
-- event types under the extension's prefixes
SET ROLE plystra_regress_acc_app;
INSERT INTO plystra.audit_logs (event_type) VALUES ('audit.access_granted');
INSERT INTO plystra.audit_event_types (key) VALUES ('audit.access_granted');
INSERT INTO plystra.audit_event_types (key) VALUES ('entity.archived');
INSERT INTO plystra.audit_event_types (key) VALUES ('shop.order_paid') RETURNING key, builtin;
UPDATE plystra.audit_event_types SET key = 'migration.undone' WHERE key = 'shop.order_paid';
RESET ROLE;

SELECT plystra.revoke_access('plystra_regress_acc_app', 'application');
SELECT count(*) FROM plystra._access_differences();
DROP ROLE plystra_regress_acc_app, plystra_regress_acc_ops, plystra_regress_acc_nobody;
