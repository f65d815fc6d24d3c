/*-------------------------------------------------------------------------
 *
 * install.c
 *	  Safety checks run by the extension's own scripts.
 *
 * CREATE EXTENSION plystra must not adopt a schema that somebody created
 * beforehand: whoever owns such a schema could have planted objects in it
 * that the extension's functions would then find.  PostgreSQL creates the
 * control file's schema itself when it does not exist and silently reuses
 * it when it does, so the install script asks here whether the schema was
 * created by the running transaction, and whether plystra_data is free.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/install.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "utils/syscache.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_check_install);

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
 * plystra._check_install() returns void
 *
 * Called first by the install script.  Refuses to go on when the schema
 * plystra existed before this CREATE EXTENSION or when plystra_data exists.
 */
Datum
plystra_check_install(PG_FUNCTION_ARGS)
{
	Oid			nspoid;
	HeapTuple	tuple;
	TransactionId xmin;

	if (!plystra_in_own_script())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s may only be called by the plystra extension's scripts",
						"plystra._check_install()")));

	nspoid = get_namespace_oid(PLYSTRA_SCHEMA, false);
	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspoid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for schema %u", nspoid);
	xmin = HeapTupleHeaderGetXmin(tuple->t_data);
	ReleaseSysCache(tuple);

	if (!TransactionIdIsCurrentTransactionId(xmin))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_SCHEMA),
				 errmsg("schema \"%s\" already exists", PLYSTRA_SCHEMA),
				 errdetail("CREATE EXTENSION plystra creates its schemas \"%s\" and \"%s\" itself and does not install into a schema that existed before.",
						   PLYSTRA_SCHEMA, PLYSTRA_DATA_SCHEMA),
				 errhint("If the schema is left over from a dropped plystra, drop it with DROP SCHEMA %s; otherwise rename it.",
						 PLYSTRA_SCHEMA)));

	if (OidIsValid(get_namespace_oid(PLYSTRA_DATA_SCHEMA, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_SCHEMA),
				 errmsg("schema \"%s\" already exists", PLYSTRA_DATA_SCHEMA),
				 errdetail("CREATE EXTENSION plystra creates its schemas \"%s\" and \"%s\" itself and does not install into a schema that existed before.",
						   PLYSTRA_SCHEMA, PLYSTRA_DATA_SCHEMA),
				 errhint("If the schema is left over from a dropped plystra, drop it with DROP SCHEMA %s; otherwise rename it.",
						 PLYSTRA_DATA_SCHEMA)));

	PG_RETURN_VOID();
}
