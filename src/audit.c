/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The audit rows the extension writes itself.
 *
 * plystra_audit() appends a row to plystra_data.audit_logs for something
 * the extension did on someone's behalf (a migration applied, a history
 * record removed, ...).  It writes as the owner of the audit table, since
 * the role acting usually has no privilege on plystra_data, and records
 * that role in actor_role.  The caller must be connected to SPI.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "plystra.h"

static SPIPlanPtr audit_plan = NULL;

/*
 * Append an audit row: event_type (one of audit_event_types), the role on
 * whose behalf (NULL: the current user), the target it concerns, and
 * details, a JSON object in text form.
 */
void
plystra_audit(const char *event_type, const char *actor_role,
			  const char *target_type, const char *target_id,
			  const char *details)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, false);
	Oid			relid = get_relname_relid("audit_logs", nspoid);
	HeapTuple	tuple;
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;
	Datum		values[5];
	int			ret;

	if (!OidIsValid(relid))
		elog(ERROR, "relation \"%s.audit_logs\" does not exist", PLYSTRA_DATA_SCHEMA);
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);

	values[0] = CStringGetTextDatum(event_type);
	if (actor_role == NULL)
		actor_role = GetUserNameFromId(GetUserId(), false);
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(actor_role));
	values[2] = CStringGetTextDatum(target_type);
	values[3] = CStringGetTextDatum(target_id);
	values[4] = CStringGetTextDatum(details);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	/* prepared as the owner too: parse analysis checks schema privileges */
	if (audit_plan == NULL)
	{
		Oid			argtypes[5] = {TEXTOID, NAMEOID, TEXTOID, TEXTOID, TEXTOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("INSERT INTO plystra_data.audit_logs"
						   " (event_type, actor_role, target_type, target_id, details)"
						   " VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb)",
						   5, argtypes);
		if (plan == NULL)
			elog(ERROR, "could not prepare the audit insert: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		audit_plan = plan;
	}
	ret = SPI_execute_plan(audit_plan, values, NULL, false, 0);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not write the audit row: %s", SPI_result_code_string(ret));
}
