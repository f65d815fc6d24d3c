/*-------------------------------------------------------------------------
 *
 * manifest.c
 *	  Drift that exists before an update stays drift after it.
 *
 * The manifest of a version (what drift_check() compares the catalog with)
 * is recorded by the version's script from the catalog at its end.  A
 * change made by hand before ALTER EXTENSION plystra UPDATE would so become
 * the expected state of the new version.  At the first DDL command the
 * update runs (the guard's ddl_command_start fires for it, before it has
 * changed anything), the drift against the manifest of the installed
 * version is remembered for the rest of the transaction, as JSON that
 * plystra._drift_before_update() returns; _record_manifest() of 1.2 and
 * later records what drifted with what the old version expected of it.
 * Scripts of 1.1 and earlier do not consult it, but an update through them
 * to 1.2 (one ALTER EXTENSION, several scripts) still carries the drift
 * found before its first step.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/manifest.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "plystra.h"

/*
 * The drift found before the update, in TopTransactionContext, or NULL
 * (none found, or no update); and whether it was looked for in this
 * transaction.
 */
static char *drift_before = NULL;
static bool drift_looked_for = false;

PG_FUNCTION_INFO_V1(plystra_drift_before_update);

/*
 * At a DDL command of the extension's own script (the caller checks that):
 * during an update, and once per transaction, remember the drift against
 * the manifest of the version installed before it.
 */
void
plystra_remember_drift(void)
{
	Oid			dataoid;
	int			ret;
	bool		isnull;
	Datum		drift;

	if (drift_looked_for)
		return;
	Assert(plystra_in_own_script());
	dataoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, true);
	if (!OidIsValid(dataoid) || !OidIsValid(get_relname_relid("manifest", dataoid)))
		return;					/* CREATE EXTENSION, before the manifest exists */
	drift_looked_for = true;

	/*
	 * The installed version is the newest one whose manifest an earlier
	 * transaction recorded; CREATE EXTENSION has none.
	 */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("WITH installed AS ("
					  "  SELECT m.version FROM plystra_data.manifest m"
					  "   WHERE NOT (m.xmin OPERATOR(pg_catalog.=)"
					  "              pg_catalog.pg_current_xact_id()::pg_catalog.xid)"
					  "   GROUP BY m.version"
					  "   ORDER BY pg_catalog.string_to_array(m.version, '.')::pg_catalog.int4[] DESC"
					  "   LIMIT 1"
					  "), want AS ("
					  "  SELECT m.object_type, m.object, m.detail"
					  "    FROM plystra_data.manifest m JOIN installed i USING (version)"
					  ")"
					  "SELECT CASE WHEN EXISTS (SELECT 1 FROM installed) THEN"
					  "       coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
					  "           'object_type', coalesce(w.object_type, l.object_type),"
					  "           'object', coalesce(w.object, l.object),"
					  "           'drift', CASE WHEN l.object IS NULL THEN 'missing'"
					  "                         WHEN w.object IS NULL THEN 'unexpected'"
					  "                         ELSE 'changed' END,"
					  "           'expected', w.detail)), '[]')::pg_catalog.text END"
					  "  FROM want w"
					  "  FULL JOIN plystra._catalog_facts() l"
					  "    ON l.object_type OPERATOR(pg_catalog.=) w.object_type"
					  "   AND l.object OPERATOR(pg_catalog.=) w.object"
					  " WHERE w.detail IS DISTINCT FROM l.detail",
					  true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not compare the catalog with the manifest: %s",
			 SPI_result_code_string(ret));
	drift = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		drift_before = MemoryContextStrdup(TopTransactionContext,
										   TextDatumGetCString(drift));
	SPI_finish();
}

/* transaction end: forget it */
void
plystra_forget_drift(void)
{
	drift_before = NULL;
	drift_looked_for = false;
}

/*
 * plystra._drift_before_update() returns text: the drift remembered at the
 * start of the update running in this transaction, a JSON array of
 * {object_type, object, drift, expected}; NULL when none ran.
 */
Datum
plystra_drift_before_update(PG_FUNCTION_ARGS)
{
	if (drift_before == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(drift_before));
}
