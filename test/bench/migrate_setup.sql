-- test/bench/migrate_setup.sql: the hand-written PL/pgSQL equivalent of
-- plystra.migrate() that the C function is measured against: the same
-- name checks, the same checksum, the same advisory lock, the same history
-- lookups, the same inserts into the same tables (with their triggers).
CREATE TABLE bench_counter (n bigint NOT NULL);
INSERT INTO bench_counter VALUES (0);
CREATE SEQUENCE bench_seq;

CREATE FUNCTION plpgsql_migrate(p_component text, p_name text, p_script text,
								p_allow_out_of_order boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	v_checksum text;
	v_recorded text;
	v_latest text;
	v_started timestamptz;
BEGIN
	IF p_component IS NULL OR p_name IS NULL OR p_script IS NULL THEN
		RAISE EXCEPTION 'migration component, name and script must not be null'
			USING ERRCODE = '22004';
	END IF;
	IF p_name !~ '^[A-Za-z0-9][^[:space:][:cntrl:]/\\]{0,254}$'
	   OR p_component !~ '^[A-Za-z0-9][^[:space:][:cntrl:]/\\]{0,62}$' THEN
		RAISE EXCEPTION 'invalid migration name' USING ERRCODE = 'PY003';
	END IF;
	v_checksum := 'sha256:' || encode(sha256(convert_to(
		replace(replace(regexp_replace(p_script, '^' || chr(65279), ''),
						E'\r\n', E'\n'), E'\r', E'\n'), 'UTF8')), 'hex');
	PERFORM pg_advisory_xact_lock(1886157171, hashtext(p_component));
	SELECT checksum INTO v_recorded FROM plystra_data.schema_migrations
	 WHERE component = p_component AND name = p_name;
	IF FOUND THEN
		IF v_recorded <> v_checksum THEN
			RAISE EXCEPTION 'checksum mismatch' USING ERRCODE = 'PY001';
		END IF;
		RETURN 'already applied';
	END IF;
	SELECT max(name COLLATE "C") INTO v_latest FROM plystra_data.schema_migrations
	 WHERE component = p_component;
	IF v_latest IS NOT NULL AND p_name < v_latest COLLATE "C" AND NOT p_allow_out_of_order THEN
		RAISE EXCEPTION 'out of order' USING ERRCODE = 'PY002';
	END IF;
	v_started := clock_timestamp();
	EXECUTE p_script;
	INSERT INTO plystra_data.schema_migrations
		VALUES (p_component, p_name, v_checksum, v_started, current_user,
				clock_timestamp() - v_started,
				(SELECT extversion FROM pg_extension WHERE extname = 'plystra'));
	INSERT INTO plystra_data.audit_logs (event_type, target_type, target_id, details)
		VALUES ('migration.applied', 'migration', p_component || '/' || p_name,
				jsonb_build_object('component', p_component, 'name', p_name,
								   'checksum', v_checksum));
	RETURN 'applied';
END
$$;

-- a 10 MB script with CRLF line ends, stored uncompressed so that both
-- sides read the same bytes
CREATE TABLE bench_script (s text);
ALTER TABLE bench_script ALTER COLUMN s SET STORAGE EXTERNAL;
INSERT INTO bench_script
SELECT string_agg(format('INSERT INTO t VALUES (%s, %L);', i, md5(i::text)), E'\r\n')
  FROM generate_series(1, 180000) i;
