-- test/catalog_snapshot.sql
-- Everything the installed plystra defines, one sorted text line per fact,
-- by name (never by OID), so that two databases can be compared line by
-- line: relations, columns, constraints, indexes, triggers, policies, views,
-- functions, sequences, privileges (each ACL as a sorted set: the order of
-- its items is only the order of the grants), comments, extension membership, dump
-- registration, and the extension's own migration history without times.
WITH ext AS (
	SELECT oid, extversion, extconfig, extcondition
	  FROM pg_catalog.pg_extension WHERE extname = 'plystra'
), nsp AS (
	SELECT oid, nspname FROM pg_catalog.pg_namespace
	 WHERE nspname IN ('plystra', 'plystra_data')
), runtime AS (
	-- the partitions of audit_logs that are not the extension's (the table
	-- audit_logs was before 1.2, when it held rows; those made at run time):
	-- data, not definitions, and compared as such (test/rows_snapshot.sql)
	SELECT i.inhrelid AS oid
	  FROM pg_catalog.pg_inherits i
	 WHERE i.inhparent = pg_catalog.to_regclass('plystra_data.audit_logs')
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
						WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
						  AND d.objid = i.inhrelid AND d.deptype = 'e')
), rel AS (
	SELECT c.oid, c.relkind, c.relname, n.nspname,
		   pg_catalog.format('%I.%I', n.nspname, c.relname) AS qname
	  FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace
	 WHERE c.oid NOT IN (SELECT oid FROM runtime)
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index x
						WHERE x.indexrelid = c.oid AND x.indrelid IN (SELECT oid FROM runtime))
), fact(kind, object, detail) AS (
	SELECT 'extension', 'plystra', 'version ' || extversion FROM ext
	UNION ALL
	SELECT 'schema', n.nspname,
		   pg_catalog.pg_get_userbyid(s.nspowner) || ' ' || coalesce((SELECT pg_catalog.string_agg(x::text, ',' ORDER BY x::text) FROM pg_catalog.unnest(s.nspacl) x), '')
	  FROM nsp n JOIN pg_catalog.pg_namespace s ON s.oid = n.oid
	UNION ALL
	SELECT 'relation', r.qname,
		   pg_catalog.concat_ws(' ', c.relkind::text, c.relpersistence::text,
								c.relrowsecurity, c.relforcerowsecurity,
								c.reloptions::text, (SELECT pg_catalog.string_agg(x::text, ',' ORDER BY x::text) FROM pg_catalog.unnest(c.relacl) x),
								pg_catalog.pg_get_userbyid(c.relowner))
	  FROM rel r JOIN pg_catalog.pg_class c ON c.oid = r.oid
	UNION ALL
	SELECT 'column', r.qname || '.' || a.attname,
		   pg_catalog.concat_ws(' ',
			   pg_catalog.row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum),
			   pg_catalog.format_type(a.atttypid, a.atttypmod),
			   CASE WHEN a.attnotnull THEN 'not null' END,
			   'default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid),
			   'identity ' || NULLIF(a.attidentity::text, ''),
			   'generated ' || NULLIF(a.attgenerated::text, ''),
			   'collation ' || NULLIF(a.attcollation, 0)::pg_catalog.regcollation::text,
			   'acl ' || (SELECT pg_catalog.string_agg(x::text, ',' ORDER BY x::text) FROM pg_catalog.unnest(a.attacl) x))
	  FROM rel r
	  JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid
	  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	 WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'v', 'p', 'f', 'm')
	UNION ALL
	SELECT 'constraint', r.qname || '.' || co.conname,
		   co.contype::text || ' ' || pg_catalog.pg_get_constraintdef(co.oid)
		   || CASE WHEN co.convalidated THEN '' ELSE ' not valid' END
	  FROM rel r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid
	UNION ALL
	SELECT 'index', r.qname, pg_catalog.pg_get_indexdef(r.oid)
	  FROM rel r WHERE r.relkind IN ('i', 'I')
	UNION ALL
	SELECT 'trigger', r.qname || '.' || t.tgname,
		   t.tgenabled::text || ' ' || pg_catalog.pg_get_triggerdef(t.oid)
	  FROM rel r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid
	 WHERE NOT t.tgisinternal
	UNION ALL
	SELECT 'rule', r.qname || '.' || rw.rulename, pg_catalog.pg_get_ruledef(rw.oid)
	  FROM rel r JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = r.oid
	 WHERE rw.rulename <> '_RETURN'
	UNION ALL
	SELECT 'policy', r.qname || '.' || p.polname,
		   pg_catalog.concat_ws(' ', p.polpermissive, p.polcmd::text,
								(SELECT pg_catalog.string_agg(CASE WHEN u = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(u)::text END, ',' ORDER BY 1)
								   FROM pg_catalog.unnest(p.polroles) u),
								pg_catalog.pg_get_expr(p.polqual, p.polrelid),
								pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
	  FROM rel r JOIN pg_catalog.pg_policy p ON p.polrelid = r.oid
	UNION ALL
	SELECT 'view', r.qname, pg_catalog.pg_get_viewdef(r.oid)
	  FROM rel r WHERE r.relkind IN ('v', 'm')
	UNION ALL
	SELECT 'sequence', r.qname,
		   pg_catalog.concat_ws(' ', pg_catalog.format_type(s.seqtypid, NULL),
								s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
								s.seqcache, s.seqcycle)
	  FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
	UNION ALL
	SELECT 'function', p.oid::pg_catalog.regprocedure::text,
		   pg_catalog.pg_get_functiondef(p.oid) || ' acl ' || coalesce((SELECT pg_catalog.string_agg(x::text, ',' ORDER BY x::text) FROM pg_catalog.unnest(p.proacl) x), '')
	  FROM pg_catalog.pg_proc p JOIN nsp n ON n.oid = p.pronamespace
	UNION ALL
	SELECT 'type', t.oid::pg_catalog.regtype::text, t.typtype::text
	  FROM pg_catalog.pg_type t JOIN nsp n ON n.oid = t.typnamespace
	 WHERE (t.typrelid = 0 OR t.typtype <> 'c')
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
						WHERE c.reltype = t.typelem AND c.oid IN (SELECT oid FROM runtime))
	UNION ALL
	SELECT 'comment', pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid),
		   d.description
	  FROM pg_catalog.pg_description d
	 WHERE (d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
			AND d.objoid IN (SELECT oid FROM rel))
		OR (d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass
			AND d.objoid IN (SELECT p.oid FROM pg_catalog.pg_proc p JOIN nsp n ON n.oid = p.pronamespace))
		OR (d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
			AND d.objoid IN (SELECT oid FROM nsp))
	UNION ALL
	SELECT 'member', pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ''
	  FROM pg_catalog.pg_depend d, ext
	 WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
	   AND d.refobjid = ext.oid AND d.deptype = 'e'
	UNION ALL
	SELECT 'init privilege', pg_catalog.pg_describe_object(i.classoid, i.objoid, i.objsubid),
		   i.privtype::text || ' ' || i.initprivs::text
	  FROM pg_catalog.pg_init_privs i
	 WHERE (i.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
			AND i.objoid IN (SELECT oid FROM rel))
		OR (i.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass
			AND i.objoid IN (SELECT p.oid FROM pg_catalog.pg_proc p JOIN nsp n ON n.oid = p.pronamespace))
		OR (i.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
			AND i.objoid IN (SELECT oid FROM nsp))
	UNION ALL
	SELECT 'dump registration', c.cfg::pg_catalog.regclass::text, coalesce(c.cond, '')
	  FROM ext, LATERAL ROWS FROM (pg_catalog.unnest(ext.extconfig), pg_catalog.unnest(ext.extcondition)) AS c(cfg, cond)
	UNION ALL
	SELECT 'event trigger', e.evtname,
		   pg_catalog.concat_ws(' ', e.evtevent, e.evtenabled::text, e.evtfoid::pg_catalog.regproc,
								e.evttags::text)
	  FROM pg_catalog.pg_event_trigger e
	UNION ALL
	-- the partitions of the audit log left out above: how each differs
	-- from what it must be (nothing, in a database in order)
	SELECT 'audit partition', x.partition::text, x.problem
	  FROM plystra._audit_partition_problems() x
	UNION ALL
	SELECT 'history', m.component || '/' || m.name,
		   m.checksum || ' ' || m.extension_version || ' ' || m.applied_by
	  FROM plystra.schema_migrations m WHERE m.component = 'plystra'
)
SELECT kind || ' | ' || object || ' | ' || pg_catalog.replace(detail, E'\n', ' ')
  FROM fact
 ORDER BY kind, object, detail;
