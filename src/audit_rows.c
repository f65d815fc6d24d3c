/*-------------------------------------------------------------------------
 *
 * audit_rows.c
 *	  What the server decides in every new audit row: when, by which role,
 *	  with which id, and which event types only the extension writes.
 *
 * plystra.audit_row_guard() runs BEFORE INSERT FOR EACH ROW on
 * plystra_data.audit_logs, ENABLE ALWAYS.  For a row an application writes:
 *
 * - created_at is the clock time of the insert (clock_timestamp(), so the
 *	 rows of one transaction are ordered as they were written), whatever the
 *	 client sent;
 * - actor_role is the role inserting (current_user), whatever the client
 *	 sent;
 * - the id is the one its sequence has just assigned (row_identity.c);
 * - event types under migration., audit., entity. and user.password. are
 *	 refused: the extension writes those rows itself.
 *
 * Rows the extension writes (plystra_audit()) keep the acting role they
 * name and are dated by the clock in the same way.  The table's owner (and
 * so a superuser) keeps what it sends, since that is how pg_restore and
 * logical replication bring rows back, except that a created_at equal to
 * the start of its transaction is the column default, and gets the clock
 * time too; but not reserved event types in a transaction that ran a
 * migration, so that code a migration planted cannot forge them either.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/audit_rows.c
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
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_audit_row_guard);

/* event types whose rows only the extension writes */
static const char *const reserved_prefixes[] = {
	"migration.", "audit.", "entity.", "user.password."
};

static bool
reserved_event_type(const char *event_type)
{
	int			i;

	for (i = 0; i < lengthof(reserved_prefixes); i++)
	{
		if (strncmp(event_type, reserved_prefixes[i],
					strlen(reserved_prefixes[i])) == 0)
			return true;
	}
	return false;
}

static int
column_of(Relation rel, const char *name)
{
	int			attnum = SPI_fnumber(RelationGetDescr(rel), name);

	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no column \"%s\"",
						RelationGetRelationName(rel), name)));
	return attnum;
}

Datum
plystra_audit_row_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	int			attnums[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int			ncols = 0;
	int			created_att;
	int			event_att;
	bool		isnull;
	Datum		created;
	char	   *event_type;
	bool		owner;

	trigdata = plystra_trigger_call(fcinfo, "audit_row_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT,
									"BEFORE INSERT FOR EACH ROW");
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	tuple = trigdata->tg_trigtuple;
	created_att = column_of(rel, "created_at");
	event_att = column_of(rel, "event_type");

	created = heap_getattr(tuple, event_att, tupdesc, &isnull);
	event_type = isnull ? NULL : TextDatumGetCString(created);
	owner = plystra_writer_owns(rel);

	if (plystra_own_write())
	{
		/* the extension's own row: its acting role, the clock's time */
	}
	else if (!owner)
	{
		if (event_type != NULL && reserved_event_type(event_type))
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_RESERVED_EVENT),
					 errmsg("audit rows of event type \"%s\" are written by the extension only",
							event_type),
					 errdetail("Event types under migration., audit., entity. and user.password. record what plystra itself did."),
					 errhint("Use an event type of your own.")));
		plystra_check_server_id(rel, tuple);

		attnums[ncols] = column_of(rel, "actor_role");
		values[ncols] = DirectFunctionCall1(namein,
											CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
		ncols++;
	}
	else
	{
		if (event_type != NULL && reserved_event_type(event_type) &&
			plystra_migration_in_xact())
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_RESERVED_EVENT),
					 errmsg("audit rows of event type \"%s\" cannot be written in a transaction that ran a migration",
							event_type),
					 errdetail("Only plystra.migrate() itself records what a migration did.")));
		/* a restored row keeps its time; the column default does not */
		created = heap_getattr(tuple, created_att, tupdesc, &isnull);
		if (!isnull &&
			DatumGetTimestampTz(created) != GetCurrentTransactionStartTimestamp())
			return PointerGetDatum(tuple);
	}

	attnums[ncols] = created_att;
	values[ncols] = TimestampTzGetDatum(GetCurrentTimestamp());
	ncols++;
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, tupdesc, ncols,
													 attnums, values, nulls));
}
