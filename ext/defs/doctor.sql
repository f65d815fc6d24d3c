-- ext/defs/doctor.sql
-- Current definition of plystra.doctor(), the checks a DBA runs before
-- restarting the application (see ext/defs/operations.sql for its
-- privileges and comment).  Written as CREATE OR REPLACE because the update
-- to 1.2 replaces the doctor() of 1.0 and 1.1 with it.

CREATE OR REPLACE FUNCTION plystra.doctor()
RETURNS TABLE ("check" text, status text, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
	ext_version text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'plystra');
	lib_version text := plystra._library_version();
	server_num int := current_setting('server_version_num')::int;
	n bigint;
	m bigint;
	n_other bigint;
	more_items text;
	first_items text;
	oldest timestamptz;
	retention interval;
	internal_roles text;
	seq record;
	part record;
	ready_until timestamptz;
	max_id bigint;
	next_id bigint;
	sealed_to bigint;
	last_sealed timestamptz;
	head text;
	head_ok boolean;
BEGIN
	"check" := 'server version';
	-- the major versions test/matrix.sh runs the whole suite on
	IF server_num / 10000 IN (15, 17, 18) THEN
		status := 'ok';
		detail := 'PostgreSQL ' || current_setting('server_version') || ', a version plystra is tested on (15, 17, 18)';
	ELSIF server_num >= 130000 THEN
		status := 'warn';
		detail := 'PostgreSQL ' || current_setting('server_version')
				  || ' builds, but plystra is tested on 15, 17 and 18 only. Hint: run the test suite (bash test/run.sh with PGVERSION set) on this version before relying on it.';
	ELSE
		status := 'fail';
		detail := 'PostgreSQL ' || current_setting('server_version') || ' is older than 13. Hint: upgrade PostgreSQL.';
	END IF;
	RETURN NEXT;

	"check" := 'extension and library';
	IF ext_version = lib_version THEN
		status := 'ok';
		detail := 'extension ' || ext_version || ', library ' || lib_version;
	ELSE
		status := 'fail';
		detail := 'extension ' || ext_version || ', library ' || lib_version || '. Hint: '
				  || CASE WHEN string_to_array(ext_version, '.')::int[] < string_to_array(lib_version, '.')::int[]
						  THEN 'run ALTER EXTENSION plystra UPDATE, then restart the application.'
						  ELSE 'install the plystra library of version ' || ext_version || ' (make install from the matching source).'
					 END;
	END IF;
	RETURN NEXT;

	"check" := 'scripts';
	first_items := plystra._check_scripts(false);
	status := CASE WHEN first_items IS NULL THEN 'ok' ELSE 'fail' END;
	detail := coalesce('installed scripts are not from the build of the loaded library: ' || first_items
					   || '. Hint: install the plystra library and its scripts from the same build (make install).',
					   'the installed scripts are those the loaded library was built with');
	RETURN NEXT;

	"check" := 'pending migrations';
	SELECT count(*), string_agg(s.name, ', ' ORDER BY s.name) INTO n, first_items
	  FROM plystra.migration_status('plystra') s WHERE s.state = 'pending';
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'none'
				   ELSE n || ' shipped by the library but not applied: ' || first_items
						|| '. Hint: run ALTER EXTENSION plystra UPDATE.' END;
	RETURN NEXT;

	"check" := 'migrate_verify';
	SELECT count(*), string_agg(v.component || '/' || v.name || ' ' || v.problem, ', ')
	  INTO n, first_items FROM plystra.migrate_verify() v;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'the migration history is intact'
				   ELSE n || CASE WHEN n = 1 THEN ' problem: ' ELSE ' problems: ' END || first_items
						|| '. Hint: SELECT * FROM plystra.migrate_verify() says what each one means.' END;
	RETURN NEXT;

	-- an index a DBA added to a storage table (not part of the extension:
	-- pg_dump keeps it as the DBA's own) is named, a warning; any other
	-- difference fails
	"check" := 'drift_check';
	SELECT count(*) FILTER (WHERE NOT d.added_index),
		   array_to_string((array_agg(d.object_type || ' ' || d.object || ' ' || d.drift
									  ORDER BY d.object_type COLLATE "C", d.object COLLATE "C")
							FILTER (WHERE NOT d.added_index))[1:3], '; '),
		   count(DISTINCT d.object) FILTER (WHERE d.added_index),
		   string_agg(DISTINCT d.object, ', ') FILTER (WHERE d.added_index)
	  INTO n, first_items, m, more_items
	  FROM (SELECT f.*,
				   -- its two facts: the index and the relation
				   f.drift = 'unexpected' AND f.object_type IN ('index', 'relation')
				   AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
								WHERE c.oid = pg_catalog.to_regclass(f.object)
								  AND c.relkind IN ('i', 'I')
								  AND c.relnamespace = 'plystra_data'::regnamespace)
				   AS added_index
			  FROM plystra.drift_check() f) d;
	status := CASE WHEN n > 0 THEN 'fail' WHEN m > 0 THEN 'warn' ELSE 'ok' END;
	detail := CASE WHEN n > 0
				   THEN n || CASE WHEN n = 1 THEN ' difference: ' ELSE ' differences, first: ' END
						|| first_items
						|| '. Hint: SELECT * FROM plystra.drift_check() lists them with expected and actual definitions.'
				   WHEN m > 0
				   THEN 'the catalog matches what version ' || ext_version || ' defines, but for '
						|| m || CASE WHEN m = 1 THEN ' index' ELSE ' indexes' END
						|| ' added to storage tables by hand: ' || more_items
						|| '. They are yours, not the extension''s: pg_dump dumps them as your own objects.'
				   ELSE 'the catalog matches what version ' || ext_version || ' defines' END;
	RETURN NEXT;

	"check" := 'guard triggers';
	SELECT count(*), string_agg(g.what, ', ') INTO n, first_items
	  FROM (SELECT r.relation::text || '.' || t.name
				   || CASE WHEN tg.oid IS NULL THEN ' missing' ELSE ' enabled ' || tg.tgenabled::text END AS what
			  FROM plystra_data.append_only_relations r
			  CROSS JOIN (VALUES ('plystra_append_only'), ('plystra_append_only_truncate')) AS t(name)
			  -- a partition of audit_logs has an internal TRUNCATE guard, whose
			  -- name PostgreSQL suffixes with its OID
			  LEFT JOIN pg_catalog.pg_trigger tg
				ON tg.tgrelid = r.relation
			   AND (tg.tgname = t.name
					OR (tg.tgisinternal AND t.name = 'plystra_append_only_truncate'
						AND tg.tgname ~ '^plystra_append_only_truncate_[0-9]+$'
						AND tg.tgfoid = 'plystra.append_only_guard'::regproc))
			 WHERE tg.oid IS NULL OR tg.tgenabled <> 'A'
			UNION ALL
			SELECT 'plystra_data.audit_logs.plystra_audit_rows'
				   || CASE WHEN tg.oid IS NULL THEN ' missing' ELSE ' enabled ' || tg.tgenabled::text END
			  FROM (SELECT 1) one
			  LEFT JOIN pg_catalog.pg_trigger tg
				ON tg.tgrelid = 'plystra_data.audit_logs'::regclass AND tg.tgname = 'plystra_audit_rows'
			 WHERE tg.oid IS NULL OR tg.tgenabled <> 'A') g;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0
				   THEN (SELECT count(*) FROM plystra_data.append_only_relations)
						|| ' append-only tables, every guard trigger present and ENABLE ALWAYS'
				   ELSE 'not guarding: ' || first_items
						|| '. Hint: the guard was switched off below SQL''s reach (catalog edit); restore the trigger with ALTER TABLE ... ENABLE ALWAYS TRIGGER and find out who did it.' END;
	RETURN NEXT;

	"check" := 'append-only inheritance';
	SELECT count(*), string_agg(i.inhrelid::regclass || ' inherits from ' || i.inhparent::regclass, ', ')
	  INTO n, first_items
	  FROM pg_catalog.pg_inherits i
	 WHERE (i.inhparent IN (SELECT r.relation FROM plystra_data.append_only_relations r)
			OR i.inhrelid IN (SELECT r.relation FROM plystra_data.append_only_relations r))
	   -- the protected partitions of a protected partitioned table are its own
	   AND NOT (EXISTS (SELECT 1 FROM pg_catalog.pg_class pc, pg_catalog.pg_class cc
						 WHERE pc.oid = i.inhparent AND pc.relkind = 'p'
						   AND cc.oid = i.inhrelid AND cc.relkind = 'r' AND cc.relispartition)
				AND i.inhparent IN (SELECT r.relation FROM plystra_data.append_only_relations r)
				AND i.inhrelid IN (SELECT r.relation FROM plystra_data.append_only_relations r));
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'no append-only table has parents, children or partitions'
				   ELSE n || ' found: ' || first_items
						|| '. Hint: rows of a child can be changed or deleted through its parent; move the child''s rows to a table of their own and detach it (ALTER TABLE ... NO INHERIT, as a superuser, after checking what it held).' END;
	RETURN NEXT;

	"check" := 'append-only foreign keys';
	SELECT count(*), string_agg(c.conname || ' on ' || c.conrelid::regclass, ', ')
	  INTO n, first_items
	  FROM pg_catalog.pg_constraint c
	 WHERE c.contype = 'f'
	   AND (c.conrelid IN (SELECT r.relation FROM plystra_data.append_only_relations r)
			OR c.confrelid IN (SELECT r.relation FROM plystra_data.append_only_relations r))
	   AND (c.confdeltype NOT IN ('a', 'r') OR c.confupdtype NOT IN ('a', 'r'));
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'no foreign key cascades into or out of an append-only table'
				   ELSE n || ' found: ' || first_items
						|| '. Hint: a cascading key runs code inside the sanctioned purge and changes rows; drop it and add it back with ON DELETE RESTRICT ON UPDATE RESTRICT.' END;
	RETURN NEXT;

	"check" := 'lock privileges';
	WITH base AS (
		SELECT r.relation::oid AS oid FROM plystra_data.append_only_relations r
		UNION
		SELECT c.confrelid FROM pg_catalog.pg_constraint c
		  JOIN plystra_data.append_only_relations r ON r.relation = c.conrelid
		 WHERE c.contype = 'f'
	), rel AS (
		SELECT oid FROM base
		UNION
		SELECT w.ev_class FROM pg_catalog.pg_rewrite w
		  JOIN pg_catalog.pg_depend d
			ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = w.oid
		   AND d.refclassid = 'pg_catalog.pg_class'::regclass
		  JOIN base ON base.oid = d.refobjid
		 WHERE w.ev_class <> d.refobjid
	)
	SELECT count(*), string_agg(DISTINCT x.what, ', ')
	  INTO n, first_items
	  FROM (SELECT c.oid::regclass || ' to ' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS what
			  FROM rel JOIN pg_catalog.pg_class c ON c.oid = rel.oid,
				   LATERAL pg_catalog.aclexplode(c.relacl) a
			 WHERE a.grantee <> c.relowner
			   AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'MAINTAIN')) x;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'warn' END;
	detail := CASE WHEN n = 0 THEN 'no role but the owner may lock an append-only table, or a table its keys check, against writers'
				   ELSE 'UPDATE, DELETE or TRUNCATE granted on ' || first_items
						|| '. Hint: on an append-only table, a view over one, or a table whose keys an append-only table checks, they allow LOCK TABLE, which stops every write to the append-only table; REVOKE UPDATE, DELETE, TRUNCATE ON ... FROM ....' END;
	RETURN NEXT;

	"check" := 'identity sequences';
	first_items := NULL;
	FOR seq IN
		SELECT c.oid::regclass AS tab, pg_catalog.pg_get_serial_sequence(c.oid::regclass::text, a.attname) AS seqname,
			   a.attname
		  FROM pg_catalog.pg_class c
		  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped
		   -- and audit_logs' id, drawn from a sequence the column owns
		   AND (a.attidentity <> ''
				OR (c.oid = 'plystra_data.audit_logs'::regclass AND a.attname = 'id'))
		 WHERE c.relnamespace = 'plystra_data'::regnamespace AND c.relkind IN ('r', 'p')
		 ORDER BY 1
	LOOP
		EXECUTE format('SELECT max(%I)::bigint FROM %s', seq.attname, seq.tab) INTO max_id;
		-- the value the sequence hands out next must be larger
		EXECUTE format('SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM %s',
					   seq.seqname) INTO next_id;
		IF max_id IS NOT NULL AND next_id <= max_id THEN
			first_items := concat_ws(', ', first_items, seq.tab || ' (largest id ' || max_id || ')');
		END IF;
	END LOOP;
	status := CASE WHEN first_items IS NULL THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN first_items IS NULL THEN 'every identity sequence is past the largest id of its table'
				   ELSE 'the next ids are taken already in ' || first_items
						|| ': inserts will fail with duplicate keys. Hint: SELECT setval(pg_get_serial_sequence(''<table>'', ''id''), max(id)) FROM <table>; and find out who moved the sequence back.' END;
	RETURN NEXT;

	"check" := 'event triggers';
	SELECT count(*), string_agg(x.name || coalesce(' enabled ' || e.evtenabled::text, ' missing'), ', ')
	  INTO n, first_items
	  FROM (VALUES ('plystra_ddl_guard'), ('plystra_ddl_guard_end'), ('plystra_drop_guard')) AS x(name)
	  LEFT JOIN pg_catalog.pg_event_trigger e ON e.evtname = x.name
	 WHERE e.oid IS NULL OR e.evtenabled <> 'A';
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'plystra_ddl_guard, plystra_ddl_guard_end, plystra_drop_guard present and ENABLE ALWAYS'
				   ELSE 'not guarding DDL: ' || first_items
						|| '. Hint: ALTER EVENT TRIGGER <name> ENABLE ALWAYS, and find out who disabled it (event triggers do not fire for ALTER EVENT TRIGGER).' END;
	RETURN NEXT;

	"check" := 'dump registration';
	SELECT count(*), string_agg(c.oid::regclass::text, ', ') INTO n, first_items
	  FROM pg_catalog.pg_class c
	 WHERE c.relnamespace = 'plystra_data'::regnamespace AND c.relkind IN ('r', 'S')
	   AND c.oid NOT IN ('plystra_data.manifest'::regclass, 'plystra_data.reference_policies'::regclass)
	   AND c.oid NOT IN (SELECT unnest(extconfig) FROM pg_catalog.pg_extension WHERE extname = 'plystra')
	   -- a table that is not the extension's (a partition of audit_logs) is dumped whole
	   AND c.oid IN (SELECT d.objid FROM pg_catalog.pg_depend d, pg_catalog.pg_extension x
					  WHERE x.extname = 'plystra' AND d.refclassid = 'pg_catalog.pg_extension'::regclass
						AND d.refobjid = x.oid AND d.classid = 'pg_catalog.pg_class'::regclass
						AND d.deptype = 'e');
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'every table and sequence of plystra_data is dumped by pg_dump'
				   ELSE n || ' not dumped: ' || first_items
						|| '. Hint: their rows would be lost by a dump and restore; reinstall the extension scripts of this version.' END;
	RETURN NEXT;

	"check" := 'session_replication_role';
	status := CASE WHEN current_setting('session_replication_role') = 'origin' THEN 'ok' ELSE 'warn' END;
	detail := CASE WHEN status = 'ok' THEN 'origin'
				   ELSE current_setting('session_replication_role')
						|| ': the guards still fire, but foreign keys, updated_at and soft delete audit triggers do not. Hint: SET session_replication_role = origin outside replication and restores.' END;
	RETURN NEXT;

	"check" := 'storage privileges';
	SELECT count(*), string_agg(x.who, ', ' ORDER BY x.who) INTO n, first_items
	  FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname::text END AS who
			  FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
			  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
			 WHERE c.relnamespace = 'plystra_data'::regnamespace
			   AND a.grantee <> c.relowner AND NOT coalesce(r.rolsuper, false)
			   -- the owner of the interface views: 'interface owner' below
			   AND coalesce(r.rolname <> 'plystra_interface', true)
			UNION
			SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname::text END
			  FROM pg_catalog.pg_namespace s, LATERAL pg_catalog.aclexplode(s.nspacl) a
			  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
			 WHERE s.oid = 'plystra_data'::regnamespace
			   AND a.grantee <> s.nspowner AND NOT coalesce(r.rolsuper, false)
			   AND coalesce(r.rolname <> 'plystra_interface', true)
			UNION
			-- members of the predefined roles that read or write every table
			SELECT r.rolname::text || ' (through ' || p.rolname || ')'
			  FROM pg_catalog.pg_roles r, pg_catalog.pg_roles p
			 WHERE p.rolname IN ('pg_read_all_data', 'pg_write_all_data')
			   AND r.oid <> p.oid AND NOT r.rolsuper AND r.rolname !~ '^pg_'
			   AND pg_catalog.pg_has_role(r.oid, p.oid, 'USAGE')) x;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'warn' END;
	detail := CASE WHEN n = 0 THEN 'no role but superusers has a privilege on plystra_data or its tables'
				   ELSE 'privileges on plystra_data or its tables held by: ' || first_items
						|| '. Hint: applications are granted schema plystra only: REVOKE ALL ON SCHEMA plystra_data FROM <role>; REVOKE ALL ON ALL TABLES IN SCHEMA plystra_data FROM <role>; REVOKE ALL ON ALL SEQUENCES IN SCHEMA plystra_data FROM <role>.' END;
	RETURN NEXT;

	-- whoever can act as the owner of the interface views reads and writes
	-- every stored row, deleted ones included
	"check" := 'interface owner';
	SELECT count(*), string_agg(x.problem, '; ') INTO n, first_items
	  FROM (SELECT 'role plystra_interface is missing' AS problem
			 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_authid WHERE rolname = 'plystra_interface')
			UNION ALL
			SELECT 'role plystra_interface ' || p.problem
			  FROM pg_catalog.pg_authid a,
				   LATERAL (VALUES (CASE WHEN a.rolsuper THEN 'is a superuser' END),
								   (CASE WHEN a.rolbypassrls THEN 'bypasses row-level security' END),
								   (CASE WHEN a.rolcanlogin THEN 'can log in' END),
								   (CASE WHEN a.rolcreaterole OR a.rolcreatedb OR a.rolreplication
										 THEN 'has CREATEROLE, CREATEDB or REPLICATION' END),
								   (CASE WHEN a.rolpassword IS NOT NULL THEN 'has a password' END)) p(problem)
			 WHERE a.rolname = 'plystra_interface' AND p.problem IS NOT NULL
			UNION ALL
			SELECT 'role ' || pg_catalog.quote_ident(m.rolname) || ' is a member of plystra_interface'
			  FROM pg_catalog.pg_auth_members am
			  JOIN pg_catalog.pg_authid a ON a.oid = am.roleid AND a.rolname = 'plystra_interface'
			  JOIN pg_catalog.pg_authid m ON m.oid = am.member
			UNION ALL
			SELECT 'plystra_interface is a member of role ' || pg_catalog.quote_ident(g.rolname)
			  FROM pg_catalog.pg_auth_members am
			  JOIN pg_catalog.pg_authid a ON a.oid = am.member AND a.rolname = 'plystra_interface'
			  JOIN pg_catalog.pg_authid g ON g.oid = am.roleid) x;
	status := CASE WHEN n = 0 THEN 'ok' ELSE 'fail' END;
	detail := CASE WHEN n = 0 THEN 'plystra_interface, which owns the views that hide rows, is NOLOGIN, without attributes, members or memberships'
				   ELSE first_items || '. Hint: whoever acts as plystra_interface reads every stored row, deleted ones included: ALTER ROLE plystra_interface NOLOGIN PASSWORD NULL NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB NOREPLICATION, and REVOKE plystra_interface FROM every member.' END;
	RETURN NEXT;

	"check" := 'function privileges';
	-- PUBLIC may execute what the manifest of the installed version says it
	-- may (the functions the version grants to PUBLIC), and nothing else
	-- (the schema's functions first: asked of every function of the
	-- database, the privilege check would read all of pg_proc into the
	-- cache of a new session)
	SELECT count(*), string_agg(p.oid::regprocedure::text, ', ') INTO n, first_items
	  FROM (SELECT f.oid FROM pg_catalog.pg_proc f
			 WHERE f.pronamespace = 'plystra'::regnamespace OFFSET 0) p
	 WHERE pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
	   AND NOT EXISTS (SELECT 1 FROM plystra_data.manifest m
						WHERE m.version = ext_version AND m.object_type = 'public privilege'
						  AND m.object = p.oid::regprocedure::text AND m.detail = 'true');
	IF n > 0 THEN
		status := 'fail';
		detail := 'PUBLIC can execute: ' || first_items
				  || '. Hint: REVOKE EXECUTE ON FUNCTION ... FROM PUBLIC and grant it to the roles that need it.';
		RETURN NEXT;
	ELSE
		-- internal and trigger functions are never granted on purpose: such a
		-- grant came from default privileges in force when an older version
		-- was installed
		SELECT count(*), string_agg(DISTINCT r.rolname, ', ') INTO n, internal_roles
		  FROM pg_catalog.pg_proc p, LATERAL pg_catalog.aclexplode(p.proacl) a
		  JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
		 WHERE p.pronamespace = 'plystra'::regnamespace
		   AND a.grantee <> p.proowner AND NOT r.rolsuper
		   AND (p.proname LIKE '\_%'
				OR p.prorettype IN ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype));
		SELECT string_agg(x.rolname || ' (' || x.functions || ')', '; ' ORDER BY x.rolname)
		  INTO first_items
		  FROM (SELECT r.rolname, string_agg(p.proname, ', ' ORDER BY p.proname) AS functions
				  FROM pg_catalog.pg_proc p, LATERAL pg_catalog.aclexplode(p.proacl) a
				  JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
				 WHERE p.pronamespace = 'plystra'::regnamespace
				   AND a.grantee <> p.proowner AND NOT r.rolsuper
				   AND p.proname NOT LIKE '\_%'
				   AND p.prorettype NOT IN ('pg_catalog.trigger'::regtype, 'pg_catalog.event_trigger'::regtype)
				 GROUP BY r.rolname) x;
		IF n > 0 THEN
			status := 'warn';
			detail := internal_roles || ' can execute internal or trigger functions, which are never granted on purpose (default privileges in force when an older version was installed?); other functions granted: '
					  || coalesce(first_items, 'none')
					  || '. Hint: REVOKE ALL ON ALL FUNCTIONS IN SCHEMA plystra FROM <role>, then grant what the role needs.';
		ELSE
			status := 'ok';
			detail := 'PUBLIC can execute no privileged function'
					  || coalesce('; granted to: ' || first_items, '; granted to no other role');
		END IF;
		RETURN NEXT;
	END IF;

	"check" := 'access';
	SELECT count(*) FILTER (WHERE d.difference = 'missing'),
		   count(*) FILTER (WHERE d.difference <> 'missing'),
		   string_agg(d.item, '; ' ORDER BY d.item)
	  INTO n, n_other, first_items
	  FROM (SELECT x.difference,
				   x.role || ': ' || CASE WHEN x.difference = 'no such role'
										  THEN 'access recorded for a role that is gone (dropped, renamed, or dropped and created again: the new role gets none of it)'
										  ELSE x.difference || ' ' || x.privilege || ' on '
											   || lower(x.object_type) || ' ' || x.object END AS item
			  FROM plystra._access_differences() x) d;
	IF n > 0 THEN
		status := 'fail';
	ELSIF n_other > 0 THEN
		status := 'warn';
	ELSE
		status := 'ok';
	END IF;
	IF status = 'ok' THEN
		SELECT string_agg(a.role_name || ' (' || a.access || ')', ', ' ORDER BY a.role_name, a.access)
		  INTO first_items FROM plystra_data.access_grants a;
		detail := 'every role holds what its recorded access gives, and nothing more on the interface: '
				  || coalesce(first_items, 'no access recorded');
	ELSE
		detail := 'privileges differ from the recorded access: ' || first_items
				  || '. Hint: SELECT plystra.grant_access(<role>, <access>) grants what is missing; revoke what is extra, or record it with grant_access(); the record of a role that is gone goes with DELETE FROM plystra_data.access_grants WHERE role_name = <role>, or is given to the role now of that name with grant_access(); plystra.access lists who has what.';
	END IF;
	RETURN NEXT;

	"check" := 'audit log';
	SELECT min(a.created_at) INTO oldest FROM plystra_data.audit_logs a;
	retention := make_interval(secs => (SELECT setting::double precision FROM pg_catalog.pg_settings
										 WHERE name = 'plystra.audit_min_retention'));
	status := 'ok';
	detail := pg_catalog.pg_size_pretty((SELECT sum(pg_catalog.pg_total_relation_size(p.relid))
										   FROM pg_catalog.pg_partition_tree('plystra_data.audit_logs') p))
			  || CASE WHEN oldest IS NULL THEN ', no rows'
					  ELSE ', oldest row from ' || oldest::date || ' ('
						   || date_part('day', now() - oldest)::int || ' days ago)' END
			  || '; minimum retention ' || current_setting('plystra.audit_min_retention')
			  || CASE WHEN oldest < now() - retention
					  THEN '; rows older than that may be removed with plystra.audit_purge()' ELSE '' END;
	RETURN NEXT;

	-- partitions ready for the rows to come, and no row in the default one
	"check" := 'audit partitions';
	ready_until := now();
	m := 0;
	FOR part IN SELECT p.from_time, p.to_time FROM plystra.audit_partitions() p
				 WHERE NOT p.is_default ORDER BY p.from_time NULLS FIRST
	LOOP
		m := m + 1;
		IF (part.from_time IS NULL OR part.from_time <= ready_until)
		   AND (part.to_time IS NULL OR part.to_time > ready_until) THEN
			ready_until := coalesce(part.to_time, 'infinity');
		END IF;
	END LOOP;
	SELECT count(*) INTO n
	  FROM (SELECT FROM ONLY plystra_data.audit_logs_default LIMIT 1000000) d;
	SELECT count(*), string_agg(x.partition::text || ': ' || x.problem, ', ')
	  INTO n_other, first_items FROM plystra._audit_partition_problems() x;
	status := CASE WHEN n_other > 0 THEN 'fail'
				   WHEN n > 0 OR ready_until < now() + current_setting('plystra.audit_partition_interval')::interval
				   THEN 'warn' ELSE 'ok' END;
	detail := CASE WHEN n_other > 0
				   THEN 'not protected as audit_logs: ' || first_items || '; ' ELSE '' END
			  || m || ' partitions, ready until '
			  || CASE WHEN ready_until = 'infinity' THEN 'the end of time'
					  ELSE to_char(ready_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' END
			  || ' (plystra.audit_partition_interval ' || current_setting('plystra.audit_partition_interval')
			  || ', ' || current_setting('plystra.audit_partitions_ahead') || ' ahead)'
			  || CASE WHEN n = 0 THEN '; the default partition is empty'
					  ELSE '; ' || n || CASE WHEN n = 1 THEN ' row' ELSE ' rows' END
						   || ' in the default partition, which found no partition of their own' END
			  || CASE WHEN n_other > 0
					  THEN '. Hint: the guard of a partition was switched off below SQL''s reach (catalog edit) or a restore went wrong; find out who did it, and restore the partition''s protection from a backup.'
					  WHEN status = 'warn'
					  THEN '. Hint: SELECT * FROM plystra.audit_maintain() makes the partitions and moves those rows; run it daily (cron, pg_cron or plystractl audit maintain).'
					  ELSE '' END;
	RETURN NEXT;

	-- audit rows sealed within plystra.audit_seal_max_age, and the chain of
	-- seals intact (audit_verify() checks the rows: doctor does not run it,
	-- it reads them all)
	"check" := 'audit seals';
	retention := make_interval(secs => (SELECT setting::double precision FROM pg_catalog.pg_settings
										 WHERE name = 'plystra.audit_seal_max_age'));
	SELECT count(*) FILTER (WHERE s.kind = 'seal'), max(s.last_id) FILTER (WHERE s.kind = 'seal'),
		   max(s.sealed_at)
	  INTO m, sealed_to, last_sealed FROM plystra_data.audit_seals s;
	head := plystra.audit_head();
	head_ok := head IS NULL OR plystra.audit_verify_head(head);
	SELECT count(*) INTO n
	  FROM (SELECT FROM plystra_data.audit_logs a
			 WHERE a.id > coalesce(sealed_to, -9223372036854775808)
			   AND a.created_at < now() - retention LIMIT 1001) u;
	status := CASE WHEN NOT head_ok THEN 'fail' WHEN n > 0 THEN 'warn' ELSE 'ok' END;
	detail := CASE WHEN NOT head_ok
				   THEN 'the chain of seals is broken (SELECT * FROM plystra.audit_verify() says where); '
				   ELSE '' END
			  || CASE WHEN m = 0 THEN 'no seal yet'
					  ELSE m || CASE WHEN m = 1 THEN ' seal' ELSE ' seals' END
						   || ', the latest of ' || to_char(last_sealed AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
						   || ' covering ids up to ' || sealed_to END
			  || CASE WHEN n = 0 THEN '; no row older than ' || current_setting('plystra.audit_seal_max_age') || ' is unsealed'
					  WHEN n > 1000 THEN '; more than 1000 rows older than ' || current_setting('plystra.audit_seal_max_age') || ' are not sealed'
					  ELSE '; ' || n || CASE WHEN n = 1 THEN ' row' ELSE ' rows' END || ' older than '
						   || current_setting('plystra.audit_seal_max_age')
						   || CASE WHEN n = 1 THEN ' is' ELSE ' are' END || ' not sealed' END
			  || CASE WHEN NOT head_ok
					  THEN '. Hint: a superuser changed seals below SQL''s reach, or an older backup was restored over newer seals; compare plystra.audit_head() with the head you keep outside the database.'
					  WHEN status = 'warn'
					  THEN '. Hint: SELECT plystra.audit_seal() seals them; run it at least daily (cron, pg_cron or plystractl audit seal) and keep plystra.audit_head() outside the database.'
					  ELSE '' END;
	RETURN NEXT;
END
$$;
