--
-- Seals of the audit log (tamper evidence): audit_seal(), audit_verify(),
-- audit_head(), audit_verify_head().  A superuser who bypasses the guard
-- (an edited pg_trigger) changes, removes and adds rows, and removes the
-- latest seal as a restore of an older backup would: verification names
-- each.  (The horizon of a seal against writers in flight:
-- test/specs/seal_horizon.spec.)
--
-- in a database of its own: the ids and seals below start from a new log
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_audit_seals;
\c plystra_regress_audit_seals
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse

-- nothing sealed yet
SELECT plystra.audit_head() IS NULL AS no_head, plystra.audit_seal() AS sealed;
SELECT count(*) AS problems FROM plystra.audit_verify();

-- bad input
SELECT plystra.audit_verify_head(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_verify_head('');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_verify_head('plystra-audit-head:v1:1:5:abc');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_verify_head('plystra-audit-head:v1:0:5:' || repeat('0', 64));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_verify_head('plystra-audit-head:v2:1:5:' || repeat('0', 64));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_verify_head('plystra-audit-head:v1:1:5:' || repeat('A', 64));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_verify_head('plystra-audit-head:v1:99999999999999999999:5:' || repeat('0', 64));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a well-formed head of a log that has no seal
SELECT plystra.audit_verify_head('plystra-audit-head:v1:1:5:' || repeat('0', 64));

-- not for PUBLIC
CREATE ROLE plystra_regress_app;
GRANT USAGE ON SCHEMA plystra TO plystra_regress_app;
SET ROLE plystra_regress_app;
SELECT plystra.audit_seal();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM plystra.audit_verify();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT plystra.audit_head();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

-- rows as applications write them, with their acting context; and rows of
-- January and February 2000 the storage owner restores (their partitions
-- made by the maintenance)
BEGIN;
SET LOCAL plystra.actor_user_id = '42';
SET LOCAL plystra.request_id = 'req-7f3a';
SET LOCAL plystra.client_ip = '203.0.113.9';
SET LOCAL plystra.user_agent = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Firefox/120.0';
INSERT INTO plystra.audit_logs (event_type, target_type, target_id, details)
SELECT 'user.login.succeeded', 'user', (40 + i)::text,
	   jsonb_build_object('method', 'password', 'mfa', i % 2 = 0, 'ñame', 'Zoë ' || i)
  FROM generate_series(1, 20) i;
COMMIT;
INSERT INTO plystra_data.audit_logs (event_type, created_at, target_type, target_id, ip, details) VALUES
	('user.login.failed', '2000-01-15 12:00+00', 'user', 'jan', '2001:db8::1', '{"reason": "bad password"}'),
	('user.login.failed', '2000-02-15 12:00+00', 'user', 'feb', '10.1.2.3/32', '{"reason": "locked", "n": 1.50}');
SELECT count(*) AS partitions_made FROM plystra.audit_maintain() WHERE from_time < '2001-01-01';
-- (and more, so that the rows tampered with below lie in blocks of their own)
INSERT INTO plystra.audit_logs (event_type, target_type, target_id)
SELECT 'user.login.succeeded', 'user', 'u' || i FROM generate_series(1, 1000) i;
SELECT min(id) AS base FROM plystra_data.audit_logs \gset

-- doctor() reports rows older than plystra.audit_seal_max_age not sealed
SHOW plystra.audit_seal_max_age;
SELECT status, detail FROM plystra.doctor() WHERE "check" = 'audit seals';

-- one seal per period the rows fall in, in order of time, chained
SELECT plystra.audit_seal() AS sealed;
SELECT status, detail ~ '^3 seals, the latest of .* covering ids up to [0-9]+; no row older than 1d is unsealed$' AS detail_ok
  FROM plystra.doctor() WHERE "check" = 'audit seals';
SELECT seal_id, kind, first_id - :base AS first_id, last_id - :base AS last_id,
	   from_time AT TIME ZONE 'UTC' AS from_utc, row_count, octet_length(blocks) AS blocks,
	   octet_length(hash) AS hash_bytes, sealed_by,
	   prev_hash = lag(hash, 1, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
		   OVER (ORDER BY seal_id) AS chained
  FROM plystra_data.audit_seals ORDER BY seal_id;
SELECT plystra.audit_seal() AS sealed_again;
SELECT plystra.audit_head() ~ '^plystra-audit-head:v1:3:[0-9]+:[0-9a-f]{64}$' AS head_format;
SELECT plystra.audit_head() AS head1 \gset
SELECT * FROM plystra.audit_verify();
SELECT plystra.audit_verify_head(:'head1') AS extends_head1;
-- what a ticket holds may come with white space around it
SELECT plystra.audit_verify_head(E'  ' || :'head1' || E'\n') AS extends_head1;

-- the encoding of rows depends on their values, not on the session
SET TimeZone = 'Pacific/Chatham';
SET DateStyle = 'SQL, DMY';
SET extra_float_digits = -3;
SELECT * FROM plystra.audit_verify();
SELECT plystra.audit_head() = :'head1' AS same_head;
RESET TimeZone;
RESET DateStyle;
RESET extra_float_digits;

-- more rows, a later run: the head moves on, and still extends head1; an id
-- drawn by a transaction that rolled back stays a gap in the seal
BEGIN;
INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('user.login.failed', 'rolled-back');
SELECT id - :base AS gap FROM plystra_data.audit_logs WHERE target_id = 'rolled-back' \gset
ROLLBACK;
INSERT INTO plystra.audit_logs (event_type, target_type, target_id)
SELECT 'user.login.succeeded', 'user', 'later-' || i FROM generate_series(1, 300) i;
INSERT INTO plystra.audit_logs (event_type, target_type, target_id) VALUES ('user.login.succeeded', 'user', 'last');
SELECT plystra.audit_seal() AS sealed;
SELECT plystra.audit_head() AS head2 \gset
SELECT :'head2' <> :'head1' AS head_moved, plystra.audit_verify_head(:'head1') AS extends_head1,
	   plystra.audit_verify_head(:'head2') AS extends_head2;
SELECT count(*) AS problems FROM plystra.audit_verify();

-- the seals are append-only, as the audit log: for the superuser too
UPDATE plystra_data.audit_seals SET row_count = 0;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM plystra_data.audit_seals;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
TRUNCATE plystra_data.audit_seals;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER TABLE plystra_data.audit_seals DISABLE TRIGGER plystra_append_only;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE plystra_data.audit_seals;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET session_replication_role = replica;
DELETE FROM plystra_data.audit_seals;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET session_replication_role;

-- a sequence that caches ids could hand out one below a seal's horizon:
-- the extension's sequence cannot be altered, and a catalog edit that
-- gives it a cache stops the seals
ALTER SEQUENCE plystra_data.audit_logs_id_seq CACHE 20;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE pg_catalog.pg_sequence SET seqcache = 20
 WHERE seqrelid = 'plystra_data.audit_logs_id_seq'::regclass;
SELECT plystra.audit_seal();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE pg_catalog.pg_sequence SET seqcache = 1
 WHERE seqrelid = 'plystra_data.audit_logs_id_seq'::regclass;

-- The residual way around the guard README names: a superuser edits the
-- catalog.  The guard triggers of every partition switched off that way
-- (a new session reads them so) ...
UPDATE pg_catalog.pg_trigger SET tgenabled = 'D'
 WHERE tgname = 'plystra_append_only'
   AND tgrelid IN (SELECT relid FROM pg_partition_tree('plystra_data.audit_logs'));
\c
\set VERBOSITY terse
SELECT min(id) AS base FROM plystra_data.audit_logs \gset
-- ... a row changed, one removed, one's actor changed, a row inserted with
-- the unused id of the rollback, the tail cut off: each one named, by
-- its id when a row is missing or added, by its block of 256 ids when
-- one changed
UPDATE plystra_data.audit_logs SET details = '{"method": "sso"}' WHERE id = :base + 3;
DELETE FROM plystra_data.audit_logs WHERE id = :base + 300;
UPDATE plystra_data.audit_logs SET actor_role = 'intruder' WHERE id = :base + 600;
INSERT INTO plystra_data.audit_logs (id, event_type, target_id) VALUES (:base + :gap, 'user.login.succeeded', 'forged');
DELETE FROM plystra_data.audit_logs WHERE target_id = 'last';
SELECT seal_id, first_id - :base AS first_id, last_id - :base AS last_id, problem
  FROM plystra.audit_verify() ORDER BY seal_id, first_id, problem;
-- a row moved into another period than its seal's
UPDATE plystra_data.audit_logs SET created_at = '2000-03-01 00:00+00' WHERE target_id = 'feb';
SELECT seal_id, problem, detail ~ 'in none of their periods' AS outside_periods
  FROM plystra.audit_verify() WHERE first_id = last_id AND problem = 'row added'
   AND first_id = (SELECT id FROM plystra_data.audit_logs WHERE target_id = 'feb');
-- the head still names a chain the seals extend: the rows are the evidence
-- (verify), the head proves the seals were not rewritten
SELECT plystra.audit_verify_head(:'head2') AS extends_head2;

-- seals: the latest one removed (a restore of a backup older than the
-- head), and one changed
UPDATE pg_catalog.pg_trigger SET tgenabled = 'D'
 WHERE tgname = 'plystra_append_only' AND tgrelid = 'plystra_data.audit_seals'::regclass;
\c
\set VERBOSITY terse
SELECT max(seal_id) AS last_seal FROM plystra_data.audit_seals \gset
DELETE FROM plystra_data.audit_seals WHERE seal_id = :last_seal;
SELECT plystra.audit_verify_head(:'head2') AS extends_head2;
SELECT plystra.audit_verify_head(:'head1') AS extends_head1;
SELECT count(*) AS chain_problems FROM plystra.audit_verify() WHERE problem = 'seal chain broken';
UPDATE plystra_data.audit_seals SET row_count = row_count + 1 WHERE seal_id = 2;
SELECT seal_id, problem, detail FROM plystra.audit_verify() WHERE problem = 'seal chain broken';
SELECT status, detail ~ '^the chain of seals is broken' AS says_broken
  FROM plystra.doctor() WHERE "check" = 'audit seals';
SELECT plystra.audit_verify_head(:'head1') AS extends_head1;
-- a rewritten history: the same seals recomputed would not give head1
SELECT plystra.audit_verify_head(regexp_replace(:'head1', '[0-9a-f]{64}$', repeat('0', 64))) AS forged_head;

\c :regress_db
SET plystra.allow_drop_data = on;
DROP DATABASE plystra_regress_audit_seals;
DROP ROLE plystra_regress_app;

-- The canonical encoding as README describes it, computed here in SQL,
-- gives the hash the C code computes; the hash printed below is the same
-- on every PostgreSQL version the suite runs on, whatever the session's
-- settings: it depends on the rows' values only.
CREATE DATABASE plystra_regress_audit_vector;
\c plystra_regress_audit_vector
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
\set VERBOSITY terse
SET TimeZone = 'America/St_Johns';
SET DateStyle = 'German';
INSERT INTO plystra_data.audit_logs (id, created_at, event_type, actor_user_id, actor_role, space_id,
									 target_type, target_id, request_id, ip, user_agent, details) VALUES
	(1, '2001-02-03 04:05:06.789012+00', 'user.login.succeeded', 42, 'app_user', NULL,
	 'user', '42', 'req-1', '2001:db8::1/128', 'Zoë''s browser', '{"b": [1, 2.50, null], "a": "ü"}'),
	(2, '2001-02-03 04:05:07+00', 'user.login.failed', NULL, 'app_user', 7,
	 NULL, NULL, NULL, '10.0.0.0/8', NULL, '{}');
-- (a restore sets the sequence past the ids it wrote; a seal reaches as
-- far as the sequence has gone)
SELECT pg_catalog.setval('plystra_data.audit_logs_id_seq', 2);
SELECT count(*) AS partitions_made FROM plystra.audit_maintain() WHERE from_time < '2002-01-01';
SELECT plystra.audit_seal() AS sealed;
SELECT seal_id, first_id, last_id, row_count, encode(rows_hash, 'hex') AS rows_hash
  FROM plystra_data.audit_seals;
CREATE FUNCTION pg_temp.field(v text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
				ELSE '\x01'::bytea || int4send(octet_length(convert_to(v, 'UTF8'))) || convert_to(v, 'UTF8') END
$$;
CREATE FUNCTION pg_temp.inet_field(v inet) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
				ELSE '\x01'::bytea || int4send(2 + get_byte(inet_send(v), 3))
					 || set_byte('\x00'::bytea, 0, family(v)) || set_byte('\x00'::bytea, 0, masklen(v))
					 || substring(inet_send(v) FROM 5) END
$$;
-- a row's canonical encoding
CREATE FUNCTION pg_temp.encoding(a plystra_data.audit_logs) RETURNS bytea LANGUAGE sql AS $$
	SELECT pg_temp.field(a.id::text) || pg_temp.field((extract(epoch FROM a.created_at) * 1000000)::bigint::text)
		   || pg_temp.field(a.event_type) || pg_temp.field(a.actor_user_id::text)
		   || pg_temp.field(a.actor_role::text) || pg_temp.field(a.space_id::text)
		   || pg_temp.field(a.target_type) || pg_temp.field(a.target_id) || pg_temp.field(a.request_id)
		   || pg_temp.inet_field(a.ip) || pg_temp.field(a.user_agent) || pg_temp.field(a.details::text)
$$;
WITH encoded AS (
	SELECT a.id, pg_temp.encoding(a) AS e FROM plystra_data.audit_logs a
), block AS (
	-- ids 1 and 2: block 0 of the seal, whose ids start at 1
	SELECT sha256(string_agg(int4send(octet_length(e)) || e, ''::bytea ORDER BY id)) AS hash,
		   count(*)::int AS n, sum(id - 1)::int AS id_offsets
	  FROM encoded
)
SELECT sha256(int8send(0) || int4send(b.n) || int4send(b.id_offsets) || b.hash) = s.rows_hash AS same_hash
  FROM block b, plystra_data.audit_seals s;
-- rows the maintenance moves to another partition keep their hash
INSERT INTO plystra_data.audit_logs (created_at, event_type) VALUES ('2001-06-01 00:00+00', 'user.login.failed');
SELECT plystra.audit_seal() AS sealed;
SELECT partition FROM plystra.audit_maintain() WHERE from_time < '2002-01-01';
SELECT count(*) AS problems FROM plystra.audit_verify();

-- details of every kind hash as jsonb_out() writes them (the seal writes
-- jsonb itself): scalars, numbers, escapes, nesting, keys
-- in jsonb's order, containers past the 32 entries that store offsets,
-- values compressed or stored out of line, rows past the 64 kB a block
-- buffers; over 3 blocks, each seal recomputed in SQL from details::text
CREATE FUNCTION pg_temp.rows_hash(s plystra_data.audit_seals) RETURNS bytea LANGUAGE sql AS $$
	WITH encoded AS (
		SELECT a.id, pg_temp.encoding(a) AS e FROM plystra_data.audit_logs a
		 WHERE a.id BETWEEN s.first_id AND s.last_id
		   AND a.created_at >= s.from_time AND a.created_at < s.to_time
	), blocks AS (
		SELECT (id - s.first_id) / 256 AS b,
			   sha256(string_agg(int4send(octet_length(e)) || e, ''::bytea ORDER BY id)) AS hash,
			   count(*)::int AS n, sum((id - s.first_id) % 256)::int AS id_offsets
		  FROM encoded GROUP BY 1
	)
	SELECT sha256(string_agg(int8send(b) || int4send(n) || int4send(id_offsets) || hash, ''::bytea ORDER BY b))
	  FROM blocks
$$;
CREATE TEMP TABLE json_kinds (details jsonb);
INSERT INTO json_kinds VALUES
	('{}'), ('[]'), ('null'), ('true'), ('false'), ('0'), ('-0'), ('1.50'), ('1e100'), ('-1.5e-10'),
	('123456789012345678901234567890.000001'), ('"bare"'), ('""'), (NULL),
	('"quote \" backslash \\ slash / tab \t nl \n cr \r ff \f bs \b"'),
	('"control \u0001 \u001f, delete \u007f"'),
	('"é ü ß 日本語 😀"'),
	('{"a": {"b": {"c": [1, [2, [3, {}]], []]}}}'),
	('{"bbb": 1, "a": 2, "cc": 3, "": 4, "é": "\"x\""}'),
	('[1, "a", null, true, false, 2.5, {"k": []}, [[]], -7e-3]'),
	((SELECT jsonb_agg('value ' || i) FROM generate_series(1, 40) i)),
	((SELECT jsonb_object_agg('key ' || i, CASE i % 4 WHEN 0 THEN to_jsonb(i) WHEN 1 THEN to_jsonb(repeat('x', i))
												WHEN 2 THEN jsonb_build_array(i, i::text) ELSE 'null' END)
		FROM generate_series(1, 70) i)),
	(jsonb_build_object('compressed', repeat('plystra ', 20000))),
	(jsonb_build_object('out of line', (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 3000) i)));
-- (details is an object: each value also in an object and in an array)
INSERT INTO plystra_data.audit_logs (created_at, event_type, details)
	SELECT '2001-02-04 00:00+00'::timestamptz + i * interval '1 second', 'user.login.failed', d
	  FROM generate_series(1, 15) i, json_kinds k,
		   LATERAL (VALUES (CASE WHEN jsonb_typeof(k.details) = 'object' THEN k.details
								 ELSE jsonb_build_object('in array', jsonb_build_array(k.details)) END),
						   (jsonb_build_object('v', k.details))) AS v(d);
SELECT plystra.audit_seal() AS sealed;
SELECT s.seal_id, s.row_count, octet_length(s.blocks) / 48 AS blocks, pg_temp.rows_hash(s) = s.rows_hash AS same_hash
  FROM plystra_data.audit_seals s WHERE s.seal_id > 2 ORDER BY s.seal_id;
SELECT count(*) AS problems FROM plystra.audit_verify();

SELECT rows_hash AS utf8_rows_hash FROM plystra_data.audit_seals WHERE seal_id = 1 \gset

-- text is hashed as UTF-8 whatever the database's encoding: the same rows in
-- a LATIN1 database give the same hash
CREATE DATABASE plystra_regress_audit_latin1 ENCODING 'LATIN1' TEMPLATE template0
	LC_COLLATE 'C' LC_CTYPE 'C';
\c plystra_regress_audit_latin1
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
INSERT INTO plystra_data.audit_logs (id, created_at, event_type, actor_user_id, actor_role, space_id,
									 target_type, target_id, request_id, ip, user_agent, details) VALUES
	(1, '2001-02-03 04:05:06.789012+00', 'user.login.succeeded', 42, 'app_user', NULL,
	 'user', '42', 'req-1', '2001:db8::1/128', 'Zoë''s browser', '{"b": [1, 2.50, null], "a": "ü"}'),
	(2, '2001-02-03 04:05:07+00', 'user.login.failed', NULL, 'app_user', 7,
	 NULL, NULL, NULL, '10.0.0.0/8', NULL, '{}');
SELECT pg_catalog.setval('plystra_data.audit_logs_id_seq', 2);
SELECT plystra.audit_seal() AS sealed;
SELECT rows_hash = :'utf8_rows_hash'::bytea AS same_hash FROM plystra_data.audit_seals WHERE seal_id = 1;

\c :regress_db
DROP DATABASE plystra_regress_audit_vector;
DROP DATABASE plystra_regress_audit_latin1;
