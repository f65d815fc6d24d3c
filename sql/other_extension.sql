--
-- Another extension's script cannot switch plystra's guard off: during any
-- extension's script creating_extension is true, and plystra's guards let
-- only plystra's own scripts through.  (test/run.sh installs the fixture
-- extension plystra_evil from test/fixtures/plystra_evil for this test.)
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
\set VERBOSITY terse
-- a row for the fixture's DELETE to reach: a DELETE that finds no row fires
-- no row trigger, and would pass however the guard judged it
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.failed', 'other_extension');
SELECT count(*) AS audit_rows FROM plystra_data.audit_logs \gset
CREATE EXTENSION plystra_evil VERSION '1.0';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE EXTENSION plystra_evil VERSION '1.1';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE EXTENSION plystra_evil VERSION '1.2';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) = :audit_rows AS unchanged FROM plystra_data.audit_logs;
SELECT count(*) AS evil_installed FROM pg_extension WHERE extname = 'plystra_evil';
