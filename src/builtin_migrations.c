/*-------------------------------------------------------------------------
 *
 * builtin_migrations.c
 *	  The extension's own migrations: the list compiled into the library
 *	  and the function that applies one of them from a version script.
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
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "plystra.h"
#include "migrations_list.h"

PG_FUNCTION_INFO_V1(plystra_migrate_builtin);

static SPIPlanPtr latest_plan = NULL;
static SPIPlanPtr insert_plan = NULL;

const BuiltinMigration *
plystra_builtin_migrations(int *count)
{
	*count = lengthof(builtin_migrations);
	return builtin_migrations;
}

const char *
plystra_library_version(void)
{
	return PLYSTRA_LIBRARY_VERSION;
}

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

static SPIPlanPtr
prepare_kept(const char *query, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(query, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 query, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
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
	Interval   *duration;
	Datum		values[6];
	Oid			argtypes[6] = {TEXTOID, TEXTOID, TIMESTAMPTZOID, NAMEOID,
	INTERVALOID, TEXTOID};
	int			ret;

	if (!plystra_in_own_script())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s may only be called by the plystra extension's scripts",
						"plystra._migrate_builtin()")));
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
				 errmsg("migration \"%s\" has checksum %s, expected %s",
						name, checksum, builtin->checksum),
				 errdetail("The extension script carries a different text of this migration than the one the plystra library was built with."),
				 errhint("Released migrations are never edited; install the plystra library and scripts from the same build.")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the extension's own history is applied in order, each name once */
	if (latest_plan == NULL)
		latest_plan = prepare_kept("SELECT pg_catalog.max(name COLLATE \"C\")"
								   " FROM plystra_data.schema_migrations"
								   " WHERE component OPERATOR(pg_catalog.=) 'plystra'",
								   0, NULL);
	ret = SPI_execute_plan(latest_plan, NULL, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the migration history: %s",
			 SPI_result_code_string(ret));
	{
		bool		isnull;
		Datum		latest = SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull && strcmp(TextDatumGetCString(latest), name) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_MIGRATION_ORDER),
					 errmsg("migration \"%s\" of component \"%s\" does not sort after the latest applied one, \"%s\"",
							name, PLYSTRA_COMPONENT, TextDatumGetCString(latest)),
					 errhint("The extension's history is damaged; compare plystra.schema_migrations with plystra.migration_checksum() of the shipped migrations.")));
	}

	/* run the migration */
	started = GetCurrentTimestamp();
	plystra_run_script(psprintf("plystra migration %s", name),
					   text_to_cstring(script));
	finished = GetCurrentTimestamp();

	duration = (Interval *) palloc0(sizeof(Interval));
	duration->time = finished - started;

	if (insert_plan == NULL)
		insert_plan = prepare_kept("INSERT INTO plystra_data.schema_migrations"
								   " (component, name, checksum, applied_at,"
								   "  applied_by, execution_time, extension_version)"
								   " VALUES ('plystra', $1, $2, $3, $4, $5, $6)",
								   6, argtypes);
	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(checksum);
	values[2] = TimestampTzGetDatum(started);
	values[3] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	values[4] = IntervalPGetDatum(duration);
	values[5] = CStringGetTextDatum(builtin->version);
	ret = SPI_execute_plan(insert_plan, values, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not record migration \"%s\": %s",
			 name, SPI_result_code_string(ret));

	SPI_finish();
	PG_RETURN_VOID();
}
