--
-- The migration history is written by plystra.migrate() and the
-- extension's own scripts only: not through the interface view (whatever
-- was granted on it, and not by a superuser either), not by code a
-- migration leaves to run at COMMIT; a superuser's direct insert into the
-- storage is reported by migrate_verify().  A migration cannot hold
-- client-side COPY.
--
-- in a database of its own, so that nothing earlier files leave in the
-- regression database (rows, append-only tables) counts here
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_integrity_history;
\c plystra_regress_integrity_history
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse
CREATE ROLE plystra_regress_hist_app;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_hist_app;
-- what README of 1.0 and 1.1 told DBAs to grant
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA plystra TO plystra_regress_hist_app;
CREATE ROLE plystra_regress_deployer;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_deployer;
GRANT EXECUTE ON FUNCTION plystra.migrate(text, text, text, boolean) TO plystra_regress_deployer;
GRANT CREATE ON SCHEMA public TO plystra_regress_deployer;
SELECT count(*) AS history_rows FROM plystra_data.schema_migrations \gset

-- the application cannot write the history through the view: not a row
-- that makes the deployer's migration "already applied", not one that
-- sorts last and wedges the component, not one of the extension's own
SET ROLE plystra_regress_hist_app;
INSERT INTO plystra.schema_migrations
	VALUES ('hist', '0001_invoices', plystra.migration_checksum('CREATE TABLE hist_invoices (id int);'),
			now(), 'deployer', '0', '1.2');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO plystra.schema_migrations
	VALUES ('hist', 'zzzz', 'sha256:' || repeat('0', 64), now(), 'deployer', '0', '1.2');
INSERT INTO plystra.schema_migrations
	VALUES ('plystra', '099_fake', 'sha256:' || repeat('0', 64), now(), 'deployer', '0', '1.2');
UPDATE plystra.schema_migrations SET applied_by = 'nobody';
DELETE FROM plystra.schema_migrations;
RESET ROLE;
-- nor can a superuser, also in replica mode
INSERT INTO plystra.schema_migrations
	VALUES ('hist', 'zzzz', 'sha256:' || repeat('0', 64), now(), 'postgres', '0', '1.2');
UPDATE plystra.schema_migrations SET applied_by = 'nobody';
DELETE FROM plystra.schema_migrations;
SET session_replication_role = replica;
INSERT INTO plystra.schema_migrations
	VALUES ('hist', 'zzzz', 'sha256:' || repeat('0', 64), now(), 'postgres', '0', '1.2');
RESET session_replication_role;
SELECT count(*) = :history_rows AS unchanged FROM plystra_data.schema_migrations;

-- so the deployer's migration runs, and later ones are in order
SET ROLE plystra_regress_deployer;
SELECT plystra.migrate('hist', '0001_invoices', 'CREATE TABLE hist_invoices (id int);');
SELECT plystra.migrate('hist', '0002_lines', 'CREATE TABLE hist_lines (id int);');
RESET ROLE;
SELECT to_regclass('public.hist_invoices') IS NOT NULL AS invoices_created,
	   to_regclass('public.hist_lines') IS NOT NULL AS lines_created;

-- a superuser can still insert into the storage (that is how a dump is
-- restored), but a row no migration.applied audit row accounts for is
-- reported, and doctor fails until it is repaired
INSERT INTO plystra_data.schema_migrations
	VALUES ('hist', '0003_forged', plystra.migration_checksum('DROP TABLE hist_lines;'),
			now(), 'postgres', '0', '1.2');
SELECT component, name, problem FROM plystra.migrate_verify() WHERE component = 'hist';
SELECT name, state FROM plystra.migration_status('hist');
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'migrate_verify';
SELECT plystra.migration_forget('hist', '0003_forged', 'inserted by hand in the integrity test');
SELECT count(*) AS hist_problems FROM plystra.migrate_verify() WHERE component = 'hist';

-- code a migration plants to run at COMMIT (a deferred constraint trigger)
-- cannot write a history row either, nor a reserved audit row, even when
-- the deployer is a superuser: the whole transaction fails
CREATE FUNCTION hist_forge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO plystra_data.schema_migrations
		VALUES ('hist', 'zzzz', 'sha256:' || repeat('0', 64), now(), current_user, '0', '1.2');
	RETURN NULL;
END $$;
CREATE FUNCTION hist_forge_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO plystra_data.audit_logs (event_type, target_type, target_id, details)
		VALUES ('migration.applied', 'migration', 'hist/zzzz',
				jsonb_build_object('checksum', 'sha256:' || repeat('0', 64)));
	RETURN NULL;
END $$;
BEGIN;
SELECT plystra.migrate('hist', '0004_plant', $m$
CREATE TABLE hist_plant (id int);
CREATE CONSTRAINT TRIGGER hist_forge AFTER INSERT ON hist_plant
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hist_forge();
INSERT INTO hist_plant VALUES (1);
$m$);
COMMIT;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
BEGIN;
SELECT plystra.migrate('hist', '0004_plant', $m$
CREATE TABLE hist_plant (id int);
CREATE CONSTRAINT TRIGGER hist_forge AFTER INSERT ON hist_plant
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hist_forge_audit();
INSERT INTO hist_plant VALUES (1);
$m$);
COMMIT;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('public.hist_plant') IS NULL AS nothing_applied,
	   count(*) = :history_rows + 2 AS history_unchanged
  FROM plystra_data.schema_migrations;
SELECT count(*) AS forged_audit_rows FROM plystra_data.audit_logs WHERE target_id = 'hist/zzzz';
-- outside a migration's transaction, the same trigger is a restore's
-- business: allowed, and reported
BEGIN;
CREATE TABLE hist_plant2 (id int);
CREATE CONSTRAINT TRIGGER hist_forge AFTER INSERT ON hist_plant2
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hist_forge();
INSERT INTO hist_plant2 VALUES (1);
COMMIT;
SELECT component, name, problem FROM plystra.migrate_verify() WHERE component = 'hist';
SELECT plystra.migration_forget('hist', 'zzzz', 'planted by the integrity test');
DROP TABLE hist_plant2;

-- nor can code that runs inside the extension's own writes: a CHECK
-- constraint a migration puts on the audit log, calling a function that
-- writes history and a matching audit row while migrate() records its own
CREATE FUNCTION hist_ride() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO plystra_data.schema_migrations
		VALUES ('hist', '0099_skip', 'sha256:' || repeat('1', 64), now(), current_user, '0', '1.2');
	RETURN true;
END $$;
CREATE FUNCTION hist_ride_audit() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO plystra_data.audit_logs (event_type, target_type, target_id, details)
		VALUES ('migration.applied', 'migration', 'hist/0099_skip',
				jsonb_build_object('checksum', 'sha256:' || repeat('1', 64)));
	RETURN true;
END $$;
SELECT plystra.migrate('hist', '0006_ride',
	'ALTER TABLE plystra_data.audit_logs ADD CONSTRAINT hist_ride CHECK (public.hist_ride()) NOT VALID');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('hist', '0006_ride',
	'ALTER TABLE plystra_data.audit_logs ADD CONSTRAINT hist_ride CHECK (public.hist_ride_audit()) NOT VALID');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS ridden FROM plystra_data.schema_migrations WHERE name IN ('0006_ride', '0099_skip');
SELECT count(*) AS constraints FROM pg_constraint WHERE conname = 'hist_ride';
DROP FUNCTION hist_ride(), hist_ride_audit();

-- client-side COPY cannot run in a migration: refused before anything runs
SELECT plystra.migrate('hist', '0005_copy', 'CREATE TABLE hist_copy (id int); COPY hist_copy FROM STDIN;');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.migrate('hist', '0005_copy', 'COPY (SELECT 1) TO STDOUT');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT to_regclass('public.hist_copy') IS NULL AS nothing_ran;

DROP FUNCTION hist_forge(), hist_forge_audit();
DROP TABLE hist_invoices, hist_lines;
REVOKE ALL ON ALL TABLES IN SCHEMA plystra FROM plystra_regress_hist_app;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_hist_app, plystra_regress_deployer;
REVOKE ALL ON FUNCTION plystra.migrate(text, text, text, boolean) FROM plystra_regress_deployer;
REVOKE ALL ON SCHEMA public FROM plystra_regress_deployer;
DROP ROLE plystra_regress_hist_app, plystra_regress_deployer;

\c :regress_db
DROP DATABASE plystra_regress_integrity_history;
