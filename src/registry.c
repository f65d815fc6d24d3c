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
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "plystra.h"

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

