/*-------------------------------------------------------------------------
 *
 * append_only.c
 *	  The append-only guard: a trigger that refuses UPDATE, DELETE and
 *	  TRUNCATE of a protected table, the one door through it, the registry
 *	  of protected tables, and make_append_only().
 *
 * plystra.append_only_guard() is attached BEFORE UPDATE OR DELETE FOR EACH
 * ROW and BEFORE TRUNCATE FOR EACH STATEMENT, ENABLE ALWAYS, so that it
 * fires for every role and also under session_replication_role = replica.
 * MERGE and INSERT ... ON CONFLICT DO UPDATE fire the UPDATE trigger and
 * are refused with it.
 *
 * The sanctioned maintenance functions (removing a migration record,
 * purging old audit rows) open the door for one relation around their own
 * statement with plystra_door_open()/plystra_door_close(); the guard lets
 * that statement's rows through and nothing else.  The extension's own
 * migrations pass as well.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/append_only.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/syscache.h"
#include "catalog/pg_inherits.h"
#include "storage/lmgr.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_append_only_guard);

/*
 * The relation whose door is open, if any, and the time before which a
 * row's created_at must lie for it to pass (DT_NOEND: any row).  The cutoff
 * keeps deletes nested in the sanctioned one (a trigger it sets off) from
 * removing anything the sanctioned DELETE itself would not.
 */
static Oid	door_relid = InvalidOid;
static TimestampTz door_cutoff = DT_NOEND;

void
plystra_door_open(Oid relid, TimestampTz cutoff)
{
	door_relid = relid;
	door_cutoff = cutoff;
}

void
plystra_door_close(void)
{
	door_relid = InvalidOid;
	door_cutoff = DT_NOEND;
}

static bool
through_door(Relation rel, HeapTuple tuple)
{
	int			attnum;
	bool		isnull;
	Datum		created;

	if (!OidIsValid(door_relid) || door_relid != RelationGetRelid(rel))
		return false;
	if (door_cutoff == DT_NOEND)
		return true;
	attnum = SPI_fnumber(RelationGetDescr(rel), "created_at");
	if (attnum <= 0)
		return false;
	created = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
	return !isnull && DatumGetTimestampTz(created) < door_cutoff;
}

Datum
plystra_append_only_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"append_only_guard")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		(TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) ?
		 !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) :
		 !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE UPDATE OR DELETE FOR EACH ROW or BEFORE TRUNCATE FOR EACH STATEMENT",
						"append_only_guard")));

	rel = trigdata->tg_relation;

	if (plystra_in_builtin_migration() ||
		(TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) &&
		 through_door(rel, trigdata->tg_trigtuple)))
	{
		if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
			return PointerGetDatum(NULL);
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);
	}

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		what = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else
		what = "TRUNCATE";

	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
			 errmsg("%s of \"%s.%s\" is not allowed", what,
					get_namespace_name(RelationGetNamespace(rel)),
					RelationGetRelationName(rel)),
			 errdetail("The table is append-only: its rows are never changed or removed, by any role."),
			 errhint("%s", trigdata->tg_trigger->tgnargs > 0 ?
					 trigdata->tg_trigger->tgargs[0] :
					 "Only the extension's own maintenance functions remove rows from it.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/*
 * The registry of append-only relations, plystra_data.append_only_relations,
 * and the checks the event triggers make against it.  Queries run as the
 * storage owner, since the DDL being checked may come from any role.
 */
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

/* Run a one-parameter existence query as the storage owner. */
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
	ret = plystra_execute_as_owner(plan, query, 1, argtypes, values, false, 1);
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

/*
 * Run a query as the storage owner and raise its first row, if any.  These
 * run once per DDL command, not per row: they are not kept as plans.
 */
static void
refuse_if_rows(const char *query, const char *message, const char *detail_prefix)
{
	StorageOwnerContext ctx;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);
	/* not read-only: take a snapshot that sees the command's own changes */
	ret = SPI_execute(query, false, 0);
	plystra_restore_user(&ctx);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not run a guard query: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		char	   *what = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("%s", message),
				 errdetail("%s %s.", detail_prefix, what)));
	}
	SPI_finish();
}

/*
 * ddl_command_end of CREATE/ALTER TABLE: no foreign key of an append-only
 * table may cascade, set null or set a default (that would change or
 * remove its rows when the referenced row goes), and no foreign key onto
 * one may either (its actions would run code inside the sanctioned purge).
 */
void
plystra_check_cascading_keys(void)
{
	if (!registry_present())
		return;
	refuse_if_rows("SELECT pg_catalog.format('%s on %s', c.conname, c.conrelid::pg_catalog.regclass)"
				   "  FROM pg_catalog.pg_constraint c"
				   "  JOIN plystra_data.append_only_relations r"
				   "    ON r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) c.conrelid"
				   "    OR r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) c.confrelid"
				   " WHERE c.contype OPERATOR(pg_catalog.=) 'f'"
				   "   AND (c.confdeltype OPERATOR(pg_catalog.<>) ALL (ARRAY['a', 'r']::pg_catalog.\"char\"[])"
				   "        OR c.confupdtype OPERATOR(pg_catalog.<>) ALL (ARRAY['a', 'r']::pg_catalog.\"char\"[]))"
				   " LIMIT 1",
				   "a foreign key of or onto an append-only table must not cascade, set null or set default",
				   "The foreign key is");
}

/*
 * ddl_command_end of CREATE/ALTER FUNCTION: the extension's functions,
 * the guards among them, are replaced or altered only by its scripts.
 */
void
plystra_check_member_functions(void)
{
	refuse_if_rows("SELECT d.object_identity"
				   "  FROM pg_catalog.pg_event_trigger_ddl_commands() d"
				   "  JOIN pg_catalog.pg_depend e"
				   "    ON e.classid OPERATOR(pg_catalog.=) d.classid"
				   "   AND e.objid OPERATOR(pg_catalog.=) d.objid"
				   "   AND e.deptype OPERATOR(pg_catalog.=) 'e'"
				   "  JOIN pg_catalog.pg_extension x ON x.oid OPERATOR(pg_catalog.=) e.refobjid"
				   " WHERE x.extname OPERATOR(pg_catalog.=) 'plystra'"
				   " LIMIT 1",
				   "functions of extension \"plystra\" cannot be replaced or altered",
				   "The command changes");
}

/*
 * sql_drop: nothing may drop an append-only relation or one of its columns
 * by cascade from another object.
 */
void
plystra_check_dropped_objects(void)
{
	if (!registry_present())
		return;
	refuse_if_rows("SELECT d.object_identity"
				   "  FROM pg_catalog.pg_event_trigger_dropped_objects() d"
				   "  JOIN plystra_data.append_only_relations r"
				   "    ON r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) d.objid"
				   "    OR (d.object_type OPERATOR(pg_catalog.=) 'trigger'"
				   "        AND d.address_names[3] NOT LIKE 'RI\\_ConstraintTrigger%'"
				   "        AND r.relation::pg_catalog.oid OPERATOR(pg_catalog.=)"
				   "            pg_catalog.to_regclass(pg_catalog.format('%I.%I',"
				   "                d.address_names[1], d.address_names[2]))::pg_catalog.oid)"
				   " WHERE d.classid IN ('pg_catalog.pg_class'::pg_catalog.regclass,"
				   "                     'pg_catalog.pg_trigger'::pg_catalog.regclass)"
				   " LIMIT 1",
				   "the command would drop an append-only table, a column or a trigger of one",
				   "It drops");
}

/*
 * DROP EXTENSION plystra, DROP SCHEMA plystra, or DROP OWNED of its owner:
 * refused while plystra_data holds rows of users (seed rows and the
 * extension's own history and manifest do not count), unless
 * plystra.allow_drop_data.
 */
void
plystra_check_drop_data(const char *command)
{
	int			ret;
	uint64		i;
	int64		total = 0;
	StringInfoData where;
	StorageOwnerContext ctx;

	if (plystra_allow_drop_data || !plystra_storage_present())
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);
	ret = SPI_execute("SELECT pg_catalog.format('SELECT pg_catalog.count(*) FROM %s%s', c.oid::pg_catalog.regclass,"
					  "        CASE WHEN c.relname OPERATOR(pg_catalog.=) 'schema_migrations'"
					  "             THEN ' WHERE component OPERATOR(pg_catalog.<>) ''plystra'''"
					  "             WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
					  "                           WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
					  "                             AND a.attname OPERATOR(pg_catalog.=) 'builtin')"
					  "             THEN ' WHERE NOT builtin' ELSE '' END),"
					  "       c.oid::pg_catalog.regclass::pg_catalog.text"
					  "  FROM pg_catalog.pg_class c"
					  " WHERE c.relnamespace OPERATOR(pg_catalog.=) 'plystra_data'::pg_catalog.regnamespace"
					  "   AND c.relkind OPERATOR(pg_catalog.=) 'r'"
					  "   AND c.relname OPERATOR(pg_catalog.<>) 'manifest'"
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
			int64		n;

			ret = SPI_execute(query, true, 0);
			if (ret != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "could not count the rows of %s", name);
			n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											SPI_tuptable->tupdesc, 1, &isnull));
			if (n > 0)
			{
				appendStringInfo(&where, "%s%s: " INT64_FORMAT,
								 total > 0 ? ", " : "", name, n);
				total += n;
			}
		}
	}
	plystra_restore_user(&ctx);

	if (total > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_DROP_DATA),
				 errmsg_plural("%s would drop " INT64_FORMAT " row of plystra_data",
							   "%s would drop " INT64_FORMAT " rows of plystra_data",
							   total, command, total),
				 errdetail("Rows by table: %s.", where.data),
				 errhint("Back the data up first; to drop it anyway, SET plystra.allow_drop_data = on in this session.")));
	SPI_finish();
}

/* Was the table created OF a composite type? */
static bool
typed_table(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	result = OidIsValid(((Form_pg_class) GETSTRUCT(tuple))->reloftype);
	ReleaseSysCache(tuple);
	return result;
}

/*
 * plystra.make_append_only(rel regclass) returns boolean
 *
 * Gives a table of one's own the protection of audit_logs: the guard
 * triggers, ENABLE ALWAYS, and an entry in the registry the DDL guard
 * reads.  Returns false when the table was protected already.  Refuses
 * what the guard cannot protect: views and other relations that are not
 * plain tables, partitioned tables (protect each partition), temporary and
 * unlogged tables, system catalogs, partitions, inheritance children and
 * typed tables (DDL on their parent or type would reach their rows), and
 * tables with foreign keys that would change their rows.  The caller must
 * own the table.
 */
PG_FUNCTION_INFO_V1(plystra_make_append_only);

Datum
plystra_make_append_only(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char		relkind;
	char	   *relname;
	char	   *qualname;
	StorageOwnerContext ctx;
	Oid			argtypes[2] = {OIDOID, NAMEOID};
	Datum		values[2];
	int			ret;
	static const char *const steps[] = {
		"CREATE TRIGGER plystra_append_only BEFORE UPDATE OR DELETE ON %s"
		" FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard()",
		"CREATE TRIGGER plystra_append_only_truncate BEFORE TRUNCATE ON %s"
		" FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard()",
		"ALTER TABLE %s ENABLE ALWAYS TRIGGER plystra_append_only,"
		" ENABLE ALWAYS TRIGGER plystra_append_only_truncate",
	};
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be null")));
	relid = PG_GETARG_OID(0);
	/* as CREATE TRIGGER would: no concurrent DDL while we look and act */
	LockRelationOid(relid, ShareRowExclusiveLock);
	relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	/* messages name the table as PostgreSQL's own do: unqualified */
	relname = get_rel_name(relid);
	qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  relname);

	if (IsCatalogRelationOid(relid) ||
		IsToastNamespace(get_rel_namespace(relid)) ||
		strcmp(get_namespace_name(get_rel_namespace(relid)), "information_schema") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("\"%s\" is a system catalog", relname),
				 errdetail("System catalogs cannot be made append-only.")));
	if (relkind == RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partitioned table", relname),
				 errdetail("Its partitions can be attached, detached and truncated apart from it, and DDL on it reaches their rows."),
				 errhint("Keep append-only data in a plain table.")));
	if (relkind == RELKIND_RELATION && get_rel_relispartition(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partition", relname),
				 errdetail("DDL on its partitioned table would reach its rows (ALTER COLUMN TYPE rewrites them).")));
	if (relkind == RELKIND_RELATION && has_superclass(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" inherits from another table", relname),
				 errdetail("DDL on its parent would reach its rows.")));
	if (relkind == RELKIND_RELATION && OidIsValid(get_rel_type_id(relid)) &&
		typed_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a typed table", relname),
				 errdetail("ALTER TYPE on its type would reach its rows.")));
	if (relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", relname),
				 errdetail("Only plain tables can be made append-only; a view or foreign table has no rows of its own to protect.")));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a temporary table", relname),
				 errdetail("A temporary table disappears with its session; there is nothing lasting to protect.")));
	if (get_rel_persistence(relid) == RELPERSISTENCE_UNLOGGED)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is an unlogged table", relname),
				 errdetail("An unlogged table is emptied by a crash."),
				 errhint("Run ALTER TABLE %s SET LOGGED first.", qualname)));
#if PG_VERSION_NUM >= 160000
	if (!object_ownercheck(RelationRelationId, relid, GetUserId()))
#else
	if (!pg_class_ownercheck(relid, GetUserId()))
#endif
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));

	if (plystra_is_append_only(relid))
	{
		ereport(NOTICE,
				(errmsg("\"%s\" is append-only already", relname)));
		PG_RETURN_BOOL(false);
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* existing foreign keys that would change its rows */
	values[0] = ObjectIdGetDatum(relid);
	ret = SPI_execute_with_args("SELECT conname FROM pg_catalog.pg_constraint"
								" WHERE conrelid OPERATOR(pg_catalog.=) $1"
								"   AND contype OPERATOR(pg_catalog.=) 'f'"
								"   AND (confdeltype OPERATOR(pg_catalog.<>) ALL (ARRAY['a', 'r']::pg_catalog.\"char\"[])"
								"        OR confupdtype OPERATOR(pg_catalog.<>) ALL (ARRAY['a', 'r']::pg_catalog.\"char\"[]))",
								1, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the foreign keys of %s", qualname);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("foreign key \"%s\" of \"%s\" would change its rows",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						relname),
				 errhint("Make it ON DELETE RESTRICT ON UPDATE RESTRICT (or NO ACTION) first.")));

	/* the guard function is not executable by PUBLIC: act as its owner */
	values[1] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	plystra_become_storage_owner(&ctx);
	for (i = 0; i < lengthof(steps); i++)
	{
		ret = SPI_execute(psprintf(steps[i], qualname), false, 0);
		if (ret != SPI_OK_UTILITY)
			elog(ERROR, "could not protect %s: %s", qualname, SPI_result_code_string(ret));
	}
	ret = SPI_execute_with_args("INSERT INTO plystra_data.append_only_relations (relation, protected_by)"
								" VALUES ($1, $2)",
								2, argtypes, values, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not register %s: %s", qualname, SPI_result_code_string(ret));
	plystra_restore_user(&ctx);

	SPI_finish();
	PG_RETURN_BOOL(true);
}
