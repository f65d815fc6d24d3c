-- 018_audit_partitions
-- The audit log is partitioned by time.
--
-- Audit tables grow to hundreds of millions of rows, and removing old rows
-- one by one bloats the table and its indexes.  From 1.2 on,
-- plystra_data.audit_logs is range-partitioned on created_at: retention
-- drops whole partitions, and queries by time read only the partitions in
-- range.  Nothing is rewritten: the table as it stood, if it holds rows,
-- becomes the first partition, audit_logs_initial, with its indexes and
-- foreign key; PostgreSQL reads it once to check its bound.  A default partition takes
-- rows no other partition does; the extension makes the others.
--
-- Keys and indexes are the partitions' own, each made with its partition:
-- a partitioned table cannot have a primary key on id alone (a unique key
-- must contain the partition key), and indexes of the partitioned table
-- would be made again on each partition a restore attaches, before the
-- dump's own come.  The id is
-- the server's: the extension's guard of audit rows draws it from
-- audit_logs_id_seq, which keeps the position of the identity it replaces
-- (an identity cannot be shared by partitions on every PostgreSQL version,
-- and a column default would need a privilege on the sequence).  created_at defaults to the clock time, the
-- time the extension sets on every row, so that a row is placed in the
-- partition it will stay in.

-- Applications write through the view, locking the view, then the table:
-- the same order here (LOCK of a view locks its table too), so that an
-- INSERT under way waits for the update instead of deadlocking with it.
LOCK TABLE plystra.audit_logs IN ACCESS EXCLUSIVE MODE;

-- The guard triggers of the table as it was (an install has none yet):
-- those of the partitioned table reach every partition.
DROP TRIGGER IF EXISTS plystra_append_only ON plystra_data.audit_logs;
DROP TRIGGER IF EXISTS plystra_append_only_truncate ON plystra_data.audit_logs;
DROP TRIGGER IF EXISTS plystra_created_at ON plystra_data.audit_logs;

CREATE SEQUENCE plystra_data.audit_logs_id_seq_018 AS bigint;
SELECT pg_catalog.setval('plystra_data.audit_logs_id_seq_018', s.last_value, s.is_called)
  FROM plystra_data.audit_logs_id_seq s;
-- (out of the extension first, which forgets its dump registration too)
ALTER EXTENSION plystra DROP SEQUENCE plystra_data.audit_logs_id_seq;
ALTER TABLE plystra_data.audit_logs ALTER COLUMN id DROP IDENTITY;
ALTER SEQUENCE plystra_data.audit_logs_id_seq_018 RENAME TO audit_logs_id_seq;

ALTER TABLE plystra_data.audit_logs RENAME TO audit_logs_initial;
ALTER INDEX plystra_data.audit_logs_pkey RENAME TO audit_logs_initial_pkey;
ALTER INDEX plystra_data.audit_logs_created_at_idx
	RENAME TO audit_logs_initial_created_at_idx;
ALTER INDEX plystra_data.audit_logs_actor_user_id_created_at_idx
	RENAME TO audit_logs_initial_actor_user_id_created_at_idx;
ALTER INDEX plystra_data.audit_logs_target_idx
	RENAME TO audit_logs_initial_target_type_target_id_created_at_idx;
ALTER INDEX plystra_data.audit_logs_event_type_created_at_idx
	RENAME TO audit_logs_initial_event_type_created_at_idx;
ALTER TABLE plystra_data.audit_logs_initial
	ALTER COLUMN created_at SET DEFAULT pg_catalog.clock_timestamp();

CREATE TABLE plystra_data.audit_logs (
	id				bigint NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	event_type		text NOT NULL,
	actor_user_id	bigint,
	actor_role		name NOT NULL DEFAULT current_user,
	space_id		bigint,
	target_type		text,
	target_id		text,
	request_id		text,
	ip				inet,
	user_agent		text,
	details			jsonb NOT NULL DEFAULT '{}',
	CONSTRAINT audit_logs_event_type_fkey FOREIGN KEY (event_type)
		REFERENCES plystra_data.audit_event_types (key)
		ON UPDATE RESTRICT ON DELETE RESTRICT,
	CONSTRAINT audit_logs_details_check CHECK (jsonb_typeof(details) = 'object')
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE plystra_data.audit_logs_id_seq OWNED BY plystra_data.audit_logs.id;
COMMENT ON TABLE plystra_data.audit_logs IS 'The audit trail: append-only evidence of who did what when, in time partitions';
COMMENT ON COLUMN plystra_data.audit_logs.actor_user_id IS
'Acting user; deliberately no foreign key, so that audit rows outlive the users they name';

CREATE OR REPLACE VIEW plystra.audit_logs AS
	SELECT id, created_at, event_type, actor_user_id, actor_role, space_id,
		   target_type, target_id, request_id, ip, user_agent, details
	  FROM plystra_data.audit_logs;

CREATE TABLE plystra_data.audit_logs_default
	PARTITION OF plystra_data.audit_logs (
		CONSTRAINT audit_logs_default_pkey PRIMARY KEY (id)
	) DEFAULT;
CREATE INDEX audit_logs_default_created_at_idx
	ON plystra_data.audit_logs_default (created_at);
CREATE INDEX audit_logs_default_actor_user_id_created_at_idx
	ON plystra_data.audit_logs_default (actor_user_id, created_at);
CREATE INDEX audit_logs_default_target_type_target_id_created_at_idx
	ON plystra_data.audit_logs_default (target_type, target_id, created_at);
CREATE INDEX audit_logs_default_event_type_created_at_idx
	ON plystra_data.audit_logs_default (event_type, created_at);
COMMENT ON TABLE plystra_data.audit_logs_default IS
'Partition of the audit trail for rows no other partition takes; plystra.audit_maintain() moves them to their own';

-- The rows as they stand become the first partition, up to the start of
-- the month after the latest row (UTC); an empty table (a new install) is
-- dropped.  Partitions made at run time are not the extension's objects:
-- pg_dump dumps them whole, and a restore attaches them to the audit_logs
-- CREATE EXTENSION makes; so is the first.
DO $migration$
DECLARE
	upper_bound timestamptz;
BEGIN
	-- (out of the extension first, which forgets its dump registration too)
	ALTER EXTENSION plystra DROP TABLE plystra_data.audit_logs_initial;
	IF NOT EXISTS (SELECT FROM plystra_data.audit_logs_initial) THEN
		DROP TABLE plystra_data.audit_logs_initial;
		RETURN;
	END IF;
	SELECT (pg_catalog.date_trunc('month', pg_catalog.max(x.t) AT TIME ZONE 'UTC')
			+ interval '1 month') AT TIME ZONE 'UTC'
	  INTO upper_bound
	  FROM (SELECT pg_catalog.now() AS t
			UNION ALL
			SELECT pg_catalog.max(a.created_at) FROM plystra_data.audit_logs_initial a) x;
	EXECUTE pg_catalog.format('ALTER TABLE plystra_data.audit_logs ATTACH PARTITION plystra_data.audit_logs_initial FOR VALUES FROM (MINVALUE) TO (%L)',
							  upper_bound);
	COMMENT ON TABLE plystra_data.audit_logs_initial IS
	'Partition of the audit trail: the rows written before 1.2';
END
$migration$;


SELECT pg_catalog.pg_extension_config_dump('plystra_data.audit_logs', '');
SELECT pg_catalog.pg_extension_config_dump('plystra_data.audit_logs_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('plystra_data.audit_logs_default', '');
