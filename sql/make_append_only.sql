--
-- plystra.make_append_only(rel): a table of one's own gets the protection
-- of audit_logs; plystra.append_only_tables() lists what is protected.
--
-- in a database of its own, so that nothing earlier files leave in the
-- regression database (rows, append-only tables) counts here
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_make_append_only;
\c plystra_regress_make_append_only
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse
CREATE ROLE plystra_regress_owner;
CREATE ROLE plystra_regress_other;
CREATE SCHEMA ledger AUTHORIZATION plystra_regress_owner;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_owner, plystra_regress_other;
GRANT EXECUTE ON FUNCTION plystra.make_append_only(regclass) TO plystra_regress_owner, plystra_regress_other;
-- the other role may look the table up (USAGE on its schema) and call the
-- function: all it lacks is ownership
GRANT USAGE ON SCHEMA ledger TO plystra_regress_other;

SET ROLE plystra_regress_owner;
CREATE TABLE ledger.entries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
							 amount numeric NOT NULL, memo text);
INSERT INTO ledger.entries (amount, memo) VALUES (10, 'opening'), (-3, 'fee');
RESET ROLE;

-- only the owner may protect it
SET ROLE plystra_regress_other;
SELECT plystra.make_append_only('ledger.entries');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE plystra_regress_owner;
SELECT plystra.make_append_only('ledger.entries');
SELECT plystra.make_append_only('ledger.entries');
RESET ROLE;
SELECT relation, builtin, protected_by FROM plystra.append_only_tables() ORDER BY relation::text;

-- the owner can add rows, and change or remove none
SET ROLE plystra_regress_owner;
INSERT INTO ledger.entries (amount, memo) VALUES (5, 'sale') RETURNING amount;
UPDATE ledger.entries SET amount = 0;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM ledger.entries WHERE memo = 'fee';
TRUNCATE ledger.entries;
ALTER TABLE ledger.entries DISABLE TRIGGER ALL;
DROP TRIGGER plystra_append_only ON ledger.entries;
ALTER TABLE ledger.entries DROP COLUMN memo;
ALTER TABLE ledger.entries RENAME TO entries2;
DROP TABLE ledger.entries;
RESET ROLE;
-- nor can the superuser, in replica mode neither
SET session_replication_role = replica;
DELETE FROM ledger.entries;
ALTER TABLE ledger.entries DISABLE TRIGGER plystra_append_only;
DROP SCHEMA ledger CASCADE;
RESET session_replication_role;
DROP OWNED BY plystra_regress_owner;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- and the registry itself is append-only
DELETE FROM plystra_data.append_only_relations;
TRUNCATE plystra_data.append_only_relations;
ALTER TABLE plystra_data.append_only_relations DISABLE TRIGGER ALL;
SELECT amount, memo FROM ledger.entries ORDER BY id;

-- what cannot be protected, with the reason
SELECT plystra.make_append_only(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.make_append_only(0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.make_append_only('plystra.users');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.make_append_only('pg_catalog.pg_class');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE scratch (id int);
SELECT plystra.make_append_only('scratch');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE UNLOGGED TABLE fast (id int);
SELECT plystra.make_append_only('fast');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE TABLE parts (id int) PARTITION BY RANGE (id);
CREATE TABLE parent_row (id int PRIMARY KEY);
CREATE TABLE child_rows (id int, parent int REFERENCES parent_row ON DELETE CASCADE);
SELECT plystra.make_append_only('child_rows');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (10);
SELECT plystra.make_append_only('parts_1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE TABLE parts_sub PARTITION OF parts FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (id);
SELECT plystra.make_append_only('parts');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE TABLE heir () INHERITS (parent_row);
SELECT plystra.make_append_only('heir');
CREATE TYPE entry_t AS (n numeric);
CREATE TABLE typed OF entry_t;
SELECT plystra.make_append_only('typed');
SELECT count(*) AS protected FROM plystra.append_only_tables()
 WHERE relation::text IN ('scratch', 'fast', 'parts', 'parts_1', 'parts_sub', 'child_rows', 'heir', 'typed');
DROP TABLE scratch, fast, parts, child_rows, heir, parent_row, typed;
DROP TYPE entry_t;

-- a partitioned table: protected with every partition, and with each
-- partition created afterwards; no partition attached, detached, dropped,
-- truncated or unguarded since
CREATE TABLE ledger.events (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL,
	what text NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ledger.events_2026_11 PARTITION OF ledger.events
	FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
CREATE TABLE ledger.events_default PARTITION OF ledger.events DEFAULT;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ledger.events_2026_11 TO plystra_regress_other;
INSERT INTO ledger.events (at, what) VALUES ('2026-11-05', 'opened'), ('2030-01-01', 'far ahead');
SELECT plystra.make_append_only('ledger.events');
SELECT relation, protected_by FROM plystra.append_only_tables()
 WHERE relation::text LIKE 'ledger.events%' ORDER BY 1;
SELECT tgrelid::regclass AS relation, tgname, tgenabled FROM pg_trigger
 WHERE tgrelid::regclass::text LIKE 'ledger.events%' ORDER BY 1, 2;
CREATE TABLE ledger.events_2026_12 PARTITION OF ledger.events
	FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'ledger.events_2026_12'::regclass ORDER BY 1;
SELECT count(*) AS registered FROM plystra.append_only_tables() WHERE relation = 'ledger.events_2026_12'::regclass;
INSERT INTO ledger.events (at, what) VALUES ('2026-12-24', 'posted');
SELECT tableoid::regclass AS partition, what FROM ledger.events ORDER BY id;
\set VERBOSITY terse
UPDATE ledger.events SET what = 'rewritten';
DELETE FROM ledger.events_2026_11;
DELETE FROM ledger.events WHERE at < '2026-12-01';
TRUNCATE ledger.events_2026_12;
TRUNCATE ledger.events;
ALTER TABLE ledger.events DETACH PARTITION ledger.events_2026_12;
ALTER TABLE ledger.events DETACH PARTITION ledger.events_default;
DROP TABLE ledger.events_2026_11;
DROP TABLE ledger.events CASCADE;
ALTER TABLE ledger.events_2026_12 DISABLE TRIGGER plystra_append_only;
ALTER TABLE ledger.events_2026_12 DISABLE TRIGGER plystra_append_only_truncate;
ALTER TABLE ledger.events DISABLE TRIGGER ALL;
ALTER TABLE ledger.events_2026_12 NO INHERIT ledger.events;
CREATE TABLE ledger.loose (LIKE ledger.events);
ALTER TABLE ledger.events ATTACH PARTITION ledger.loose FOR VALUES FROM ('2027-01-01') TO ('2027-02-01');
CREATE UNLOGGED TABLE ledger.events_unlogged PARTITION OF ledger.events
	FOR VALUES FROM ('2027-02-01') TO ('2027-03-01');
CREATE TABLE ledger.events_split PARTITION OF ledger.events
	FOR VALUES FROM ('2027-03-01') TO ('2027-04-01') PARTITION BY RANGE (at);
CREATE TABLE ledger.keyed_target (id bigint PRIMARY KEY);
CREATE TABLE ledger.events_keyed PARTITION OF ledger.events (
	CONSTRAINT keyed_loose FOREIGN KEY (id) REFERENCES ledger.keyed_target ON DELETE CASCADE)
	FOR VALUES FROM ('2027-04-01') TO ('2027-05-01');
\set VERBOSITY default
-- every refusal left the table as it was
SELECT tableoid::regclass AS partition, what FROM ledger.events ORDER BY id;
SELECT inhrelid::regclass AS partition FROM pg_inherits WHERE inhparent = 'ledger.events'::regclass ORDER BY 1;
SELECT count(*) AS stray_partitions FROM pg_class
 WHERE relname IN ('events_unlogged', 'events_split', 'events_keyed');
-- the grants that would allow LOCK TABLE were taken back from the partition
SELECT has_table_privilege('plystra_regress_other', 'ledger.events_2026_11', 'UPDATE') AS can_update,
       has_table_privilege('plystra_regress_other', 'ledger.events_2026_11', 'TRUNCATE') AS can_truncate;
SELECT "check", status FROM plystra.doctor()
 WHERE "check" IN ('guard triggers', 'append-only inheritance', 'lock privileges');
-- the owner of a protected partitioned table, not a superuser, adds its
-- partitions: PostgreSQL lets it clone the row guard to them
SET ROLE plystra_regress_owner;
CREATE TABLE ledger.journal (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL,
	what text NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ledger.journal_2026_11 PARTITION OF ledger.journal
	FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
SELECT plystra.make_append_only('ledger.journal');
CREATE TABLE ledger.journal_2026_12 PARTITION OF ledger.journal
	FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');
INSERT INTO ledger.journal (at, what) VALUES ('2026-12-03', 'posted');
TRUNCATE ledger.journal_2026_12;
DELETE FROM ledger.journal;
RESET ROLE;
SELECT relation, protected_by FROM plystra.append_only_tables()
 WHERE relation::text LIKE 'ledger.journal%' ORDER BY 1;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'ledger.journal_2026_12'::regclass ORDER BY 1;
-- a partition of a partitioned table that is not protected is refused
-- with a hint, the partitioned table is protected as a whole
CREATE TABLE loose_parts (id int) PARTITION BY RANGE (id);
CREATE TABLE loose_parts_1 PARTITION OF loose_parts FOR VALUES FROM (0) TO (10);
SELECT plystra.make_append_only('loose_parts_1');
SELECT plystra.make_append_only('loose_parts');
DROP TABLE ledger.loose, ledger.keyed_target;
REVOKE ALL ON ledger.events_2026_11 FROM plystra_regress_other;

-- REASSIGN OWNED (which fires no event trigger) hands the table to a
-- superuser: then the owner role can go, and the table stays protected
REASSIGN OWNED BY plystra_regress_owner TO CURRENT_USER;
SELECT pg_get_userbyid(relowner) = current_user AS reassigned
  FROM pg_class WHERE oid = 'ledger.entries'::regclass;
DELETE FROM ledger.entries;

\set VERBOSITY default
REVOKE ALL ON FUNCTION plystra.make_append_only(regclass) FROM plystra_regress_owner, plystra_regress_other;
REVOKE ALL ON SCHEMA ledger FROM plystra_regress_other;
REVOKE ALL ON SCHEMA plystra FROM plystra_regress_owner, plystra_regress_other;
DROP ROLE plystra_regress_owner;
DROP ROLE plystra_regress_other;

\c :regress_db
DROP DATABASE plystra_regress_make_append_only;
