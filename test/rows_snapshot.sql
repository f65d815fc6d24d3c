-- test/rows_snapshot.sql
-- Every row of every table of plystra_data and every sequence position, one
-- text line per table (row count and digest of the sorted rows) and per
-- sequence, so that two databases can be compared.  With
-- rows_snapshot.times = off the columns a database sets from its own clock
-- (timestamps, durations) are left out, so that databases filled at
-- different times compare equal; with on, every column counts.  Either
-- way each built-in row says which migration its created_at and updated_at
-- are the applied_at of ("dated" lines: they must be its own).  With
-- rows_snapshot.each_row = on, one line per row instead of a digest per
-- table; rows_snapshot.without names columns (comma-separated) to leave
-- out (a column an update adds).  The manifest is left out: it is compared per version.
CREATE FUNCTION pg_temp.rows_snapshot(times boolean, each_row boolean)
RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
	t record;
	cols text;
	line text;
	filter text;
BEGIN
	FOR t IN SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS qname
			   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  WHERE n.nspname = 'plystra_data' AND c.relkind IN ('r', 'p')
				AND c.relname <> 'manifest'
				-- a partitioned table's rows are read through it, wherever
				-- they are stored
				AND NOT c.relispartition
			  ORDER BY 2
	LOOP
		SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) INTO cols
		  FROM pg_attribute a
		 WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
		   AND (times OR a.atttypid NOT IN ('timestamptz'::regtype, 'timestamp'::regtype,
											'interval'::regtype, 'date'::regtype))
		   AND a.attname <> ALL (string_to_array(coalesce(current_setting('rows_snapshot.without', true), ''), ','))
		   -- the hashes of a seal cover the times of its rows
		   AND (times OR t.qname <> 'plystra_data.audit_seals'
				OR a.attname NOT IN ('blocks', 'rows_hash', 'prev_hash', 'hash'));
		-- the partitions of audit_logs are where its rows are, not what it
		-- is: their entries in the registry are left out (doctor() checks
		-- that every partition is registered and guarded)
		filter := CASE WHEN t.qname = 'plystra_data.append_only_relations'
					   THEN ' WHERE relation::oid NOT IN (SELECT inhrelid FROM pg_inherits'
							|| ' WHERE inhparent = to_regclass(''plystra_data.audit_logs''))'
					   ELSE '' END;
		IF each_row THEN
			RETURN QUERY EXECUTE format('SELECT ''row %s '' || ROW(%s)::text FROM %s%s ORDER BY 1',
										t.qname, cols, t.qname, filter);
			CONTINUE;
		END IF;
		EXECUTE format('SELECT count(*) || '' '' || coalesce(md5(string_agg(r, E''\n'' ORDER BY r)), '''')
						  FROM (SELECT ROW(%s)::text AS r FROM %s%s) s', cols, t.qname, filter)
		   INTO line;
		RETURN NEXT 'table ' || t.qname || ' ' || line;
	END LOOP;
	-- built-in rows are dated by their migration: which one, by name
	FOR t IN SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS qname,
					EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
							   AND a.attname = 'updated_at' AND NOT a.attisdropped) AS has_updated
			   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
				AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
							   AND a.attname = 'builtin' AND NOT a.attisdropped)
				AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
							   AND a.attname = 'created_at' AND NOT a.attisdropped)
			  ORDER BY 2
	LOOP
		RETURN QUERY EXECUTE format(
			'SELECT ''dated %s '' || t.id || '' '' || coalesce(c.name, ''undated'')
					|| '' '' || coalesce(u.name, ''undated'')
			   FROM %s t
			   LEFT JOIN plystra_data.schema_migrations c
				 ON c.component = ''plystra'' AND c.applied_at = t.created_at
			   LEFT JOIN plystra_data.schema_migrations u
				 ON u.component = ''plystra'' AND u.applied_at = %s
			  WHERE t.builtin ORDER BY t.id',
			t.qname, t.qname, CASE WHEN t.has_updated THEN 't.updated_at' ELSE 't.created_at' END);
	END LOOP;
	RETURN QUERY
		SELECT 'sequence ' || schemaname || '.' || sequencename || ' ' || coalesce(last_value, 0)
		  FROM pg_sequences WHERE schemaname = 'plystra_data'
		 ORDER BY sequencename;
END
$$;
SELECT pg_temp.rows_snapshot(current_setting('rows_snapshot.times')::boolean,
							 coalesce(current_setting('rows_snapshot.each_row', true), 'off')::boolean);
