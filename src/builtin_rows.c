/*-------------------------------------------------------------------------
 *
 * builtin_rows.c
 *	  The guard that keeps the extension's seed rows as shipped.
 *
 * Rows the migrations insert (the Finance Reviewer role, its permissions,
 * the audit event types) carry builtin = true.  pg_dump leaves them out,
 * because CREATE EXTENSION writes them again on restore; so they must be
 * exactly what the scripts wrote, or a restore would silently undo a
 * change to them.  plystra.builtin_row_guard() makes them immutable: no
 * UPDATE or DELETE of a built-in row, no INSERT or UPDATE that marks a row
 * built-in, no TRUNCATE, outside the extension's own scripts.  It runs
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW and BEFORE TRUNCATE, ENABLE
 * ALWAYS.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/builtin_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_builtin_row_guard);

static bool
is_builtin(HeapTuple tuple, TupleDesc tupdesc, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, tupdesc, &isnull);

	return !isnull && DatumGetBool(d);
}

Datum
plystra_builtin_row_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	TupleDesc	tupdesc;
	int			attnum;
	const char *relname;
	HeapTuple	result;

	trigdata = plystra_trigger_call(fcinfo, "builtin_row_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT | PLYSTRA_ON_UPDATE | PLYSTRA_ON_DELETE | PLYSTRA_ON_TRUNCATE,
									"BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW or BEFORE TRUNCATE FOR EACH STATEMENT");

	rel = trigdata->tg_relation;
	relname = RelationGetRelationName(rel);

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		if (plystra_in_builtin_migration())
			return PointerGetDatum(NULL);
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_BUILTIN_ROW),
				 errmsg("TRUNCATE of \"%s.%s\" is not allowed",
						get_namespace_name(RelationGetNamespace(rel)), relname),
				 errdetail("The table holds built-in rows that ship with the extension."),
				 errhint("Delete the rows that are not built-in instead: DELETE ... WHERE NOT builtin.")));
	}

	tupdesc = RelationGetDescr(rel);
	attnum = SPI_fnumber(tupdesc, "builtin");
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no column \"builtin\"", relname)));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		result = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		result = trigdata->tg_newtuple;
	else
		result = trigdata->tg_trigtuple;

	if (plystra_in_builtin_migration())
		return PointerGetDatum(result);

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) &&
		is_builtin(trigdata->tg_trigtuple, tupdesc, attnum))
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_BUILTIN_ROW),
				 errmsg("built-in row of \"%s\" cannot be %s", relname,
						TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? "changed" : "deleted"),
				 errdetail("Built-in rows ship with the extension and stay as shipped, so that a restored dump has them exactly as the original."),
				 errhint("Create a row of your own (builtin = false) and use it instead.")));

	if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) &&
		is_builtin(result, tupdesc, attnum))
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_BUILTIN_ROW),
				 errmsg("only the extension creates built-in rows of \"%s\"", relname),
				 errhint("Leave builtin false for rows of your own.")));

	return PointerGetDatum(result);
}
