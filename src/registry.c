/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  The registry of append-only tables and the questions the DDL guard
 *	  asks of it and of the catalogs.
 *
 * plystra_data.append_only_relations lists the protected tables.  The
 * event triggers (ddl_guard.c) ask here whether a relation, schema or role
 * concerns one of them, whether a command left a cascading foreign key,
 * changed a function of the extension or dropped something protected by
 * cascade, and whether dropping the extension would drop data.  The
 * queries run as the storage owner, since the DDL being checked may come
 * from any role, and are schema-qualified, since the DDL guard runs with
 * the session's search_path.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "plystra.h"

/* plystra.allow_drop_data: DROP EXTENSION plystra may drop rows */
bool		plystra_allow_drop_data = false;

static SPIPlanPtr is_protected_plan = NULL;
static SPIPlanPtr schema_plan = NULL;
static SPIPlanPtr role_plan = NULL;
static SPIPlanPtr ext_owner_plan = NULL;

static bool
registry_present(void)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, true);

	return OidIsValid(nspoid) &&
		OidIsValid(get_relname_relid("append_only_relations", nspoid));
}

/*
 * Run a one-parameter existence query as the storage owner.  The registry
 * is read in the latest committed state (and this transaction's own
 * changes), never in an older transaction snapshot: a REPEATABLE READ
 * transaction that began before a table was protected must not find it
 * unprotected.  The command being judged holds its lock on the table, so
 * a make_append_only() still running is waited for, and then seen.
 */
static bool
exists_as_owner(SPIPlanPtr *plan, const char *query, Oid arg)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	bool		found;
	int			ret;

	if (!registry_present())
		return false;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = ObjectIdGetDatum(arg);
	ret = plystra_execute_as_owner(plan, query, 1, argtypes, values, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the append-only registry: %s",
			 SPI_result_code_string(ret));
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

bool
plystra_is_append_only(Oid relid)
{
	return exists_as_owner(&is_protected_plan,
						   "SELECT 1 FROM plystra_data.append_only_relations"
						   " WHERE relation::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
						   relid);
}

bool
plystra_schema_has_append_only(Oid nspoid)
{
	return exists_as_owner(&schema_plan,
						   "SELECT 1 FROM plystra_data.append_only_relations r"
						   " JOIN pg_catalog.pg_class c"
						   "   ON c.oid OPERATOR(pg_catalog.=) r.relation::pg_catalog.oid"
						   " WHERE c.relnamespace OPERATOR(pg_catalog.=) $1",
						   nspoid);
}

bool
plystra_role_owns_append_only(Oid roleid)
{
	return exists_as_owner(&role_plan,
						   "SELECT 1 FROM plystra_data.append_only_relations r"
						   " JOIN pg_catalog.pg_class c"
						   "   ON c.oid OPERATOR(pg_catalog.=) r.relation::pg_catalog.oid"
						   " WHERE c.relowner OPERATOR(pg_catalog.=) $1",
						   roleid);
}

bool
plystra_role_owns_extension(Oid roleid)
{
	return exists_as_owner(&ext_owner_plan,
						   "SELECT 1 FROM pg_catalog.pg_extension"
						   " WHERE extname OPERATOR(pg_catalog.=) 'plystra'"
						   "   AND extowner OPERATOR(pg_catalog.=) $1",
						   roleid);
}

/* Is nspoid the schema of the extension plystra? */
bool
plystra_is_extension_schema(Oid nspoid)
{
	static SPIPlanPtr plan = NULL;

	return exists_as_owner(&plan,
						   "SELECT 1 FROM pg_catalog.pg_extension"
						   " WHERE extname OPERATOR(pg_catalog.=) 'plystra'"
						   "   AND extnamespace OPERATOR(pg_catalog.=) $1",
						   nspoid);
}

/* Does funcname (as written in CREATE TRIGGER) name plystra.append_only_guard? */
bool
plystra_is_guard_function(List *funcname)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_SCHEMA, true);
	Oid			funcoid;

	if (!OidIsValid(nspoid))
		return false;
	funcoid = LookupFuncName(funcname, 0, NULL, true);
	return OidIsValid(funcoid) &&
		get_func_namespace(funcoid) == nspoid &&
		strcmp(get_func_name(funcoid), "append_only_guard") == 0;
}

static bool columns_built_from(Oid relid, Oid target, List **seen);

/*
 * Is target typ, or a type typ is built from: its element type, its base
 * type (a domain), the types of its attributes (a composite), its subtype
 * (a range) or its range (a multirange), and so on down?  seen holds the
 * types already walked.  Read from the catalog caches: the DDL guard asks
 * this at every ALTER TABLE that changes a row type, so it must cost
 * microseconds, not scans of pg_type and pg_attribute.
 */
static bool
type_built_from(Oid typ, Oid target, List **seen)
{
	HeapTuple	tup;
	Form_pg_type form;
	Oid			elem;
	Oid			base;
	Oid			rel;
	char		typtype;

	if (typ == target)
		return true;
	if (!OidIsValid(typ) || list_member_oid(*seen, typ))
		return false;
	*seen = lappend_oid(*seen, typ);
	check_stack_depth();

	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typ));
	if (!HeapTupleIsValid(tup))
		return false;
	form = (Form_pg_type) GETSTRUCT(tup);
	elem = form->typelem;
	base = form->typbasetype;
	rel = form->typrelid;
	typtype = form->typtype;
	ReleaseSysCache(tup);

	if (type_built_from(elem, target, seen) ||
		type_built_from(base, target, seen) ||
		(OidIsValid(rel) && columns_built_from(rel, target, seen)))
		return true;
	if (typtype == TYPTYPE_RANGE)
		return type_built_from(get_range_subtype(typ), target, seen);
#if PG_VERSION_NUM >= 140000
	if (typtype == TYPTYPE_MULTIRANGE)
		return type_built_from(get_multirange_range(typ), target, seen);
#endif
	return false;
}

/* Is a column of relation relid built from target (type_built_from())? */
static bool
columns_built_from(Oid relid, Oid target, List **seen)
{
	CatCList   *attrs = SearchSysCacheList1(ATTNUM, ObjectIdGetDatum(relid));
	bool		found = false;
	int			i;

	for (i = 0; i < attrs->n_members && !found; i++)
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(&attrs->members[i]->tuple);

		if (att->attnum > 0 && !att->attisdropped)
			found = type_built_from(att->atttypid, target, seen);
	}
	ReleaseSysCacheList(attrs);
	return found;
}

/*
 * Is the type, or a type it is built from (element, base, attribute, range
 * subtype), the type of a column of an append-only table?  Changing such a
 * type (ALTER TYPE ... DROP ATTRIBUTE, RENAME VALUE) changes what every
 * stored row says.
 */
bool
plystra_type_used_by_append_only(Oid typoid)
{
	static SPIPlanPtr plan = NULL;
	List	   *seen = NIL;
	bool		found = false;
	int			ret;
	uint64		i;

	if (!registry_present())
		return false;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = plystra_execute_as_owner(&plan,
								   "SELECT r.relation::pg_catalog.oid"
								   "  FROM plystra_data.append_only_relations r",
								   0, NULL, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the append-only registry: %s",
			 SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed && !found; i++)
	{
		bool		isnull;
		Datum		relid = SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			found = columns_built_from(DatumGetObjectId(relid), typoid, &seen);
	}
	SPI_finish();
	return found;
}

/*
 * Would a LOCK TABLE of relid stop writes to an append-only table?  True
 * for an append-only table, for a table an append-only table's foreign
 * keys reference (every insert checks its key there) and for a view over
 * either.  UPDATE, DELETE or TRUNCATE granted on one would let a role lock
 * the audit log against every writer.
 */
bool
plystra_lock_blocks_append_only(Oid relid)
{
	static SPIPlanPtr plan = NULL;

	return exists_as_owner(&plan,
						   "WITH base AS ("
						   "  SELECT r.relation::pg_catalog.oid AS oid"
						   "    FROM plystra_data.append_only_relations r"
						   "  UNION"
						   "  SELECT c.confrelid FROM pg_catalog.pg_constraint c"
						   "    JOIN plystra_data.append_only_relations r"
						   "      ON r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) c.conrelid"
						   "   WHERE c.contype OPERATOR(pg_catalog.=) 'f')"
						   "SELECT 1 FROM base"
						   " WHERE base.oid OPERATOR(pg_catalog.=) $1 "
						   "UNION ALL "
						   "SELECT 1 FROM pg_catalog.pg_rewrite w"
						   "  JOIN pg_catalog.pg_depend d"
						   "    ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
						   "   AND d.objid OPERATOR(pg_catalog.=) w.oid"
						   "   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
						   "  JOIN base ON base.oid OPERATOR(pg_catalog.=) d.refobjid"
						   " WHERE w.ev_class OPERATOR(pg_catalog.=) $1"
						   "   AND w.ev_class OPERATOR(pg_catalog.<>) d.refobjid",
						   relid);
}

/*
 * Run a query with one oid[] parameter (relids; the query may leave it
 * unused) as the storage owner, in the latest committed state; its first
 * row's first column, or NULL.  These run once per DDL command, not per
 * row: they are not kept as plans.
 */
static char *
first_row_for(const char *query, List *relids)
{
	StorageOwnerContext ctx;
	SPIPlanPtr	plan;
	Oid			argtypes[1] = {OIDARRAYOID};
	Datum		values[1];
	Datum	   *oids;
	int			n = list_length(relids);
	int			i = 0;
	ListCell   *lc;
	int			ret;
	char	   *result = NULL;

	oids = palloc(sizeof(Datum) * Max(n, 1));
	foreach(lc, relids)
		oids[i++] = ObjectIdGetDatum(lfirst_oid(lc));
	values[0] = PointerGetDatum(construct_array(oids, n, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);
	plan = SPI_prepare(query, 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not prepare a guard query: %s", SPI_result_code_string(SPI_result));

	/*
	 * The latest committed registry (see exists_as_owner()), and, not
	 * read-only, the command's own changes.
	 */
	ret = SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(),
							   InvalidSnapshot, false, false, 1);
	plystra_restore_user(&ctx);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not run a guard query: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
		result = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (result != NULL)
		result = MemoryContextStrdup(CurTransactionContext, result);
	SPI_finish();
	return result;
}

/*
 * ddl_command_end: what a command created or changed must leave every
 * append-only table without parents, children and foreign keys that
 * would cascade, set null or set a default in its rows, or that would run
 * code inside the sanctioned purge.  Only the relations the command
 * touched are examined, so a key planted some other way (doctor() lists
 * it) does not make every later command fail.
 */
void
plystra_check_touched_relations(List *relids)
{
	char	   *what;

	if (relids == NIL || !registry_present())
		return;
	what = first_row_for("SELECT pg_catalog.format('%s inherits from %s', i.inhrelid::pg_catalog.regclass,"
						 "                         i.inhparent::pg_catalog.regclass)"
						 "  FROM pg_catalog.pg_inherits i"
						 "  JOIN plystra_data.append_only_relations r"
						 "    ON r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) i.inhparent"
						 "    OR r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) i.inhrelid"
						 " WHERE (i.inhrelid OPERATOR(pg_catalog.=) ANY ($1)"
						 "        OR i.inhparent OPERATOR(pg_catalog.=) ANY ($1))"
						 "   AND NOT " PLYSTRA_PROTECTED_PARTITION,
						 relids);
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("an append-only table cannot have parents, children or partitions"),
				 errdetail("Table %s.", what),
				 errhint("Rows of a child are changed and deleted through its parent, and DDL on a parent reaches its children's rows.")));
	what = first_row_for("SELECT pg_catalog.format('%s on %s', c.conname, c.conrelid::pg_catalog.regclass)"
						 "  FROM pg_catalog.pg_constraint c"
						 "  JOIN plystra_data.append_only_relations r"
						 "    ON r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) c.conrelid"
						 "    OR r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) c.confrelid"
						 " WHERE c.contype OPERATOR(pg_catalog.=) 'f'"
						 "   AND c.conrelid OPERATOR(pg_catalog.=) ANY ($1)"
						 "   AND " PLYSTRA_KEY_ACTS_ON_ROWS,
						 relids);
	if (what != NULL)
		plystra_refuse_acting_key(what);
}

/*
 * sql_drop: nothing may drop an append-only relation, one of its columns
 * or triggers by cascade from another object; and, unless the extension
 * itself goes, no trigger of the extension (named plystra_*) on a relation
 * of its schemas that stays.
 */
void
plystra_check_dropped_objects(void)
{
	static const char *const query =
	"SELECT d.object_identity"
	"  FROM pg_catalog.pg_event_trigger_dropped_objects() d"
	" WHERE d.classid IN ('pg_catalog.pg_class'::pg_catalog.regclass,"
	"                     'pg_catalog.pg_trigger'::pg_catalog.regclass,"
	"                     'pg_catalog.pg_policy'::pg_catalog.regclass)"
	"   AND (EXISTS (SELECT 1 FROM plystra_data.append_only_relations r"
	"                 WHERE r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) d.objid"
	"                    OR (d.object_type OPERATOR(pg_catalog.=) 'trigger'"
	"                        AND d.address_names[3] NOT LIKE 'RI\\_ConstraintTrigger%'"
	"                        AND r.relation::pg_catalog.oid OPERATOR(pg_catalog.=)"
	"                            pg_catalog.to_regclass(pg_catalog.format('%I.%I',"
	"                                d.address_names[1], d.address_names[2]))::pg_catalog.oid))"
	"        OR (d.object_type OPERATOR(pg_catalog.=) ANY (ARRAY['trigger', 'policy'])"
	"            AND d.address_names[1] IN ('plystra', 'plystra_data')"
	"            AND d.address_names[3] LIKE 'plystra\\_%'"
	"            AND pg_catalog.to_regclass(pg_catalog.format('%I.%I',"
	"                    d.address_names[1], d.address_names[2])) IS NOT NULL"
	"            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() x"
	"                             WHERE x.object_type OPERATOR(pg_catalog.=) 'extension'"
	"                               AND x.object_identity OPERATOR(pg_catalog.=) 'plystra')))"
	" LIMIT 1";
	char	   *what;

	if (!registry_present())
		return;
	what = first_row_for(query, NIL);
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("the command would drop a guard of extension \"plystra\""),
				 errdetail("It drops %s: an append-only table, one of its columns or triggers, or a trigger or policy of the extension.",
						   what)));
}

/*
 * DROP EXTENSION plystra, DROP SCHEMA plystra and the like would strip
 * the guard triggers of append-only tables of one's own, which stay (they
 * cannot be dropped): refused whatever plystra.allow_drop_data says.
 */
static void
check_user_append_only(const char *command)
{
	static SPIPlanPtr user_tables_plan = NULL;
	StorageOwnerContext ctx;
	int			ret;

	if (!registry_present())
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);
	/* no table may be protected between the check and the drop */
	ret = SPI_execute("LOCK TABLE plystra_data.append_only_relations IN SHARE MODE", false, 0);
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "could not lock the append-only registry");
	plystra_restore_user(&ctx);
	/* what the lock lets through: the latest committed registry */
	ret = plystra_execute_as_owner(&user_tables_plan,
								   "SELECT pg_catalog.count(*),"
								   "       pg_catalog.string_agg(c.oid::pg_catalog.regclass::pg_catalog.text, ', '"
								   "                             ORDER BY c.oid::pg_catalog.regclass::pg_catalog.text)"
								   "  FROM plystra_data.append_only_relations r"
								   "  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.relation::pg_catalog.oid"
								   " WHERE c.relnamespace OPERATOR(pg_catalog.<>) 'plystra_data'::pg_catalog.regnamespace"
								   " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0",
								   0, NULL, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the append-only registry: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		bool		isnull;
		int64		protected = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc,
															1, &isnull));

		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg_plural("%s would remove the append-only guard of %lld table of your own",
							   "%s would remove the append-only guard of %lld tables of your own",
							   protected, command, (long long) protected),
				 errdetail("Protected: %s.  A table once made append-only stays so.",
						   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
				 errhint("plystra.allow_drop_data does not change this.")));
	}
	SPI_finish();
}

/*
 * DROP EXTENSION plystra, DROP SCHEMA plystra, or DROP OWNED of its owner:
 * refused while plystra_data holds rows of users (seed rows and the
 * extension's own history, manifest and policies of references do not
 * count), unless plystra.allow_drop_data.
 */
static void
check_drop_data(const char *command)
{
	int			ret;
	uint64		i;
	int			total = 0;
	StringInfoData where;
	StorageOwnerContext ctx;

	if (plystra_allow_drop_data || !plystra_storage_present())
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);
	ret = SPI_execute("SELECT pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %s%s)', c.oid::pg_catalog.regclass,"
					  "        CASE WHEN c.relname OPERATOR(pg_catalog.=) 'schema_migrations'"
					  "             THEN ' WHERE component OPERATOR(pg_catalog.<>) ''plystra'''"
					  "             WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
					  "                           WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
					  "                             AND a.attname OPERATOR(pg_catalog.=) 'builtin')"
					  "             THEN ' WHERE NOT builtin' ELSE '' END),"
					  "       c.oid::pg_catalog.regclass::pg_catalog.text"
					  "  FROM pg_catalog.pg_class c"
					  " WHERE c.relnamespace OPERATOR(pg_catalog.=) 'plystra_data'::pg_catalog.regnamespace"
					  /* a partitioned table holds its partitions' rows */
					  "   AND (c.relkind OPERATOR(pg_catalog.=) 'p'"
					  "        OR (c.relkind OPERATOR(pg_catalog.=) 'r' AND NOT c.relispartition))"
					  "   AND c.relname OPERATOR(pg_catalog.<>) ALL (ARRAY['manifest', 'reference_policies'])"
					  " ORDER BY 2",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not list the storage tables: %s", SPI_result_code_string(ret));

	initStringInfo(&where);
	{
		SPITupleTable *tables = SPI_tuptable;
		uint64		ntables = SPI_processed;

		for (i = 0; i < ntables; i++)
		{
			char	   *query = SPI_getvalue(tables->vals[i], tables->tupdesc, 1);
			char	   *name = SPI_getvalue(tables->vals[i], tables->tupdesc, 2);
			bool		isnull;

			/* no row may be added between the look and the drop */
			ret = SPI_execute(psprintf("LOCK TABLE %s IN SHARE MODE", name), false, 0);
			if (ret != SPI_OK_UTILITY)
				elog(ERROR, "could not lock %s", name);
			ret = SPI_execute(query, false, 0);
			if (ret != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "could not read %s", name);
			if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull)))
			{
				appendStringInfo(&where, "%s%s", total > 0 ? ", " : "", name);
				total++;
			}
		}
	}
	plystra_restore_user(&ctx);

	if (total > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_DROP_DATA),
				 errmsg_plural("%s would drop the rows of %d table of plystra_data",
							   "%s would drop the rows of %d tables of plystra_data",
							   total, command, total),
				 errdetail("Tables that hold rows: %s.", where.data),
				 errhint("Back the data up first; to drop it anyway, SET plystra.allow_drop_data = on in this session.")));
	SPI_finish();
}

/*
 * DROP EXTENSION plystra, DROP SCHEMA plystra or DROP OWNED of its owner,
 * by a role that may run it: refused while tables of one's own are
 * append-only, then while the storage holds data.
 */
void
plystra_check_drop_extension(const char *command)
{
	check_user_append_only(command);
	check_drop_data(command);
}
