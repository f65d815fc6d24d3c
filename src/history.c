/*-------------------------------------------------------------------------
 *
 * history.c
 *	  Reads and writes of the migration history, plystra_data.schema_migrations.
 *
 * Only the functions here touch history rows.  They run their queries as
 * the owner of the storage (storage.c), so that plystra.migrate() can
 * record a migration for a caller who has no privilege on plystra_data
 * (and so cannot write history rows by hand).  Every query is
 * schema-qualified, operators included, because plystra.migrate() runs with
 * the caller's search_path.  Plans are prepared once per backend and kept.
 *
 * The caller must be connected to SPI.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "plystra.h"

static SPIPlanPtr lookup_plan = NULL;
static SPIPlanPtr latest_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr delete_plan = NULL;
static SPIPlanPtr version_plan = NULL;

/*
 * "component/name": how a migration is named where one string names it,
 * the target of its audit rows and the key of its history row's own write.
 */
char *
plystra_migration_key(const char *component, const char *name)
{
	return psprintf("%s/%s", component, name);
}

/*
 * Find the record of (component, name), reading the latest committed rows;
 * false when the migration is not recorded.  Its checksum and applied_at
 * are then row 0 of SPI_tuptable, columns 1 and 2.  The caller is
 * connected to SPI.
 */
static bool
lookup(const char *component, const char *name)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	int			ret;

	values[0] = CStringGetTextDatum(component);
	values[1] = CStringGetTextDatum(name);
	ret = plystra_execute_as_owner(&lookup_plan,
								   "SELECT checksum, applied_at FROM plystra_data.schema_migrations"
								   " WHERE component OPERATOR(pg_catalog.=) $1"
								   "   AND name OPERATOR(pg_catalog.=) $2",
								   2, argtypes, values, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the migration history: %s",
			 SPI_result_code_string(ret));
	return SPI_processed > 0;
}

/*
 * The recorded checksum of (component, name), valid until SPI_finish(),
 * or NULL when the migration is not recorded.
 */
char *
plystra_history_checksum(const char *component, const char *name)
{
	if (!lookup(component, name))
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * When the recorded migration was applied; an error when it is not
 * recorded.  The caller is connected to SPI.
 */
TimestampTz
plystra_history_applied_at(const char *component, const char *name)
{
	bool		isnull;
	Datum		d;

	if (!lookup(component, name))
		elog(ERROR, "migration \"%s\" of component \"%s\" is not recorded", name, component);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	Assert(!isnull);			/* applied_at is NOT NULL */
	return DatumGetTimestampTz(d);
}

/*
 * The byte-wise greatest recorded name of component, or NULL when the
 * component has no history.
 */
char *
plystra_history_latest(const char *component)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	int			ret;

	values[0] = CStringGetTextDatum(component);
	ret = plystra_execute_as_owner(&latest_plan,
						   "SELECT pg_catalog.max(name COLLATE pg_catalog.\"C\")"
						   " FROM plystra_data.schema_migrations"
						   " WHERE component OPERATOR(pg_catalog.=) $1",
						   1, argtypes, values, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the migration history: %s",
			 SPI_result_code_string(ret));
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/* The installed version of the extension. */
char *
plystra_installed_version(void)
{
	int			ret;

	if (version_plan == NULL)
		version_plan = plystra_keep_plan("SELECT extversion FROM pg_catalog.pg_extension"
										 " WHERE extname OPERATOR(pg_catalog.=) 'plystra'",
										 0, NULL);
	ret = SPI_execute_plan(version_plan, NULL, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"%s\" is not installed in this database",
						PLYSTRA_EXTENSION_NAME)));
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * Record an applied migration.  applied_by is the role that applied it, taken
 * before the script ran (a script may SET ROLE), not the owner we write as.
 */
void
plystra_history_record(const char *component, const char *name,
					   const char *checksum, TimestampTz started,
					   TimestampTz finished, const char *version,
					   const char *applied_by)
{
	Oid			argtypes[7] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
	NAMEOID, INTERVALOID, TEXTOID};
	Datum		values[7];
	Interval   *duration;
	int			ret;
	const char *saved;

	duration = (Interval *) palloc0(sizeof(Interval));
	duration->time = Max(finished - started, 0);

	values[0] = CStringGetTextDatum(component);
	values[1] = CStringGetTextDatum(name);
	values[2] = CStringGetTextDatum(checksum);
	values[3] = TimestampTzGetDatum(started);
	values[4] = DirectFunctionCall1(namein, CStringGetDatum(applied_by));
	values[5] = IntervalPGetDatum(duration);
	values[6] = CStringGetTextDatum(version);

	saved = plystra_own_write_begin(plystra_migration_key(component, name));
	PG_TRY();
	{
		ret = plystra_execute_as_owner(&insert_plan,
									   "INSERT INTO plystra_data.schema_migrations"
									   " (component, name, checksum, applied_at,"
									   "  applied_by, execution_time, extension_version)"
									   " VALUES ($1, $2, $3, $4, $5, $6, $7)",
									   7, argtypes, values, false, 0);
	}
	PG_FINALLY();
	{
		plystra_own_write_end(saved);
	}
	PG_END_TRY();
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not record migration \"%s\": %s",
			 name, SPI_result_code_string(ret));
}

/*
 * Remove the record of (component, name); returns its checksum, or NULL
 * when there was none.  The caller opens the append-only guard's door.
 */
char *
plystra_history_forget(const char *component, const char *name)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	int			ret;

	values[0] = CStringGetTextDatum(component);
	values[1] = CStringGetTextDatum(name);
	ret = plystra_execute_as_owner(&delete_plan,
						   "DELETE FROM plystra_data.schema_migrations"
						   " WHERE component OPERATOR(pg_catalog.=) $1"
						   "   AND name OPERATOR(pg_catalog.=) $2"
						   " RETURNING checksum",
						   2, argtypes, values, false, 0);
	if (ret != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "could not remove the record of migration \"%s\": %s",
			 name, SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return NULL;
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/* For plystra.migration_forget(): the history table's OID. */
Oid
plystra_history_relid(void)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, true);
	Oid			relid = InvalidOid;

	if (OidIsValid(nspoid))
		relid = get_relname_relid("schema_migrations", nspoid);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.schema_migrations\" does not exist",
						PLYSTRA_DATA_SCHEMA),
				 errhint("Is the extension plystra installed in this database?")));
	return relid;
}
