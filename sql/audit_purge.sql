--
-- plystra.audit_purge(older_than): the one sanctioned way to remove audit
-- rows.  Privileged, refuses a cutoff within plystra.audit_min_retention,
-- records what it purged, and opens the guard for its own DELETE only.
--
-- in a database of its own, so that nothing earlier files leave in the
-- regression database (rows, append-only tables) counts here
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_audit_purge;
\c plystra_regress_audit_purge
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse
-- refusals
SELECT plystra.audit_purge(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_purge('infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SHOW plystra.audit_min_retention;
SELECT plystra.audit_purge(now());
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_purge(now() - interval '89 days');
-- nothing older than 90 days exists: nothing goes, and the purge is recorded
SELECT plystra.audit_purge(now() - interval '91 days');
SELECT event_type, details->>'rows' AS rows, details->>'min_retention' AS min_retention
  FROM plystra_data.audit_logs WHERE event_type = 'audit.purged';

-- not for PUBLIC, and the setting is the superuser's
CREATE ROLE plystra_regress_app;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_app;
SET ROLE plystra_regress_app;
SELECT plystra.audit_purge(now() - interval '1 year');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET plystra.audit_min_retention = 0;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

-- rows older than the cutoff go, newer ones stay (retention lowered by the
-- superuser for the test).  A purge removes whole seals (it seals first):
-- the old rows are sealed before the new one is written
SET plystra.audit_min_retention = 0;
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES
	('user.login.failed', 'old-1'), ('user.login.failed', 'old-2');
SELECT plystra.audit_seal() > 0 AS sealed;
SELECT pg_sleep(0.05);
SELECT clock_timestamp() AS cutoff \gset
SELECT pg_sleep(0.05);
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.failed', 'new-1');
SELECT count(*) AS before_cutoff FROM plystra_data.audit_logs WHERE created_at < :'cutoff' \gset
SELECT target_id FROM plystra_data.audit_logs WHERE target_id ~ '^(old|new)-' ORDER BY 1;
SELECT plystra.audit_purge(:'cutoff') = :before_cutoff AS purged_all_older;
SELECT count(*) AS left_before_cutoff FROM plystra_data.audit_logs WHERE created_at < :'cutoff';
SELECT target_id FROM plystra_data.audit_logs WHERE target_id ~ '^(old|new)-' ORDER BY 1;
SELECT actor_role, (details->>'rows')::bigint = :before_cutoff AS rows_recorded,
	   (details->>'older_than')::timestamptz = :'cutoff' AS cutoff_recorded,
	   details->>'min_retention' AS min_retention
  FROM plystra_data.audit_logs WHERE event_type = 'audit.purged' ORDER BY id DESC LIMIT 1;

-- the door does not stay open: nothing else in the same transaction
BEGIN;
SELECT plystra.audit_purge(now() - interval '1 day');
DELETE FROM plystra_data.audit_logs;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT plystra.audit_purge(now() - interval '1 day');
UPDATE plystra_data.audit_logs SET details = '{}';
ROLLBACK;

-- partitions wholly older than the cutoff, which their purged seals fill,
-- are dropped; in the partition the cutoff falls in, a seal wholly older
-- than the cutoff loses its rows by DELETE, and a seal that also holds
-- newer rows stays whole (rows of 2000 restored by the storage owner,
-- placed in partitions of their own by the maintenance, and sealed in two
-- runs)
INSERT INTO plystra_data.audit_logs (event_type, created_at, target_id) VALUES
	('user.login.failed', '2000-01-15 12:00+00', 'jan'),
	('user.login.failed', '2000-01-20 12:00+00', 'jan'),
	('user.login.failed', '2000-02-15 12:00+00', 'feb-15');
SELECT count(*) AS partitions_made FROM plystra.audit_maintain() WHERE from_time < '2001-01-01';
SELECT plystra.audit_seal() > 0 AS sealed;
INSERT INTO plystra_data.audit_logs (event_type, created_at, target_id) VALUES
	('user.login.failed', '2000-02-14 12:00+00', 'feb-14, later'),
	('user.login.failed', '2000-02-25 12:00+00', 'feb-25'),
	('user.login.failed', '2000-03-15 12:00+00', 'mar');
SELECT count(*) AS partitions_made FROM plystra.audit_maintain() WHERE from_time < '2001-01-01';
SELECT partition, from_time AT TIME ZONE 'UTC' AS from_utc FROM plystra.audit_partitions()
 WHERE from_time < '2001-01-01' ORDER BY from_time;
SELECT plystra.audit_purge('2000-02-20 00:00+00') AS purged;
SELECT details->>'rows' AS rows, details->>'rows_deleted' AS deleted,
	   details->>'partitions_dropped' AS dropped, details->>'partitions' AS partitions,
	   details->>'partition_rows_estimated' AS estimated
  FROM plystra_data.audit_logs WHERE event_type = 'audit.purged' ORDER BY id DESC LIMIT 1;
SELECT target_id, tableoid::regclass AS partition FROM plystra_data.audit_logs
 WHERE created_at < '2001-01-01' ORDER BY created_at;
-- the purge is in the chain of seals, naming the seals it removed; the log
-- still verifies
SELECT kind, from_time AT TIME ZONE 'UTC' AS from_utc, to_time AT TIME ZONE 'UTC' AS cutoff_utc,
	   row_count, octet_length(blocks) / 8 AS seals
  FROM plystra_data.audit_seals ORDER BY seal_id DESC LIMIT 1;
SELECT count(*) AS problems FROM plystra.audit_verify();
SELECT partition FROM plystra.audit_partitions() WHERE from_time < '2001-01-01' ORDER BY from_time;
SELECT count(*) AS still_registered FROM plystra_data.append_only_relations
 WHERE relation::oid NOT IN (SELECT oid FROM pg_class);
SELECT to_regclass('plystra_data.audit_logs_p20000101') AS dropped_table;
SELECT "check", status FROM plystra.doctor()
 WHERE "check" IN ('audit partitions', 'guard triggers', 'append-only inheritance', 'drift_check');
-- nobody else drops one
DROP TABLE plystra_data.audit_logs_p20000201;
ALTER TABLE plystra_data.audit_logs DETACH PARTITION plystra_data.audit_logs_p20000201;
RESET plystra.audit_min_retention;

REVOKE ALL ON SCHEMA plystra FROM plystra_regress_app;
DROP ROLE plystra_regress_app;

\c :regress_db
DROP DATABASE plystra_regress_audit_purge;
