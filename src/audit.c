/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The audit rows the extension writes itself, and audit_purge(), the
 *	  one sanctioned way to remove old ones.
 *
 * plystra_audit() appends a row to plystra_data.audit_logs for something
 * the extension did on someone's behalf (a migration applied, a history
 * record removed, ...).  It writes as the owner of the storage, since the
 * role acting usually has no privilege on plystra_data, and records that
 * role in actor_role, and the acting context the application set in the
 * transaction (acting.c) in actor_user_id, request_id, ip and user_agent.
 * The caller must be connected to SPI.
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
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "plystra.h"

static SPIPlanPtr audit_plan = NULL;

/*
 * The key by which the guard of the audit log knows the one row
 * plystra_audit() is writing: its event type and target.
 */
char *
plystra_audit_row_key(const char *event_type, const char *target_id)
{
	return psprintf("%s %s", event_type, target_id ? target_id : "");
}

/*
 * The details of an audit row: one JSON object, built member by member
 * into a StringInfo the caller initialised, in the one way plystra writes
 * JSON (times in ISO 8601, as jsonb renders them, whatever the DateStyle).
 */
static void
details_key(StringInfo details, const char *key)
{
	appendStringInfoString(details, details->len == 0 ? "{" : ", ");
	escape_json(details, key);
	appendStringInfoString(details, ": ");
}

void
plystra_details_text(StringInfo details, const char *key, const char *value)
{
	details_key(details, key);
	escape_json(details, value);
}

void
plystra_details_int(StringInfo details, const char *key, int64 value)
{
	details_key(details, key);
	appendStringInfo(details, "%lld", (long long) value);
}

void
plystra_details_time(StringInfo details, const char *key, TimestampTz value)
{
	details_key(details, key);
	escape_json(details, JsonEncodeDateTime(NULL, TimestampTzGetDatum(value),
											TIMESTAMPTZOID, NULL));
}

/*
 * Append an audit row: event_type (one of audit_event_types), the role on
 * whose behalf (NULL: the current user), the target it concerns, and its
 * details (NULL: none).
 */
void
plystra_audit(const char *event_type, const char *actor_role,
			  const char *target_type, const char *target_id,
			  StringInfo details)
{
	Oid			argtypes[9] = {TEXTOID, NAMEOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[9];
	int			ret;
	const char *saved;
	PlystraActing acting;

	if (actor_role == NULL)
		actor_role = GetUserNameFromId(plystra_acting_user(), false);
	values[0] = CStringGetTextDatum(event_type);
	values[1] = DirectFunctionCall1(namein, CStringGetDatum(actor_role));
	values[2] = CStringGetTextDatum(target_type);
	values[3] = CStringGetTextDatum(target_id);
	values[4] = CStringGetTextDatum(details == NULL || details->len == 0 ? "{}" :
									psprintf("%s}", details->data));
	/* the acting context the application set in this transaction ('': none) */
	plystra_acting_context(&acting);
	values[5] = CStringGetTextDatum(acting.actor_user_id ? acting.actor_user_id : "");
	values[6] = CStringGetTextDatum(acting.request_id ? acting.request_id : "");
	values[7] = CStringGetTextDatum(acting.client_ip ? acting.client_ip : "");
	values[8] = CStringGetTextDatum(acting.user_agent ? acting.user_agent : "");

	saved = plystra_own_write_begin(plystra_audit_row_key(event_type, target_id));
	PG_TRY();
	{
		ret = plystra_execute_as_owner(&audit_plan,
									   "INSERT INTO plystra_data.audit_logs"
									   " (event_type, actor_role, target_type, target_id, details,"
									   "  actor_user_id, request_id, ip, user_agent)"
									   " VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb,"
									   "  CASE WHEN $6 OPERATOR(pg_catalog.<>) '' THEN $6::pg_catalog.int8 END,"
									   "  CASE WHEN $7 OPERATOR(pg_catalog.<>) '' THEN $7 END,"
									   "  CASE WHEN $8 OPERATOR(pg_catalog.<>) '' THEN $8::pg_catalog.inet END,"
									   "  CASE WHEN $9 OPERATOR(pg_catalog.<>) '' THEN $9 END)",
									   9, argtypes, values, false, 0);
	}
	PG_FINALLY();
	{
		plystra_own_write_end(saved);
	}
	PG_END_TRY();
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not write the audit row: %s", SPI_result_code_string(ret));
}

/*
 * plystra.audit_purge(older_than timestamptz) returns bigint
 *
 * The one sanctioned way to remove audit rows: removes those created before
 * older_than, which must be at least plystra.audit_min_retention in the
 * past, and appends an audit row saying who purged how many rows up to
 * when.  It runs audit_maintain() first, drops every partition wholly
 * older than the cutoff (audit_partitions.c), and deletes the older rows
 * left in the partition the cutoff falls in; the append-only guard's door
 * is open for this DELETE alone.  It returns the rows deleted plus the rows
 * of the partitions dropped as their statistics count them (the audit row
 * says both).
 */
PG_FUNCTION_INFO_V1(plystra_audit_purge);

static SPIPlanPtr purge_plan = NULL;

/* plystra.audit_min_retention, in seconds */
int			plystra_audit_min_retention = 90 * 24 * 3600;

/* plystra.audit_min_retention in words, e.g. "90 days" */
static char *
retention_text(void)
{
	if (plystra_audit_min_retention % SECS_PER_DAY == 0)
		return psprintf("%d days", plystra_audit_min_retention / SECS_PER_DAY);
	return psprintf("%d seconds", plystra_audit_min_retention);
}

Datum
plystra_audit_purge(PG_FUNCTION_ARGS)
{
	TimestampTz older_than;
	TimestampTz newest_allowed;
	Oid			relid;
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	uint64		purged = 0;
	int			ret;
	PlystraDoor saved;
	StringInfoData details;
	StringInfoData dropped_names;
	int			ndropped = 0;
	int64		dropped_rows = 0;
	bool		sealed;
	PlystraSealedPurge sealed_purge;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the purge cutoff must not be null")));
	older_than = PG_GETARG_TIMESTAMPTZ(0);
	if (TIMESTAMP_NOT_FINITE(older_than))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the purge cutoff must be a finite time")));

	newest_allowed = GetCurrentTransactionStartTimestamp() -
		(TimestampTz) plystra_audit_min_retention * USECS_PER_SEC;
	if (older_than > newest_allowed)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_RETENTION),
				 errmsg("the purge cutoff is within the minimum audit retention"),
				 errdetail("plystra.audit_min_retention is %s: rows newer than %s are kept, and the cutoff is %s.",
						   retention_text(),
						   pstrdup(timestamptz_to_str(newest_allowed)),
						   pstrdup(timestamptz_to_str(older_than))),
				 errhint("Purge with an older cutoff; only a superuser can lower plystra.audit_min_retention.")));

	relid = get_relname_relid("audit_logs",
							  get_namespace_oid(PLYSTRA_DATA_SCHEMA, false));
	if (!OidIsValid(relid))
		elog(ERROR, "relation \"%s.audit_logs\" does not exist", PLYSTRA_DATA_SCHEMA);

	/*
	 * The partitions ready and the default partition's rows in theirs.  With
	 * seals (1.2), whole seals go: see plystra_audit_purge_sealed().  Before
	 * (a database still at 1.0 or 1.1), every partition wholly older than
	 * the cutoff is dropped, whatever it holds, and the DELETE below takes
	 * what is left before the cutoff.
	 */
	initStringInfo(&dropped_names);
	if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		(void) plystra_maintain_audit_partitions(NULL);
	sealed = plystra_audit_sealed();
	if (sealed)
	{
		plystra_audit_purge_sealed(older_than, &sealed_purge, &dropped_names);
		purged = (uint64) sealed_purge.rows_deleted;
		ndropped = sealed_purge.partitions;
		dropped_rows = sealed_purge.partition_rows;
	}
	else if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		ndropped = plystra_drop_audit_partitions(older_than, NULL, NULL, &dropped_names, &dropped_rows);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (!sealed)
	{
		values[0] = TimestampTzGetDatum(older_than);
		saved = plystra_door_open(relid, older_than);
		PG_TRY();
		{
			ret = plystra_execute_as_owner(&purge_plan,
										   "DELETE FROM plystra_data.audit_logs"
										   " WHERE created_at OPERATOR(pg_catalog.<) $1",
										   1, argtypes, values, false, 0);
			if (ret != SPI_OK_DELETE)
				elog(ERROR, "could not purge audit rows: %s", SPI_result_code_string(ret));
			purged = SPI_processed;
		}
		PG_FINALLY();
		{
			plystra_door_restore(saved);
		}
		PG_END_TRY();
	}

	initStringInfo(&details);
	plystra_details_time(&details, "older_than", older_than);
	plystra_details_int(&details, "rows", sealed ? sealed_purge.rows : (int64) purged + dropped_rows);
	plystra_details_text(&details, "min_retention", retention_text());
	if (sealed)
		plystra_details_int(&details, "seals", sealed_purge.seals);
	if (ndropped > 0 || sealed)
	{
		plystra_details_int(&details, "rows_deleted", (int64) purged);
		plystra_details_int(&details, "partitions_dropped", ndropped);
		plystra_details_text(&details, "partitions", dropped_names.data);
		plystra_details_int(&details, "partition_rows_estimated", dropped_rows);
	}
	plystra_audit("audit.purged", NULL, "audit_logs", "", &details);

	SPI_finish();
	PG_RETURN_INT64(sealed ? sealed_purge.rows : (int64) purged + dropped_rows);
}
