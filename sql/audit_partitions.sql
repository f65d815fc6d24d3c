--
-- plystra_data.audit_logs in time partitions (1.2): every partition is
-- guarded as the table is, rows are placed by the server's clock, and only
-- the extension makes, attaches, detaches or drops partitions (the one
-- exception: the empty table pg_restore attaches, protected as it comes).
--
-- in a database of its own, so that its rows and partitions stay here; at
-- 1.1 first, whose audit rows become the first partition with the update
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_audit_partitions;
\c plystra_regress_audit_partitions
SET client_min_messages = warning;
CREATE EXTENSION plystra VERSION '1.1';
INSERT INTO plystra.audit_event_types (key, description) VALUES ('app.part', 'partition test');
INSERT INTO plystra.audit_logs (event_type, details) VALUES ('app.part', '{"n": 0}');
SELECT id AS id_before FROM plystra.audit_logs WHERE details = '{"n": 0}' \gset
ALTER EXTENSION plystra UPDATE;
RESET client_min_messages;
\set VERBOSITY terse
-- the row is where it was, in the table audit_logs was, which keeps its
-- indexes and is no member of the extension (pg_dump dumps it whole)
SELECT tableoid::regclass AS partition, id = :id_before AS same_id
  FROM plystra_data.audit_logs WHERE details = '{"n": 0}';
SELECT indexrelid::regclass AS index_kept FROM pg_index
 WHERE indrelid = 'plystra_data.audit_logs_initial'::regclass ORDER BY indexrelid::regclass::text;
SELECT count(*) AS member FROM pg_depend
 WHERE objid = 'plystra_data.audit_logs_initial'::regclass AND deptype = 'e';

-- the shape: the table it was holds every row before next month, a
-- default partition any row no other partition takes
SELECT c.oid::regclass AS partition,
	   pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS is_default,
	   r.builtin AS registered_builtin
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  LEFT JOIN plystra.append_only_tables() r ON r.relation = c.oid
 WHERE i.inhparent = 'plystra_data.audit_logs'::regclass
 ORDER BY c.oid::regclass::text;
-- every partition has the row guards (clones of audit_logs' own) and its
-- own TRUNCATE guard, an internal trigger (pg_dump leaves it out, and a
-- restore makes it again), all firing always
SELECT c.relname,
	   t.tgfoid::regproc AS function,
	   t.tgtype, t.tgenabled, t.tgisinternal, t.tgparentid <> 0 AS clone
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgrelid IN (SELECT inhrelid FROM pg_inherits
					  WHERE inhparent = 'plystra_data.audit_logs'::regclass)
   AND t.tgfoid <> ALL (SELECT oid FROM pg_proc WHERE proname LIKE 'RI\_%')
 ORDER BY c.relname, t.tgfoid::regproc::text, t.tgtype;

CREATE ROLE plystra_regress_part_app;
SELECT plystra.grant_access('plystra_regress_part_app', 'application');

-- an application's row: the server's id and clock time, in the partition
-- the clock time falls in
SET ROLE plystra_regress_part_app;
INSERT INTO plystra.audit_logs (event_type, details)
	VALUES ('app.part', '{"n": 1}')
	RETURNING id > 0 AS has_id, created_at >= statement_timestamp() AS clock_time;
-- a created_at it sends in the same partition is replaced by the clock
INSERT INTO plystra.audit_logs (event_type, created_at, details)
	VALUES ('app.part', now() - interval '1 second', '{"n": 2}')
	RETURNING created_at >= statement_timestamp() AS clock_time;
-- one that places the row in another partition is refused, not moved
INSERT INTO plystra.audit_logs (event_type, created_at) VALUES ('app.part', '2199-01-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the id is the server's too
INSERT INTO plystra.audit_logs (id, event_type) VALUES (424242, 'app.part');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- and no role but the storage's owner may read the sequence
SELECT nextval('plystra_data.audit_logs_id_seq');
RESET ROLE;
SELECT tableoid::regclass AS partition, count(*)
  FROM plystra_data.audit_logs WHERE event_type = 'app.part' GROUP BY 1 ORDER BY tableoid::regclass::text;
-- the storage's owner (pg_restore, replication) keeps the time it sends:
-- a row of a time no partition takes lands in the default partition
INSERT INTO plystra_data.audit_logs (event_type, created_at, details)
	VALUES ('app.part', '2199-01-01', '{"n": 3}');
SELECT tableoid::regclass AS partition, id IS NOT NULL AS has_id
  FROM plystra_data.audit_logs WHERE details = '{"n": 3}';

-- queries by time read only the partitions in range; a lookup by id uses
-- each partition's primary key
EXPLAIN (COSTS OFF) SELECT count(*) FROM plystra.audit_logs WHERE created_at < '2000-01-01';
EXPLAIN (COSTS OFF) SELECT count(*) FROM plystra.audit_logs WHERE created_at >= '2199-01-01';
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM plystra.audit_logs WHERE id = 1;
RESET enable_seqscan;

-- rows never change or go, whichever table the statement names
UPDATE plystra_data.audit_logs SET details = '{}' WHERE event_type = 'app.part';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra_data.audit_logs_initial;
DELETE FROM plystra_data.audit_logs_default;
TRUNCATE plystra_data.audit_logs_initial;
TRUNCATE plystra_data.audit_logs_default;
TRUNCATE plystra_data.audit_logs;
SET session_replication_role = replica;
DELETE FROM plystra_data.audit_logs_initial;
TRUNCATE plystra_data.audit_logs_initial;
RESET session_replication_role;

-- nor do the partitions, by any role
ALTER TABLE plystra_data.audit_logs DETACH PARTITION plystra_data.audit_logs_initial;
ALTER TABLE plystra_data.audit_logs DETACH PARTITION plystra_data.audit_logs_default;
DROP TABLE plystra_data.audit_logs_initial;
DROP TABLE plystra_data.audit_logs_default CASCADE;
ALTER TABLE plystra_data.audit_logs_initial RENAME TO audit_logs_old;
ALTER TABLE plystra_data.audit_logs_initial SET UNLOGGED;
ALTER TABLE plystra_data.audit_logs_initial NO INHERIT plystra_data.audit_logs;
ALTER TABLE plystra_data.audit_logs_initial OWNER TO plystra_regress_part_app;
ALTER TABLE plystra_data.audit_logs_initial DISABLE TRIGGER plystra_append_only;
ALTER TABLE plystra_data.audit_logs_initial DISABLE TRIGGER ALL;
ALTER TABLE plystra_data.audit_logs_initial ENABLE ROW LEVEL SECURITY;
CREATE POLICY hide ON plystra_data.audit_logs_initial USING (false);
CREATE RULE keep AS ON DELETE TO plystra_data.audit_logs_initial DO INSTEAD NOTHING;
SELECT format('DROP TRIGGER %I ON plystra_data.audit_logs_initial', tgname) AS drop_internal
  FROM pg_trigger
 WHERE tgrelid = 'plystra_data.audit_logs_initial'::regclass AND tgisinternal
   AND tgfoid = 'plystra.append_only_guard'::regproc \gset
:drop_internal;
-- a partition made by hand, for a month ahead, would take the rows
CREATE TABLE plystra_data.audit_logs_2199 PARTITION OF plystra_data.audit_logs
	FOR VALUES FROM ('2199-02-01') TO ('2199-03-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a table attached with rows in it would bring rows no INSERT wrote
CREATE TABLE plystra_data.forged (LIKE plystra_data.audit_logs INCLUDING ALL);
INSERT INTO plystra_data.forged (id, created_at, event_type)
	VALUES (1, '2199-02-02', 'app.part');
ALTER TABLE plystra_data.audit_logs ATTACH PARTITION plystra_data.forged
	FOR VALUES FROM ('2199-02-01') TO ('2199-03-01');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE plystra_data.forged;
-- an empty table outside the storage is refused too
CREATE TABLE public.elsewhere (LIKE plystra_data.audit_logs INCLUDING ALL);
ALTER TABLE plystra_data.audit_logs ATTACH PARTITION public.elsewhere
	FOR VALUES FROM ('2199-02-01') TO ('2199-03-01');
DROP TABLE public.elsewhere;
-- an empty table of the storage, as pg_restore attaches it, is protected
-- as it is attached: registered, its TRUNCATE guard made, ENABLE ALWAYS
BEGIN;
CREATE TABLE plystra_data.audit_logs_restored (LIKE plystra_data.audit_logs INCLUDING ALL);
ALTER TABLE plystra_data.audit_logs ATTACH PARTITION plystra_data.audit_logs_restored
	FOR VALUES FROM ('2199-02-01') TO ('2199-03-01');
SELECT builtin FROM plystra.append_only_tables()
 WHERE relation = 'plystra_data.audit_logs_restored'::regclass;
SELECT tgisinternal, tgenabled FROM pg_trigger
 WHERE tgrelid = 'plystra_data.audit_logs_restored'::regclass
   AND tgfoid = 'plystra.append_only_guard'::regproc ORDER BY 1;
-- pg_restore --jobs truncates each table it made before loading it: a
-- partition that never held a row can be, one that has cannot
TRUNCATE plystra_data.audit_logs_restored;
INSERT INTO plystra_data.audit_logs (event_type, created_at) VALUES ('app.part', '2199-02-02');
SELECT tableoid::regclass AS partition FROM plystra_data.audit_logs WHERE created_at = '2199-02-02';
SAVEPOINT s;
TRUNCATE plystra_data.audit_logs_restored;
ROLLBACK TO s;
DELETE FROM plystra_data.audit_logs WHERE created_at = '2199-02-02';
ROLLBACK TO s;
DROP TABLE plystra_data.audit_logs_restored;
ROLLBACK;

-- the sanctioned purge removes old rows from every partition it reaches
SET plystra.audit_min_retention = 0;
SELECT clock_timestamp() AS cutoff \gset
SELECT count(*) AS before_cutoff FROM plystra_data.audit_logs WHERE created_at < :'cutoff' \gset
SELECT plystra.audit_purge(:'cutoff') = :before_cutoff AS purged_all_older;
SELECT tableoid::regclass AS partition, event_type, count(*)
  FROM plystra_data.audit_logs GROUP BY 1, 2 ORDER BY tableoid::regclass::text, 2;
RESET plystra.audit_min_retention;

-- partitions ahead: audit_maintain() makes those of the current period and
-- of plystra.audit_partitions_ahead more (monthly by default, in UTC), and
-- moves the rows the default partition caught into partitions of their own
SHOW plystra.audit_partition_interval;
SHOW plystra.audit_partitions_ahead;
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'audit partitions';
-- (audit_purge() above ran it first: the partitions are there, the row
-- the default partition held moved)
SELECT partition::text ~ '^plystra_data\.audit_logs_p[0-9]{8}$' AS named_by_day,
	   CASE WHEN from_time > '2100-01-01' THEN to_char(from_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
			ELSE 'months ahead: ' || ((extract(year FROM from_time AT TIME ZONE 'UTC') * 12
									   + extract(month FROM from_time AT TIME ZONE 'UTC'))
									  - (extract(year FROM now() AT TIME ZONE 'UTC') * 12
										 + extract(month FROM now() AT TIME ZONE 'UTC'))) END AS starts,
	   to_time = ((from_time AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC' AS one_month
  FROM plystra.audit_partitions()
 WHERE partition::text ~ '_p[0-9]{8}$' ORDER BY from_time;
-- nothing more to do
SELECT count(*) AS made_again FROM plystra.audit_maintain();
SELECT tableoid::regclass AS partition FROM plystra_data.audit_logs WHERE details = '{"n": 3}';
SELECT count(*) AS default_rows FROM ONLY plystra_data.audit_logs_default;
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'audit partitions';
-- each is protected as the rest of the table
SELECT count(*) AS problems FROM plystra._audit_partition_problems();
TRUNCATE plystra_data.audit_logs_p21990101;
ALTER TABLE plystra_data.audit_logs DETACH PARTITION plystra_data.audit_logs_p21990101;
DROP TABLE plystra_data.audit_logs_p21990101;
SELECT builtin FROM plystra.append_only_tables()
 WHERE relation = 'plystra_data.audit_logs_p21990101'::regclass;
-- a row no partition takes waits in the default partition, doctor says so,
-- and the next maintenance gives it its own
INSERT INTO plystra_data.audit_logs (event_type, created_at, details)
	VALUES ('app.part', '2150-06-15 12:00+00', '{"n": 4}');
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'audit partitions';
SELECT partition, rows_moved FROM plystra.audit_maintain();
SELECT tableoid::regclass AS partition FROM plystra_data.audit_logs WHERE details = '{"n": 4}';
-- weeks start on Monday; a period the monthly partitions cover in part gets
-- a partition for the rest
SET plystra.audit_partition_interval = '1 week';
SET plystra.audit_partitions_ahead = 20;
SELECT count(*) > 0 AS weekly_made,
	   bool_and(extract(isodow FROM to_time AT TIME ZONE 'UTC') = 1) AS ending_on_mondays,
	   bool_and(to_time - from_time <= interval '7 days') AS at_most_a_week,
	   count(*) FILTER (WHERE extract(isodow FROM from_time AT TIME ZONE 'UTC') <> 1) <= 1 AS one_start_off_monday_at_most
  FROM plystra.audit_maintain();
SELECT count(*) AS problems FROM plystra._audit_partition_problems();
RESET plystra.audit_partition_interval;
RESET plystra.audit_partitions_ahead;
-- the settings are a superuser's, and only such intervals
SET plystra.audit_partition_interval = '2 hours';
SET plystra.audit_partition_interval = '0 months';
SET plystra.audit_partition_interval = '1 month 2 days';
SET plystra.audit_partition_interval = 'fortnight';
SET plystra.audit_partitions_ahead = -1;
SET ROLE plystra_regress_part_app;
SET plystra.audit_partitions_ahead = 10;
SELECT * FROM plystra.audit_maintain();
SELECT * FROM plystra.audit_partitions();
RESET ROLE;
-- a partition whose guard was switched off below SQL is named by doctor
UPDATE pg_trigger SET tgenabled = 'D'
 WHERE tgrelid = 'plystra_data.audit_logs_p21990101'::regclass AND tgisinternal
   AND tgfoid = 'plystra.append_only_guard'::regproc;
SELECT * FROM plystra._audit_partition_problems();
SELECT "check", status FROM plystra.doctor() WHERE "check" = 'audit partitions';
UPDATE pg_trigger SET tgenabled = 'A'
 WHERE tgrelid = 'plystra_data.audit_logs_p21990101'::regclass AND tgisinternal
   AND tgfoid = 'plystra.append_only_guard'::regproc;

-- doctor sees every partition guarded
SELECT "check", status FROM plystra.doctor()
 WHERE "check" IN ('guard triggers', 'append-only inheritance', 'dump registration',
				   'drift_check', 'audit partitions', 'identity sequences');

\c :regress_db
DROP DATABASE plystra_regress_audit_partitions;
DROP ROLE plystra_regress_part_app;
