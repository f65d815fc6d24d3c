/*-------------------------------------------------------------------------
 *
 * row_identity.c
 *	  The id of a row never changes.
 *
 * Audit rows, sessions and relationships name rows by id.  If an
 * application could renumber a row (UPDATE plystra.users SET id = ...),
 * it could make a purged user's audit trail point at somebody else.
 * plystra.id_guard() runs BEFORE UPDATE OF id FOR EACH ROW WHEN (OLD.id
 * IS DISTINCT FROM NEW.id) on every table of plystra_data with an id, and
 * refuses, for every role but the storage owner (and so a superuser).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/row_identity.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_id_guard);

Datum
plystra_id_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;

	trigdata = plystra_trigger_call(fcinfo, "id_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_UPDATE,
									"BEFORE UPDATE FOR EACH ROW");

	rel = trigdata->tg_relation;
	if (superuser() || GetUserId() == rel->rd_rel->relowner)
		return PointerGetDatum(trigdata->tg_newtuple);

	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("the id of a row of \"%s\" cannot be changed",
					RelationGetRelationName(rel)),
			 errdetail("Audit rows and relationships name rows by id."),
			 errhint("Insert a new row instead.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}
