/*-------------------------------------------------------------------------
 *
 * history_guard.c
 *	  The trigger that decides who may add a row to the migration history,
 *	  and what a restored history row does.
 *
 * history.c reads and writes the history; this file guards it against
 * every other writer, and gives built-in rows the time of their migration
 * when a restore brings that time back (builtin_rows.c).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/history_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "plystra.h"

/*
 * plystra.history_insert_guard(): BEFORE INSERT FOR EACH ROW on the history
 * table, ENABLE ALWAYS.
 *
 * History rows are written by plystra.migrate() and the extension's own
 * scripts.  Nothing a migration runs may write one: while a migration
 * script runs, and for the rest of its transaction (a deferred constraint
 * trigger it planted fires at COMMIT), every other INSERT into the history
 * is refused, whoever runs it and however it is reached (dynamic SQL,
 * functions, triggers).  Otherwise only the table's owner (and so a
 * superuser) can insert, which is what restoring a dump does; the
 * interface view is read-only, and migrate_verify() reports an
 * application's row that no migration.applied audit row accounts for.
 *
 * Restoring a dump runs CREATE EXTENSION first, which records the
 * extension's own migrations anew, and then copies the dumped history in.
 * A dumped row of component 'plystra' whose migration is already recorded
 * with the same checksum replaces the new record, so that the restored
 * history says when and by whom the migration was really applied, and the
 * built-in rows the migration wrote get that time back (builtin_rows.c);
 * with another checksum it is refused, since it belongs to another build.
 */
PG_FUNCTION_INFO_V1(plystra_history_insert_guard);

Datum
plystra_history_insert_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	char	   *component;
	char	   *name;
	char	   *checksum;
	char	   *recorded;
	TimestampTz recorded_at;
	Datum		restored_at;
	bool		isnull;

	trigdata = plystra_trigger_call(fcinfo, "history_insert_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT);

	tuple = trigdata->tg_trigtuple;
	tupdesc = RelationGetDescr(trigdata->tg_relation);
	component = SPI_getvalue(tuple, tupdesc, SPI_fnumber(tupdesc, "component"));
	name = SPI_getvalue(tuple, tupdesc, SPI_fnumber(tupdesc, "name"));
	if (component != NULL && name != NULL &&
		plystra_own_write_claim(plystra_migration_key(component, name)))
		return PointerGetDatum(tuple);

	if (plystra_migration_running() || plystra_migration_in_xact())
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_MIGRATION_HISTORY),
				 errmsg("a migration cannot change the migration history"),
				 errdetail("plystra.schema_migrations is written by plystra.migrate() alone, also by code a migration left to run at commit."),
				 errhint("To make a migration run again, remove its record with plystra.migration_forget().")));

	if (component == NULL || strcmp(component, PLYSTRA_COMPONENT) != 0)
		return PointerGetDatum(tuple);

	checksum = SPI_getvalue(tuple, tupdesc, SPI_fnumber(tupdesc, "checksum"));
	if (name == NULL || checksum == NULL)
		return PointerGetDatum(tuple);	/* NOT NULL will refuse it */

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	recorded = plystra_history_checksum(PLYSTRA_COMPONENT, name);
	if (recorded != NULL)
	{
		PlystraDoor saved;

		if (strcmp(recorded, checksum) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_CHECKSUM_MISMATCH),
					 errmsg("history row of migration \"%s\" comes from another build of plystra",
							name),
					 errdetail("The row has checksum %s; the installed extension applied the migration with checksum %s.",
							   checksum, recorded),
					 errhint("Restore into a database where the same version of plystra, from the same build, is installed.")));
		recorded_at = plystra_history_applied_at(PLYSTRA_COMPONENT, name);
		saved = plystra_door_open(plystra_history_relid(), DT_NOEND);
		PG_TRY();
		{
			(void) plystra_history_forget(PLYSTRA_COMPONENT, name);
		}
		PG_FINALLY();
		{
			plystra_door_restore(saved);
		}
		PG_END_TRY();

		/* the built-in rows of the migration get the original's time too */
		restored_at = heap_getattr(tuple, SPI_fnumber(tupdesc, "applied_at"), tupdesc, &isnull);
		if (!isnull)
			plystra_date_builtin_rows(recorded_at, DatumGetTimestampTz(restored_at));
	}
	SPI_finish();

	return PointerGetDatum(tuple);
}
