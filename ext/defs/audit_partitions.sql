-- ext/defs/audit_partitions.sql
-- Current definitions: the partitions of the audit log (1.2).  Included by
-- audit.sql and by the update to 1.2, once audit_logs is guarded.

CREATE FUNCTION plystra._protect_audit_partitions()
RETURNS integer
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_protect_audit_partitions';
REVOKE ALL ON FUNCTION plystra._protect_audit_partitions() FROM PUBLIC;
COMMENT ON FUNCTION plystra._protect_audit_partitions() IS
'Internal: registers every partition of audit_logs and gives it its TRUNCATE guard; callable only from plystra''s scripts';
SELECT plystra._protect_audit_partitions();

CREATE FUNCTION plystra.audit_maintain()
RETURNS TABLE (partition regclass, from_time timestamptz, to_time timestamptz,
			   rows_moved bigint)
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_maintain';
REVOKE ALL ON FUNCTION plystra.audit_maintain() FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_maintain() IS
'Makes the partitions of the audit log for now and plystra.audit_partitions_ahead periods ahead, and moves rows the default partition caught into partitions of their own; one row per partition made';

CREATE FUNCTION plystra.audit_partitions()
RETURNS TABLE (partition regclass, from_time timestamptz, to_time timestamptz,
			   is_default boolean)
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_partitions';
REVOKE ALL ON FUNCTION plystra.audit_partitions() FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_partitions() IS
'The partitions of the audit log and their bounds (NULL: unbounded), in order of time, the default partition last';

/*
 * What a partition of the audit log must be, whoever made it (the update to
 * 1.2, audit_maintain(), a restore): a permanent table of plystra_data owned
 * by audit_logs' owner, granted to nobody, registered as built in, with the
 * clones of audit_logs' row triggers and its own internal TRUNCATE guard,
 * all firing always, no trigger of its own besides, a primary key on id and
 * the four indexes.  One row per difference; doctor() reports them.
 */
CREATE FUNCTION plystra._audit_partition_problems()
RETURNS TABLE (partition regclass, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH parent AS (
		SELECT c.oid, c.relowner FROM pg_catalog.pg_class c
		 WHERE c.oid = 'plystra_data.audit_logs'::pg_catalog.regclass
	), part AS (
		SELECT c.oid, c.relname, c.relnamespace, c.relowner, c.relpersistence,
			   c.relkind, c.relacl
		  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
		 WHERE i.inhparent = (SELECT oid FROM parent)
	), idx AS (
		-- each plain btree index of a partition, as the list of its columns
		SELECT x.indrelid, x.indisprimary,
			   pg_catalog.array_to_string(ARRAY(
				   SELECT a.attname FROM pg_catalog.unnest(x.indkey::pg_catalog.int2[]) WITH ORDINALITY k(attnum, n)
					 JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
					ORDER BY k.n), ', ') AS cols
		  FROM pg_catalog.pg_index x
		  JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
		 WHERE x.indrelid IN (SELECT oid FROM part)
		   AND x.indpred IS NULL AND x.indexprs IS NULL
		   AND ic.relam = (SELECT oid FROM pg_catalog.pg_am WHERE amname = 'btree')
	), trig AS (
		SELECT t.tgrelid, t.tgname, t.tgparentid, t.tgisinternal, t.tgfoid, t.tgtype, t.tgenabled
		  FROM pg_catalog.pg_trigger t
		 WHERE t.tgrelid IN (SELECT oid FROM part)
	), parent_trig AS (
		SELECT pt.oid, pt.tgname FROM pg_catalog.pg_trigger pt
		 WHERE pt.tgrelid = (SELECT oid FROM parent) AND NOT pt.tgisinternal
		   AND (pt.tgtype::integer & 1) = 1
	), wanted_index(cols) AS (
		VALUES ('created_at'), ('actor_user_id, created_at'),
			   ('target_type, target_id, created_at'), ('event_type, created_at')
	)
	SELECT p.oid::pg_catalog.regclass, x.problem
	  FROM part p,
		   LATERAL (
			SELECT 'not in schema plystra_data'
			 WHERE p.relnamespace <> 'plystra_data'::pg_catalog.regnamespace
			UNION ALL
			SELECT 'not a permanent table'
			 WHERE p.relkind <> 'r' OR p.relpersistence <> 'p'
			UNION ALL
			SELECT 'owned by ' || pg_catalog.pg_get_userbyid(p.relowner)
			 WHERE p.relowner <> (SELECT relowner FROM parent)
			UNION ALL
			SELECT 'granted to others: ' || p.relacl::text
			 WHERE EXISTS (SELECT FROM pg_catalog.aclexplode(p.relacl) a
							WHERE a.grantee <> p.relowner)
			UNION ALL
			SELECT 'not registered as append-only'
			 WHERE NOT EXISTS (SELECT FROM plystra_data.append_only_relations r
								WHERE r.relation = p.oid AND r.builtin)
			UNION ALL
			SELECT 'trigger ' || pt.tgname || ' of audit_logs has no clone firing always'
			  FROM parent_trig pt
			 WHERE NOT EXISTS (SELECT FROM trig t
								WHERE t.tgrelid = p.oid AND t.tgparentid = pt.oid
								  AND t.tgenabled = 'A')
			UNION ALL
			SELECT 'no internal TRUNCATE guard firing always'
			 WHERE NOT EXISTS (SELECT FROM trig t
								WHERE t.tgrelid = p.oid AND t.tgisinternal AND t.tgparentid = 0
								  AND t.tgfoid = 'plystra.append_only_guard()'::pg_catalog.regprocedure
								  AND (t.tgtype::integer & 32) = 32 AND t.tgenabled = 'A')
			UNION ALL
			SELECT 'trigger ' || t.tgname || ' is not the guard''s'
			  FROM trig t
			 WHERE t.tgrelid = p.oid AND t.tgparentid = 0 AND NOT t.tgisinternal
			UNION ALL
			SELECT 'no primary key on id'
			 WHERE NOT EXISTS (SELECT FROM idx i
								WHERE i.indrelid = p.oid AND i.indisprimary AND i.cols = 'id')
			UNION ALL
			SELECT 'no index on (' || w.cols || ')'
			  FROM wanted_index w
			 WHERE NOT EXISTS (SELECT FROM idx i WHERE i.indrelid = p.oid AND i.cols = w.cols)
		   ) x(problem)
	 ORDER BY 1, 2
$$;
REVOKE ALL ON FUNCTION plystra._audit_partition_problems() FROM PUBLIC;
COMMENT ON FUNCTION plystra._audit_partition_problems() IS
'Internal: how each partition of the audit log differs from what it must be; doctor() reports it';
