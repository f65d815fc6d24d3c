--
-- What PostgreSQL 17 adds that could change the rows of an append-only
-- table or lock it: ALTER COLUMN ... SET EXPRESSION recomputes a stored
-- generated column, SET ACCESS METHOD DEFAULT rewrites the table, and the
-- MAINTAIN privilege allows LOCK TABLE.  Run on PostgreSQL 17 and later
-- (the Makefile's REGRESS_LATER), in a database of its own.
--
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_pg17;
\c plystra_regress_pg17
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
SELECT count(*) AS partitions_made FROM plystra.audit_maintain();
CREATE SCHEMA vault;
CREATE TABLE vault.entries (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	amount int NOT NULL,
	doubled int GENERATED ALWAYS AS (amount * 2) STORED);
INSERT INTO vault.entries (amount) VALUES (1), (2);
SELECT plystra.make_append_only('vault.entries');

-- recomputing a stored column changes every row
ALTER TABLE vault.entries ALTER COLUMN doubled SET EXPRESSION AS (amount * 3);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- also with the guard at ddl_command_start switched off
ALTER EVENT TRIGGER plystra_ddl_guard DISABLE;
ALTER TABLE vault.entries ALTER COLUMN doubled SET EXPRESSION AS (amount * 3);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER TABLE plystra_data.audit_logs SET ACCESS METHOD DEFAULT;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER EVENT TRIGGER plystra_ddl_guard ENABLE ALWAYS;
SELECT * FROM vault.entries ORDER BY id;

-- MAINTAIN allows LOCK TABLE: not granted, with a warning
CREATE ROLE plystra_pg17_app;
GRANT USAGE ON SCHEMA vault TO plystra_pg17_app;
GRANT MAINTAIN ON vault.entries TO plystra_pg17_app;
GRANT MAINTAIN ON plystra.audit_logs TO plystra_pg17_app;
GRANT SELECT, MAINTAIN ON plystra_data.audit_event_types TO plystra_pg17_app;
SELECT c.oid::regclass AS relation, a.privilege_type
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE a.grantee = 'plystra_pg17_app'::regrole
 ORDER BY 1, 2;
SET ROLE plystra_pg17_app;
BEGIN;
LOCK TABLE vault.entries IN ACCESS EXCLUSIVE MODE;
ROLLBACK;
RESET ROLE;

-- a grant made while the guard was off: doctor reports it
ALTER EVENT TRIGGER plystra_ddl_guard_end DISABLE;
GRANT MAINTAIN ON vault.entries TO plystra_pg17_app;
ALTER EVENT TRIGGER plystra_ddl_guard_end ENABLE ALWAYS;
SELECT "check", status FROM plystra.doctor() WHERE status <> 'ok' ORDER BY 1;
REVOKE MAINTAIN ON vault.entries FROM plystra_pg17_app;

-- make_append_only() takes MAINTAIN away too
CREATE TABLE vault.ledger (id bigint PRIMARY KEY, note text);
GRANT SELECT, INSERT, MAINTAIN ON vault.ledger TO plystra_pg17_app;
SELECT plystra.make_append_only('vault.ledger');
SELECT a.privilege_type
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = 'vault.ledger'::regclass AND a.grantee = 'plystra_pg17_app'::regrole
 ORDER BY 1;

SELECT count(*) AS drift FROM plystra.drift_check();
DROP OWNED BY plystra_pg17_app;
DROP ROLE plystra_pg17_app;

\c :regress_db
DROP DATABASE plystra_regress_pg17;
