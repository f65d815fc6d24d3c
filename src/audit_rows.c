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
 *	 refused: the extension writes those rows itself;
 * - actor_user_id, request_id, ip and user_agent left NULL take the acting
 *	 context the application set in the transaction (acting.c).
 *
 * Rows the extension writes (plystra_audit(), which names the one row it
 * writes, see door.c) keep the acting role they name and are dated by the
 * clock in the same way.  The table's owner (and
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
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_audit_row_guard);

/* event types whose rows only the extension writes */
static const char *const reserved_prefixes[] = {
	"migration.", "audit.", "entity.", "user.password."
};

bool
plystra_reserved_event_type(text *event_type)
{
	const char *data = VARDATA_ANY(event_type);
	int			len = VARSIZE_ANY_EXHDR(event_type);
	int			i;

	for (i = 0; i < lengthof(reserved_prefixes); i++)
	{
		int			plen = strlen(reserved_prefixes[i]);

		if (len >= plen && memcmp(data, reserved_prefixes[i], plen) == 0)
			return true;
	}
	return false;
}

/*
 * The columns the guard reads and sets, found once per relation and kept
 * until its relcache entry is invalidated.
 */
typedef struct AuditColumns
{
	Oid			relid;
	int			created_at;
	int			event_type;
	int			actor_role;
	int			target_id;
	int			actor_user_id;
	int			request_id;
	int			ip;
	int			user_agent;
} AuditColumns;

static AuditColumns columns;
static bool callback_registered = false;

/* the name of the role that last wrote a row, and its id */
static Oid	last_role = InvalidOid;
static NameData last_role_name;

static void
invalidate_columns(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == columns.relid)
		columns.relid = InvalidOid;
}

static void
invalidate_role(Datum arg, int cacheid, uint32 hashvalue)
{
	last_role = InvalidOid;
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

static AuditColumns *
audit_columns(Relation rel)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(invalidate_columns, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHOID, invalidate_role, (Datum) 0);
		callback_registered = true;
	}
	if (columns.relid != RelationGetRelid(rel))
	{
		columns.created_at = column_of(rel, "created_at");
		columns.event_type = column_of(rel, "event_type");
		columns.actor_role = column_of(rel, "actor_role");
		columns.target_id = column_of(rel, "target_id");
		columns.actor_user_id = column_of(rel, "actor_user_id");
		columns.request_id = column_of(rel, "request_id");
		columns.ip = column_of(rel, "ip");
		columns.user_agent = column_of(rel, "user_agent");
		columns.relid = RelationGetRelid(rel);
	}
	return &columns;
}

/* the name of the current role, as a name Datum */
static Datum
current_role_name(void)
{
	Oid			role = GetUserId();

	if (role != last_role)
	{
		namestrcpy(&last_role_name, GetUserNameFromId(role, false));
		last_role = role;
	}
	return NameGetDatum(&last_role_name);
}

/*
 * Fill the columns of the acting context that the row leaves NULL with the
 * values the application set in this transaction (acting.c); a value the
 * row names wins.
 */
static void
stamp_acting(HeapTuple tuple, TupleDesc tupdesc, AuditColumns *cols,
			 int *attnums, Datum *values, int *ncols)
{
	PlystraActing acting;

	plystra_acting_context(&acting);
	if (acting.actor_user_id && heap_attisnull(tuple, cols->actor_user_id, tupdesc))
	{
		attnums[*ncols] = cols->actor_user_id;
		values[(*ncols)++] = Int64GetDatum(strtoll(acting.actor_user_id, NULL, 10));
	}
	if (acting.request_id && heap_attisnull(tuple, cols->request_id, tupdesc))
	{
		attnums[*ncols] = cols->request_id;
		values[(*ncols)++] = CStringGetTextDatum(acting.request_id);
	}
	if (acting.client_ip && heap_attisnull(tuple, cols->ip, tupdesc))
	{
		attnums[*ncols] = cols->ip;
		values[(*ncols)++] = DirectFunctionCall1(inet_in, CStringGetDatum(acting.client_ip));
	}
	if (acting.user_agent && heap_attisnull(tuple, cols->user_agent, tupdesc))
	{
		attnums[*ncols] = cols->user_agent;
		values[(*ncols)++] = CStringGetTextDatum(acting.user_agent);
	}
}

/*
 * Is t a reading of the clock taken during the current statement (the
 * column default clock_timestamp())?  A client cannot know such a value
 * before it sends the statement, so keeping it keeps the server's time.
 */
static bool
clock_time_of_statement(TimestampTz t)
{
	return t >= GetCurrentStatementStartTimestamp() && t <= GetCurrentTimestamp();
}

/*
 * Does the tuple, as the guard changed it, still belong to its partition?
 * The partition constraint, checked as PostgreSQL checks it after BEFORE
 * ROW triggers; only on the rare path where a client's created_at was
 * replaced.
 */
static bool
fits_partition(Relation rel, HeapTuple tuple)
{
	List	   *qual = RelationGetPartitionQual(rel);
	EState	   *estate;
	ExprState  *check;
	ExprContext *econtext;
	TupleTableSlot *slot;
	bool		fits;

	if (qual == NIL)
		return true;
	estate = CreateExecutorState();
	check = ExecPrepareCheck(qual, estate);
	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	ExecStoreHeapTuple(tuple, slot, false);
	econtext = GetPerTupleExprContext(estate);
	econtext->ecxt_scantuple = slot;
	fits = ExecCheck(check, econtext);
	ExecDropSingleTupleTableSlot(slot);
	FreeExecutorState(estate);
	return fits;
}

Datum
plystra_audit_row_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	AuditColumns *cols;
	int			attnums[7];
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	int16		id_attnum;
	Datum		id = (Datum) 0;
	int			ncols = 0;
	bool		isnull;
	Datum		value;
	text	   *event_type;
	bool		reserved;
	bool		replaced_created_at = true;

	trigdata = plystra_trigger_call(fcinfo, "audit_row_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT);
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	tuple = trigdata->tg_trigtuple;
	cols = audit_columns(rel);

	/* a row without an id gets the next one, whoever writes it */
	id_attnum = plystra_draw_server_id(rel, tuple, &id);
	if (id_attnum > 0)
	{
		attnums[ncols] = id_attnum;
		values[ncols] = id;
		ncols++;
	}

	value = heap_getattr(tuple, cols->event_type, tupdesc, &isnull);
	event_type = isnull ? NULL : DatumGetTextPP(value);
	reserved = event_type != NULL && plystra_reserved_event_type(event_type);

	if (reserved &&
		plystra_own_write_claim(plystra_audit_row_key(text_to_cstring(event_type),
													  SPI_getvalue(tuple, tupdesc, cols->target_id))))
	{
		/* the extension's own row: its acting role, the clock's time */
	}
	else if (!plystra_is_storage_owner())
	{
		if (reserved)
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_RESERVED_EVENT),
					 errmsg("audit rows of event type \"%s\" are written by the extension only",
							text_to_cstring(event_type)),
					 errdetail("Event types under migration., audit., entity. and user.password. record what plystra itself did."),
					 errhint("Use an event type of your own.")));
		if (id_attnum == 0)
			plystra_check_server_id(rel, tuple);

		attnums[ncols] = cols->actor_role;
		values[ncols] = current_role_name();
		ncols++;
	}
	else
	{
		if (reserved && plystra_migration_in_xact())
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_RESERVED_EVENT),
					 errmsg("audit rows of event type \"%s\" cannot be written in a transaction that ran a migration",
							text_to_cstring(event_type)),
					 errdetail("Only plystra.migrate() itself records what a migration did.")));
		/*
		 * A restored row keeps its time; the column default (the clock, or
		 * the start of the transaction before 1.2) does not.
		 */
		value = heap_getattr(tuple, cols->created_at, tupdesc, &isnull);
		if (!isnull &&
			DatumGetTimestampTz(value) != GetCurrentTransactionStartTimestamp() &&
			!clock_time_of_statement(DatumGetTimestampTz(value)))
			return PointerGetDatum(ncols == 0 ? tuple :
								   heap_modify_tuple_by_cols(tuple, tupdesc, ncols,
															 attnums, values, nulls));
	}

	/*
	 * The clock time, unless the row holds a clock reading of this very
	 * statement already: the column default, which PostgreSQL evaluated to
	 * place the row in its partition, and which must not move it out again.
	 */
	value = heap_getattr(tuple, cols->created_at, tupdesc, &isnull);
	if (isnull || !clock_time_of_statement(DatumGetTimestampTz(value)))
	{
		attnums[ncols] = cols->created_at;
		values[ncols] = TimestampTzGetDatum(GetCurrentTimestamp());
		ncols++;
	}
	else
		replaced_created_at = false;
	stamp_acting(tuple, tupdesc, cols, attnums, values, &ncols);
	if (ncols == 0)
		return PointerGetDatum(tuple);
	tuple = heap_modify_tuple_by_cols(tuple, tupdesc, ncols, attnums, values, nulls);
	if (replaced_created_at && rel->rd_rel->relispartition &&
		!fits_partition(rel, tuple))
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("the created_at of a new row of \"%s\" is the server's clock time",
						get_rel_name(plystra_partition_root(RelationGetRelid(rel)))),
				 errdetail("The row names created_at %s, which places it in another partition than the clock time does.",
						   DatumGetCString(DirectFunctionCall1(timestamptz_out, value))),
				 errhint("Leave created_at out of the INSERT.")));
	return PointerGetDatum(tuple);
}
