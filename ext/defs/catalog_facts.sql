-- ext/defs/catalog_facts.sql
-- Current definition of what drift_check() compares: every object of the
-- extension's schemas as (object_type, object, detail) facts.  A version's
-- script records them as its manifest at its end (operations.sql); 1.2
-- added the policies of the storage and the owner's name of a relation not
-- owned by the extension owner (the interface views).  Written as CREATE OR
-- REPLACE because the update to 1.2 replaces the function of 1.0.

CREATE OR REPLACE FUNCTION plystra._catalog_facts(OUT object_type text, OUT object text, OUT detail text)
RETURNS SETOF record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH nsp AS (
	SELECT oid, nspname FROM pg_catalog.pg_namespace
	 WHERE nspname IN ('plystra', 'plystra_data')
), runtime AS (
	-- the partitions of audit_logs that are not the extension's (made at
	-- run time, or the table audit_logs was before 1.2), and their indexes:
	-- doctor() compares them with audit_logs
	SELECT i.inhrelid AS oid
	  FROM pg_catalog.pg_inherits i
	 WHERE i.inhparent = pg_catalog.to_regclass('plystra_data.audit_logs')
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
						WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
						  AND d.objid = i.inhrelid AND d.deptype = 'e')
	UNION ALL
	SELECT x.indexrelid
	  FROM pg_catalog.pg_index x JOIN pg_catalog.pg_inherits i ON i.inhrelid = x.indrelid
	 WHERE i.inhparent = pg_catalog.to_regclass('plystra_data.audit_logs')
	   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
						WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
						  AND d.objid = i.inhrelid AND d.deptype = 'e')
), rel AS (
	SELECT c.oid, c.relkind, pg_catalog.format('%I.%I', n.nspname, c.relname) AS qname
	  FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace
	 WHERE c.relkind <> 't' AND c.oid NOT IN (SELECT oid FROM runtime)
), fn AS (
	SELECT p.oid FROM pg_catalog.pg_proc p JOIN nsp n ON n.oid = p.pronamespace
)
SELECT 'relation', r.qname,
	   pg_catalog.concat_ws(' ', c.relkind::text, c.relpersistence::text,
							CASE WHEN c.relrowsecurity THEN 'rls' END,
							CASE WHEN c.relforcerowsecurity THEN 'force rls' END,
							CASE WHEN c.relowner <> x.extowner
								 THEN 'owned by ' || pg_catalog.pg_get_userbyid(c.relowner) END,
							CASE WHEN c.relkind = 'v' THEN c.reloptions::text END)
  FROM rel r JOIN pg_catalog.pg_class c ON c.oid = r.oid,
	   pg_catalog.pg_extension x
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'schema', n.nspname,
	   CASE WHEN s.nspowner <> x.extowner THEN 'not owned by the extension owner' ELSE '' END
  FROM nsp n JOIN pg_catalog.pg_namespace s ON s.oid = n.oid,
	   pg_catalog.pg_extension x
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'column', r.qname || '.' || a.attname,
	   pg_catalog.concat_ws(' ',
		   pg_catalog.format_type(a.atttypid, a.atttypmod),
		   CASE WHEN a.attnotnull THEN 'not null' END,
		   'default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid),
		   'identity ' || NULLIF(a.attidentity::text, ''),
		   'generated ' || NULLIF(a.attgenerated::text, ''))
  FROM rel r
  JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'v', 'p')
UNION ALL
SELECT 'constraint', r.qname || '.' || co.conname,
	   co.contype::text || ' ' || pg_catalog.pg_get_constraintdef(co.oid)
  FROM rel r JOIN pg_catalog.pg_constraint co ON co.conrelid = r.oid
 -- NOT NULL is the column's "not null" above; PostgreSQL 18 also catalogs
 -- it as a constraint, which would report one change twice
 WHERE co.contype <> 'n'
UNION ALL
SELECT 'index', r.qname,
	   -- storage parameters (fillfactor) are tuning, not definition
	   pg_catalog.regexp_replace(pg_catalog.pg_get_indexdef(r.oid), ' WITH \([^)]*\)', '')
  FROM rel r WHERE r.relkind IN ('i', 'I')
UNION ALL
SELECT 'trigger', r.qname || '.' || t.tgname,
	   'enabled ' || t.tgenabled::text || ' ' || pg_catalog.pg_get_triggerdef(t.oid)
  FROM rel r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid
 WHERE NOT t.tgisinternal
UNION ALL
SELECT 'rule', r.qname || '.' || rw.rulename, pg_catalog.pg_get_ruledef(rw.oid)
  FROM rel r JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = r.oid
 WHERE rw.rulename <> '_RETURN'
UNION ALL
SELECT 'policy', r.qname || '.' || p.polname,
	   pg_catalog.concat_ws(' ',
		   CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END,
		   'for ' || p.polcmd::text,
		   'to ' || (SELECT pg_catalog.string_agg(CASE WHEN u = 0 THEN 'public'
													ELSE pg_catalog.pg_get_userbyid(u)::text END,
												  ',' ORDER BY 1)
					   FROM pg_catalog.unnest(p.polroles) u),
		   'using ' || pg_catalog.pg_get_expr(p.polqual, p.polrelid),
		   'with check ' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
  FROM rel r JOIN pg_catalog.pg_policy p ON p.polrelid = r.oid
UNION ALL
SELECT 'view', r.qname, pg_catalog.pg_get_viewdef(r.oid)
  FROM rel r WHERE r.relkind = 'v'
UNION ALL
SELECT 'sequence', r.qname,
	   pg_catalog.concat_ws(' ', pg_catalog.format_type(s.seqtypid, NULL), s.seqstart,
							s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
  FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
UNION ALL
SELECT 'function', p.oid::pg_catalog.regprocedure::text,
	   pg_catalog.pg_get_functiondef(p.oid)
	   || CASE WHEN p.proowner <> x.extowner THEN ' not owned by the extension owner' ELSE '' END
  FROM fn JOIN pg_catalog.pg_proc p ON p.oid = fn.oid,
	   pg_catalog.pg_extension x
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'event trigger', e.evtname,
	   pg_catalog.concat_ws(' ', e.evtevent, 'enabled ' || e.evtenabled::text,
							e.evtfoid::pg_catalog.regproc::text, e.evttags::text)
  FROM pg_catalog.pg_event_trigger e
 WHERE e.evtfoid IN (SELECT oid FROM fn)
UNION ALL
SELECT 'member', pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ''
  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension x ON x.oid = d.refobjid
 WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
   AND x.extname = 'plystra' AND d.deptype = 'e'
UNION ALL
SELECT 'dump registration', c.cfg::pg_catalog.regclass::text, coalesce(c.cond, '')
  FROM pg_catalog.pg_extension x,
	   LATERAL ROWS FROM (pg_catalog.unnest(x.extconfig), pg_catalog.unnest(x.extcondition)) AS c(cfg, cond)
 WHERE x.extname = 'plystra'
UNION ALL
SELECT 'public privilege', r.qname,
	   pg_catalog.string_agg(a.privilege_type, ',' ORDER BY a.privilege_type)
  FROM rel r JOIN pg_catalog.pg_class c ON c.oid = r.oid,
	   LATERAL pg_catalog.aclexplode(c.relacl) a
 WHERE a.grantee = 0
 GROUP BY r.qname
UNION ALL
SELECT 'public privilege', p.oid::pg_catalog.regprocedure::text,
	   pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')::text
  FROM fn JOIN pg_catalog.pg_proc p ON p.oid = fn.oid
UNION ALL
SELECT 'public privilege', 'schema ' || n.nspname,
	   pg_catalog.concat_ws(',',
		   CASE WHEN pg_catalog.has_schema_privilege('public', n.oid, 'USAGE') THEN 'USAGE' END,
		   CASE WHEN pg_catalog.has_schema_privilege('public', n.oid, 'CREATE') THEN 'CREATE' END)
  FROM nsp n
$$;
