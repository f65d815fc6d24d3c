/*-------------------------------------------------------------------------
 *
 * timestamps.c
 *	  The triggers that maintain the created_at, updated_at and deleted_at
 *	  columns of plystra's tables: the server dates rows.
 *
 * plystra.updated_at_trigger() runs BEFORE INSERT OR UPDATE FOR EACH ROW
 * (BEFORE UPDATE in the scripts of 1.0 and 1.1) and sets the column named by
 * its argument (updated_at when none is given) to the start time of the
 * transaction, the same clock as the column's DEFAULT now(), so a row
 * inserted and updated in one transaction has equal timestamps and a client
 * cannot set the column to anything else.  On INSERT the storage owner (and
 * so a superuser), who restores dumps, keeps the time it sends.
 *
 * plystra.deleted_at_guard() dates soft deletes (see below); the rest of
 * soft delete is soft_delete.c's.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/timestamps.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_updated_at_trigger);
PG_FUNCTION_INFO_V1(plystra_created_at_trigger);

/*
 * Check how a stamping trigger was called and find its column: the one
 * named by its argument, or default_column; it must be timestamptz.
 */
static int
stamp_column(FunctionCallInfo fcinfo, const char *fname, int ops,
			 const char *default_column)
{
	TriggerData *trigdata;
	Relation	rel;
	TupleDesc	tupdesc;
	const char *colname = default_column;
	int			attnum;

	trigdata = plystra_trigger_call(fcinfo, fname, TRIGGER_EVENT_BEFORE,
									ops);
	if (trigdata->tg_trigger->tgnargs > 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" takes at most one argument, the column name",
						fname)));
	if (trigdata->tg_trigger->tgnargs == 1)
		colname = trigdata->tg_trigger->tgargs[0];

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	attnum = SPI_fnumber(tupdesc, colname);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						colname, RelationGetRelationName(rel))));
	if (TupleDescAttr(tupdesc, attnum - 1)->atttypid != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of relation \"%s\" must be of type timestamp with time zone",
						colname, RelationGetRelationName(rel))));
	return attnum;
}

static Datum
stamped(HeapTuple tuple, TupleDesc tupdesc, int attnum, TimestampTz when)
{
	Datum		value = TimestampTzGetDatum(when);
	bool		isnull = false;

	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, tupdesc, 1, &attnum,
													 &value, &isnull));
}

Datum
plystra_updated_at_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	int			attnum = stamp_column(fcinfo, "updated_at_trigger",
									  PLYSTRA_ON_INSERT | PLYSTRA_ON_UPDATE,
									  "updated_at");
	Relation	rel = trigdata->tg_relation;

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		bool		given_null;

		if (plystra_is_storage_owner())
		{
			(void) heap_getattr(trigdata->tg_trigtuple, attnum,
								RelationGetDescr(rel), &given_null);
			if (!given_null)
				return PointerGetDatum(trigdata->tg_trigtuple);
		}
		return stamped(trigdata->tg_trigtuple, RelationGetDescr(rel),
					   attnum, GetCurrentTransactionStartTimestamp());
	}
	/*
	 * the extension dating its built-in rows sets the times itself; and a
	 * row whose parents_live it refreshes has not changed
	 */
	if (plystra_redating_builtin_rows() || plystra_refreshing_parents_live())
		return PointerGetDatum(trigdata->tg_newtuple);
	return stamped(trigdata->tg_newtuple, RelationGetDescr(rel),
				   attnum, GetCurrentTransactionStartTimestamp());
}

/*
 * plystra.created_at_trigger() runs BEFORE INSERT FOR EACH ROW and sets the
 * column named by its argument (created_at when none is given) to the
 * current clock time, whatever the client sent: rows are dated by the
 * server, at the moment they are written, and cannot be back-dated.
 *
 * One writer keeps the time it sends: the owner of the table (and so a
 * superuser), which is who restores a dump, so that restored rows keep the
 * time they were first written.  A time equal to the start of the
 * transaction is the column default, now(), and is replaced like any other.
 */
Datum
plystra_created_at_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	int			attnum = stamp_column(fcinfo, "created_at_trigger", PLYSTRA_ON_INSERT,
									  "created_at");
	Relation	rel = trigdata->tg_relation;

	if (plystra_is_storage_owner())
	{
		bool		given_null;
		Datum		given;

		given = heap_getattr(trigdata->tg_trigtuple, attnum,
							 RelationGetDescr(rel), &given_null);
		if (!given_null &&
			DatumGetTimestampTz(given) != GetCurrentTransactionStartTimestamp())
			return PointerGetDatum(trigdata->tg_trigtuple);
	}
	return stamped(trigdata->tg_trigtuple, RelationGetDescr(rel), attnum,
				   GetCurrentTimestamp());
}

/*
 * plystra.deleted_at_guard() returns trigger
 *	BEFORE INSERT ... WHEN (NEW.deleted_at IS NOT NULL), and
 *	BEFORE UPDATE OF deleted_at ... WHEN (OLD.deleted_at IS NULL AND
 *	NEW.deleted_at IS NOT NULL), on plystra_data.<entity>
 *
 * The server dates soft deletes: whoever sets deleted_at of a live row
 * gets now(), so that nobody back-dates a deletion past purge_deleted()'s
 * retention; and a row cannot be inserted already deleted, which would
 * skip the audit.  The storage owner (and so a superuser), who restores
 * dumps, is exempt.
 */
PG_FUNCTION_INFO_V1(plystra_deleted_at_guard);

Datum
plystra_deleted_at_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	int			attnum;
	Datum		value;
	bool		isnull = false;

	trigdata = plystra_trigger_call(fcinfo, "deleted_at_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT | PLYSTRA_ON_UPDATE);

	rel = trigdata->tg_relation;

	/*
	 * A live row being deleted: the policy of the storage lets the UPDATE
	 * through the view leave it (see row_security.c).
	 */
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		int			idnum = SPI_fnumber(RelationGetDescr(rel), "id");
		Datum		id;

		if (idnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("relation \"%s\" has no column \"id\"",
							RelationGetRelationName(rel))));
		id = heap_getattr(trigdata->tg_trigtuple, idnum, RelationGetDescr(rel), &isnull);
		if (!isnull)
			plystra_note_soft_delete(RelationGetRelid(rel), DatumGetInt64(id));
		isnull = false;
	}

	if (plystra_is_storage_owner())
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);

	attnum = SPI_fnumber(RelationGetDescr(rel), "deleted_at");
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no column \"deleted_at\"",
						RelationGetRelationName(rel))));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		(void) heap_getattr(trigdata->tg_trigtuple, attnum, RelationGetDescr(rel), &isnull);
		if (!isnull)
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_ROW_POLICY),
					 errmsg("a new row of \"%s\" cannot be deleted already",
							RelationGetRelationName(rel)),
					 errhint("Insert it, then delete it.")));
		return PointerGetDatum(trigdata->tg_trigtuple);
	}

	value = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	isnull = false;
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_newtuple,
													 RelationGetDescr(rel), 1, &attnum,
													 &value, &isnull));
}
