/*-------------------------------------------------------------------------
 *
 * plystra.c
 *	  Module entry point of the plystra extension: module magic, the
 *	  settings it registers (plystra.allow_drop_data,
 *	  plystra.audit_min_retention), and the check of how a trigger function
 *	  was called that every one of its trigger functions starts with.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/plystra.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/guc.h"

#include "plystra.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * An error while acting as the storage owner leaves no acting user behind,
 * and nothing the guards let through outlives its transaction.
 */
static void
plystra_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			plystra_reset_acting_user();
			plystra_door_reset();
			plystra_forget_drift();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			plystra_door_reset();
			plystra_forget_drift();
			break;
		default:
			break;
	}
}

static void
plystra_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		plystra_reset_acting_user();
}

/*
 * Module load: the extension's settings.  The prefix is reserved so that a
 * misspelt plystra.* setting is reported instead of silently accepted.
 * Both settings are superuser-only: an application role must not be able
 * to shorten the audit retention or unlock dropping the data.
 */
void
_PG_init(void)
{
	RegisterXactCallback(plystra_xact_callback, NULL);
	RegisterSubXactCallback(plystra_subxact_callback, NULL);

	DefineCustomBoolVariable("plystra.allow_drop_data",
							 "Allows DROP EXTENSION plystra while plystra_data holds rows.",
							 "Set it in the session that drops the extension, after backing the data up.",
							 &plystra_allow_drop_data,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("plystra.audit_min_retention",
							"Minimum age of the audit rows plystra.audit_purge() may remove.",
							"plystra.audit_purge() refuses a cutoff newer than now() minus this.",
							&plystra_audit_min_retention,
							90 * 24 * 3600,
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("plystra");
#else
	EmitWarningsOnPlaceholders("plystra");
#endif
}

/*
 * The TriggerData of a trigger function's call, once it is known that the
 * trigger manager called it at the given timing (TRIGGER_EVENT_BEFORE,
 * TRIGGER_EVENT_AFTER or TRIGGER_EVENT_INSTEAD) for one of the operations in
 * ops (PLYSTRA_ON_* bits): FOR EACH ROW, but TRUNCATE FOR EACH STATEMENT, the
 * only level it fires at.  "expected" says the same for the error message.
 */
TriggerData *
plystra_trigger_call(FunctionCallInfo fcinfo, const char *fname,
					 uint32 timing, int ops, const char *expected)
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
				 errmsg("function \"%s\" must be fired %s", fname, expected)));
	return trigdata;
}
