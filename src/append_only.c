/*-------------------------------------------------------------------------
 *
 * append_only.c
 *	  The append-only guard: a trigger that refuses UPDATE, DELETE and
 *	  TRUNCATE of a protected table, and the one door through it.
 *
 * plystra.append_only_guard() is attached BEFORE UPDATE OR DELETE FOR EACH
 * ROW and BEFORE TRUNCATE FOR EACH STATEMENT, ENABLE ALWAYS, so that it
 * fires for every role and also under session_replication_role = replica.
 * MERGE and INSERT ... ON CONFLICT DO UPDATE fire the UPDATE trigger and
 * are refused with it.
 *
 * The sanctioned maintenance functions (removing a migration record,
 * purging old audit rows) open the door for one relation around their own
 * statement with plystra_door_open()/plystra_door_close(); the guard lets
 * that statement through and nothing else.  The extension's own scripts
 * pass as well.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/append_only.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_append_only_guard);

/* the relation whose door is open, if any */
static Oid	door_relid = InvalidOid;

void
plystra_door_open(Oid relid)
{
	door_relid = relid;
}

void
plystra_door_close(void)
{
	door_relid = InvalidOid;
}

Datum
plystra_append_only_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"append_only_guard")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		(TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) ?
		 !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) :
		 !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE UPDATE OR DELETE FOR EACH ROW or BEFORE TRUNCATE FOR EACH STATEMENT",
						"append_only_guard")));

	rel = trigdata->tg_relation;

	if (plystra_in_own_script() ||
		(OidIsValid(door_relid) && door_relid == RelationGetRelid(rel) &&
		 TRIGGER_FIRED_BY_DELETE(trigdata->tg_event)))
	{
		if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
			return PointerGetDatum(NULL);
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);
	}

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		what = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else
		what = "TRUNCATE";

	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
			 errmsg("%s of \"%s.%s\" is not allowed", what,
					get_namespace_name(RelationGetNamespace(rel)),
					RelationGetRelationName(rel)),
			 errdetail("The table is append-only: its rows are never changed or removed, by any role."),
			 errhint("%s", trigdata->tg_trigger->tgnargs > 0 ?
					 trigdata->tg_trigger->tgargs[0] :
					 "Only the extension's own maintenance functions remove rows from it.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}
