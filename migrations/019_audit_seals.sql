-- 019_audit_seals
-- Seals of the audit log: tamper evidence.
--
-- The guards stop every role that plays by PostgreSQL's rules; they cannot
-- stop a superuser who edits the catalog or the files, or a restore of an
-- older backup.  plystra.audit_seal() appends seals here: each one covers
-- the audit rows of one period (first_id..last_id, created_at in
-- [from_time, to_time)) with the hashes of their canonical encodings, per
-- block of ids (blocks) and in all (rows_hash), and chains to the seal
-- before it (prev_hash, hash: SHA-256).  plystra.audit_verify() recomputes
-- them from the rows; plystra.audit_head() is the latest hash, a line to
-- keep outside the database.  Seals are never changed or removed: a purge
-- (plystra.audit_purge(), kind 'purge') removes the rows of whole seals
-- and appends an entry naming them (blocks: their numbers), chained as
-- the seals are.
CREATE TABLE plystra_data.audit_seals (
	seal_id		bigint NOT NULL,
	kind		text NOT NULL,
	first_id	bigint NOT NULL,
	last_id		bigint NOT NULL,
	from_time	timestamptz NOT NULL,
	to_time		timestamptz NOT NULL,
	row_count	bigint NOT NULL,
	newest		timestamptz NOT NULL,
	blocks		bytea NOT NULL,
	rows_hash	bytea NOT NULL,
	prev_hash	bytea NOT NULL,
	hash		bytea NOT NULL,
	sealed_at	timestamptz NOT NULL,
	sealed_by	name NOT NULL,
	CONSTRAINT audit_seals_pkey PRIMARY KEY (seal_id),
	CONSTRAINT audit_seals_kind_check CHECK (kind IN ('seal', 'purge')),
	CONSTRAINT audit_seals_ids_check CHECK (first_id <= last_id),
	CONSTRAINT audit_seals_period_check CHECK (from_time < to_time),
	CONSTRAINT audit_seals_row_count_check CHECK (row_count >= 0),
	CONSTRAINT audit_seals_hashes_check CHECK (octet_length(rows_hash) = 32
		AND octet_length(prev_hash) = 32 AND octet_length(hash) = 32)
);
COMMENT ON TABLE plystra_data.audit_seals IS
'Seals of the audit log: hash-chained evidence of the rows as they were sealed; append-only';
SELECT pg_catalog.pg_extension_config_dump('plystra_data.audit_seals', '');
