/*-------------------------------------------------------------------------
 *
 * calls.c
 *	  How a function of plystra was called: by which kind of trigger, on
 *	  which event trigger event, from the extension's own script.
 *
 * Every trigger function starts with plystra_trigger_call(), every event
 * trigger function with plystra_event_trigger_call(), and every internal
 * function that only the extension's scripts may call with
 * plystra_require_own_script().  This file depends on no other file of
 * plystra.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/calls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "lib/stringinfo.h"

#include "plystra.h"

/*
 * The triggers a function is written for, as SQL states them: "BEFORE
 * INSERT OR UPDATE FOR EACH ROW", and "BEFORE TRUNCATE FOR EACH STATEMENT"
 * after a comma when it also guards TRUNCATE.
 */
static char *
trigger_kinds(uint32 timing, int ops)
{
	const char *when;
	StringInfoData buf;
	int			row_ops = ops & ~PLYSTRA_ON_TRUNCATE;

	if (timing == TRIGGER_EVENT_BEFORE)
		when = "BEFORE";
	else if (timing == TRIGGER_EVENT_AFTER)
		when = "AFTER";
	else
		when = "INSTEAD OF";

	initStringInfo(&buf);
	if (row_ops != 0)
	{
		appendStringInfo(&buf, "%s ", when);
		if (row_ops & PLYSTRA_ON_INSERT)
			appendStringInfoString(&buf, "INSERT OR ");
		if (row_ops & PLYSTRA_ON_UPDATE)
			appendStringInfoString(&buf, "UPDATE OR ");
		if (row_ops & PLYSTRA_ON_DELETE)
			appendStringInfoString(&buf, "DELETE OR ");
		buf.len -= 4;			/* the last " OR " */
		buf.data[buf.len] = '\0';
		appendStringInfoString(&buf, " FOR EACH ROW");
	}
	if (ops & PLYSTRA_ON_TRUNCATE)
		appendStringInfo(&buf, "%s%s TRUNCATE FOR EACH STATEMENT",
						 buf.len > 0 ? ", " : "", when);
	return buf.data;
}

/*
 * The trigger data of a trigger function, after checking that a trigger
 * of the kind the function is written for called it: fired at timing
 * (TRIGGER_EVENT_BEFORE, _AFTER or _INSTEAD) for one of ops (PLYSTRA_ON_*),
 * FOR EACH ROW, or FOR EACH STATEMENT for TRUNCATE.
 */
TriggerData *
plystra_trigger_call(FunctionCallInfo fcinfo, const char *fname,
					 uint32 timing, int ops)
{
	TriggerData *trigdata;
	TriggerEvent event;
	int			op;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						fname)));
	trigdata = (TriggerData *) fcinfo->context;
	event = trigdata->tg_event;

	if (TRIGGER_FIRED_BY_INSERT(event))
		op = PLYSTRA_ON_INSERT;
	else if (TRIGGER_FIRED_BY_UPDATE(event))
		op = PLYSTRA_ON_UPDATE;
	else if (TRIGGER_FIRED_BY_DELETE(event))
		op = PLYSTRA_ON_DELETE;
	else
		op = PLYSTRA_ON_TRUNCATE;

	if ((event & TRIGGER_EVENT_TIMINGMASK) != timing ||
		(ops & op) == 0 ||
		(op == PLYSTRA_ON_TRUNCATE ?
		 !TRIGGER_FIRED_FOR_STATEMENT(event) :
		 !TRIGGER_FIRED_FOR_ROW(event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was fired by the wrong kind of trigger",
						fname),
				 errdetail("The function is written for these triggers: %s.",
						   trigger_kinds(timing, ops))));
	return trigdata;
}

/*
 * The event trigger data of an event trigger function, after checking
 * that it was fired on event ("ddl_command_start", ...).
 */
EventTriggerData *
plystra_event_trigger_call(FunctionCallInfo fcinfo, const char *fname,
						   const char *event)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager",
						fname)));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (strcmp(trigdata->event, event) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was fired on the wrong event", fname),
				 errdetail("The function is written for event %s.", event)));
	return trigdata;
}

/*
 * True while a script of the plystra extension itself runs (CREATE EXTENSION
 * plystra or ALTER EXTENSION plystra UPDATE).  creating_extension alone is
 * true during any extension's script, so the extension being created must
 * be ours.
 */
bool
plystra_in_own_script(void)
{
	Oid			extoid;

	if (!creating_extension)
		return false;
	extoid = get_extension_oid(PLYSTRA_EXTENSION_NAME, true);
	return OidIsValid(extoid) && CurrentExtensionObject == extoid;
}

/*
 * The internal functions the extension's scripts call refuse everyone
 * else.  function is its name as SQL calls it, "plystra._check_install()".
 */
void
plystra_require_own_script(const char *function)
{
	if (!plystra_in_own_script())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s may only be called by the plystra extension's scripts",
						function)));
}
