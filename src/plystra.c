/*-------------------------------------------------------------------------
 *
 * plystra.c
 *	  Module entry point of the plystra extension: module magic, the
 *	  settings it registers (plystra.allow_drop_data, read by registry.c;
 *	  plystra.audit_min_retention, read by audit.c; plystra.audit_seal_max_age,
 *	  read by doctor()), and the transaction
 *	  callbacks that forget what lasts for a transaction.
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

	DefineCustomIntVariable("plystra.audit_seal_max_age",
							"Age after which doctor() reports audit rows not sealed.",
							"plystra.audit_seal() seals them; run it more often than this.",
							&plystra_audit_seal_max_age,
							24 * 3600,
							1, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	plystra_define_acting_settings();
	plystra_define_audit_partition_settings();

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("plystra");
#else
	EmitWarningsOnPlaceholders("plystra");
#endif
}
