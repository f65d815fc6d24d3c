/*-------------------------------------------------------------------------
 *
 * builtin_migrations.c
 *	  The extension's own migrations: the list compiled into the library
 *	  (plystra._builtin_migrations()) and the function that applies one of
 *	  them from a version script.
 *
 * Every version script hands each of its migrations to
 * plystra._migrate_builtin() byte for byte.  The function refuses a
 * migration whose checksum differs from the one compiled into the library
 * (an edited released migration, or scripts and library from different
 * builds), refuses one that is out of order or already recorded, runs it,
 * and records it in plystra_data.schema_migrations under the component
 * "plystra" with its checksum, time, role, duration and the extension
 * version that ships it.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/builtin_migrations.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "plystra.h"
#include "migrations_list.h"

PG_FUNCTION_INFO_V1(plystra_migrate_builtin);

static const BuiltinMigration *
find_builtin(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(builtin_migrations); i++)
	{
		if (strcmp(builtin_migrations[i].name, name) == 0)
			return &builtin_migrations[i];
	}
	return NULL;
}

/*
 * plystra._migrate_builtin(name text, script text) returns void
 */
Datum
plystra_migrate_builtin(PG_FUNCTION_ARGS)
{
	char	   *name;
	text	   *script;
	char		checksum[PLYSTRA_CHECKSUM_LEN + 1];
	const BuiltinMigration *builtin;
	TimestampTz started;
	TimestampTz finished;
	char	   *latest;
	bool		saved;

	plystra_require_own_script("plystra._migrate_builtin()");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("migration name and script must not be null")));

	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	script = PG_GETARG_TEXT_PP(1);

	builtin = find_builtin(name);
	if (builtin == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is not known to the plystra library", name),
				 errdetail("The library is version %s.", PLYSTRA_LIBRARY_VERSION),
				 errhint("Install the plystra library and scripts from the same build.")));

	plystra_checksum(VARDATA_ANY(script), VARSIZE_ANY_EXHDR(script), checksum);
	if (strcmp(checksum, builtin->checksum) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_CHECKSUM_MISMATCH),
				 errmsg("migration \"%s\" in the extension script is not the one the plystra library was built with",
						name),
				 errdetail("The script's text has checksum %s; the library was built with checksum %s.",
						   checksum, builtin->checksum),
				 errhint("Released migrations are never edited; install the plystra library and scripts from the same build.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the extension's own history is applied in order, each name once */
	latest = plystra_history_latest(PLYSTRA_COMPONENT);
	if (latest != NULL && strcmp(latest, name) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_MIGRATION_ORDER),
				 errmsg("migration \"%s\" of component \"%s\" does not sort after the latest applied one, \"%s\"",
						name, PLYSTRA_COMPONENT, latest),
				 errhint("The extension's history is damaged; compare plystra.migration_status('plystra') with the shipped migrations.")));

	started = GetCurrentTimestamp();
	saved = plystra_builtin_begin();
	PG_TRY();
	{
		(void) plystra_run_script(psprintf("plystra migration %s", name),
								  text_to_cstring(script));
		finished = GetCurrentTimestamp();
		plystra_history_record(PLYSTRA_COMPONENT, name, checksum, started,
							   finished, builtin->version,
							   GetUserNameFromId(GetUserId(), false));
		/* the built-in rows it wrote or changed carry its time */
		plystra_date_builtin_rows(GetCurrentTransactionStartTimestamp(), started);
	}
	PG_FINALLY();
	{
		plystra_builtin_end(saved);
	}
	PG_END_TRY();

	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * plystra._library_version() returns text: the version of the loaded
 * library, for doctor() to compare with the installed extension.
 */
PG_FUNCTION_INFO_V1(plystra_library_version_sql);

Datum
plystra_library_version_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PLYSTRA_LIBRARY_VERSION));
}

/*
 * plystra._builtin_migrations() returns setof (name text, version text,
 * checksum text): the extension's migrations compiled into this library.
 */
PG_FUNCTION_INFO_V1(plystra_builtin_migration_list);

Datum
plystra_builtin_migration_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MemoryContext oldcontext;
	int			i;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTupleDescCopy(tupdesc);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(oldcontext);

	for (i = 0; i < lengthof(builtin_migrations); i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(builtin_migrations[i].name);
		values[1] = CStringGetTextDatum(builtin_migrations[i].version);
		values[2] = CStringGetTextDatum(builtin_migrations[i].checksum);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
