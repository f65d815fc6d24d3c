/*-------------------------------------------------------------------------
 *
 * install.c
 *	  Safety checks run by the extension's own scripts, and the guard of the
 *	  rows only those scripts write.
 *
 * CREATE EXTENSION plystra must not adopt a schema that somebody else
 * controls: whoever owns such a schema, or may create objects in it, could
 * have planted objects that the extension's functions would then find.
 * PostgreSQL creates the control file's schema itself when it does not
 * exist and silently reuses it when it does, so the install script asks
 * here whether the schema is new or safe, and whether plystra_data is free.
 *
 * Tables that state what a version defines (the manifest, the policies of
 * references) get plystra.script_only_guard(): only the scripts add rows.
 *
 * A library and scripts of different builds must not meet: a script would
 * define objects the library does not implement, or the other way round.
 * The library knows the checksum of every script of its build
 * (scripts_list.h, written by ext/assemble.sh), and every script since 1.2
 * first calls plystra._check_scripts(), which compares the installed
 * scripts with them and refuses to go on when one differs.  (The scripts
 * of 1.0 and 1.1, released before this check, are checked by the scripts
 * after them, and their migrations by _migrate_builtin().)
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
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "plystra.h"
#include "scripts_list.h"

PG_FUNCTION_INFO_V1(plystra_check_install);
PG_FUNCTION_INFO_V1(plystra_check_scripts);

/*
 * Why an existing schema plystra may not be adopted, or NULL if it may.
 * It may when it holds no object but the extension's own, is owned by a
 * superuser and no other role can create objects in it: then nobody else
 * has been able to plant anything.  That is what "pg_dump" leaves for its
 * CREATE EXTENSION (it dumps CREATE SCHEMA plystra first, since the
 * schema is not a member of the extension), and what DROP EXTENSION leaves.
 */
static char *
unsafe_schema_reason(Oid nspoid, Oid extoid)
{
	static const char *const query =
	"SELECT pg_catalog.format('The schema contains %s', pg_catalog.string_agg("
	"        pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', '"
	"        ORDER BY d.classid, d.objid))"
	"  FROM pg_catalog.pg_depend d"
	" WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass"
	"   AND d.refobjid OPERATOR(pg_catalog.=) $1"
	"   AND NOT (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"
	"            AND d.objid OPERATOR(pg_catalog.=) $2)"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
	"                    WHERE e.classid OPERATOR(pg_catalog.=) d.classid"
	"                      AND e.objid OPERATOR(pg_catalog.=) d.objid"
	"                      AND e.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"
	"                      AND e.refobjid OPERATOR(pg_catalog.=) $2"
	"                      AND e.deptype OPERATOR(pg_catalog.=) 'e')"
	" HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 "
	"UNION ALL "
	"SELECT pg_catalog.format('The schema is owned by role %I, which is not a superuser', r.rolname)"
	"  FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner"
	" WHERE n.oid OPERATOR(pg_catalog.=) $1 AND NOT r.rolsuper "
	"UNION ALL "
	"SELECT pg_catalog.format('%s may create objects in the schema',"
	"        CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'Every role (PUBLIC)'"
	"             ELSE pg_catalog.format('Role %I', r.rolname) END)"
	"  FROM pg_catalog.pg_namespace n,"
	"       LATERAL pg_catalog.aclexplode(n.nspacl) a"
	"  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee"
	" WHERE n.oid OPERATOR(pg_catalog.=) $1"
	"   AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'"
	"   AND NOT coalesce(r.rolsuper, false)";
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2];
	char	   *reason = NULL;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = ObjectIdGetDatum(nspoid);
	values[1] = ObjectIdGetDatum(extoid);
	ret = SPI_execute_with_args(query, 2, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not inspect schema %s: %s", PLYSTRA_SCHEMA,
			 SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		char	   *r = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		reason = MemoryContextStrdup(TopTransactionContext, r);
	}
	SPI_finish();
	return reason;
}

/*
 * plystra._check_install() returns void
 *
 * Called first by the install script.  Refuses to go on when the schema
 * plystra existed before this CREATE EXTENSION and is not safe to adopt,
 * or when plystra_data exists.
 */
Datum
plystra_check_install(PG_FUNCTION_ARGS)
{
	Oid			nspoid;
	char	   *reason;

	plystra_require_own_script("plystra._check_install()");

	/*
	 * Every schema is inspected, also one CREATE EXTENSION made just now: a
	 * schema renamed, given away or stripped of a grant in the same
	 * transaction looks new to its catalog row, yet may hold what its
	 * previous owner planted.  A schema the command made itself is empty,
	 * owned by the installing superuser and passes.
	 */
	nspoid = get_namespace_oid(PLYSTRA_SCHEMA, false);
	reason = unsafe_schema_reason(nspoid,
								  get_extension_oid(PLYSTRA_EXTENSION_NAME, false));
	if (reason != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_SCHEMA),
				 errmsg("schema \"%s\" cannot be used by the extension", PLYSTRA_SCHEMA),
				 errdetail("%s.", reason),
				 errhint("CREATE EXTENSION plystra creates its schema itself, or takes over an empty one owned by a superuser in which no other role can create objects.  Drop or rename the existing schema \"%s\"; if CREATE EXTENSION created it just now, remove the default privileges (ALTER DEFAULT PRIVILEGES ... ON SCHEMAS) that let other roles create objects in new schemas.",
						 PLYSTRA_SCHEMA)));

	if (OidIsValid(get_namespace_oid(PLYSTRA_DATA_SCHEMA, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_SCHEMA),
				 errmsg("schema \"%s\" already exists", PLYSTRA_DATA_SCHEMA),
				 errdetail("CREATE EXTENSION plystra creates its storage schema \"%s\" itself and does not install into one that existed before.",
						   PLYSTRA_DATA_SCHEMA),
				 errhint("Drop or rename the existing schema \"%s\".",
						 PLYSTRA_DATA_SCHEMA)));

	PG_RETURN_VOID();
}

/*
 * plystra.script_only_guard() returns trigger
 *	BEFORE INSERT ON plystra_data.<table> FOR EACH ROW, ENABLE ALWAYS
 *
 * Rows that state what a version of the extension defines (the drift
 * manifest, the policies of references) are written by the extension's own
 * scripts and by nobody else, superusers included: a row added by hand
 * would make drift_check() accept what it should report.
 */
PG_FUNCTION_INFO_V1(plystra_script_only_guard);

Datum
plystra_script_only_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;

	trigdata = plystra_trigger_call(fcinfo, "script_only_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT);
	if (plystra_in_own_script())
		return PointerGetDatum(trigdata->tg_trigtuple);
	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_EXTENSION_OBJECT),
			 errmsg("rows of \"%s.%s\" are written by the extension's scripts only",
					get_namespace_name(RelationGetNamespace(trigdata->tg_relation)),
					RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("The table states what the installed version of plystra defines.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/*
 * The checksum of an installed script of the extension, or NULL when the
 * file is not there (a packager may leave out scripts nobody can reach).
 */
static char *
installed_script_checksum(const char *file)
{
	char		sharepath[MAXPGPATH];
	char		path[MAXPGPATH];
	FILE	   *fp;
	StringInfoData buf;
	char		chunk[8192];
	size_t		n;
	char	   *checksum;

	get_share_path(my_exec_path, sharepath);
	snprintf(path, sizeof(path), "%s/extension/%s", sharepath, file);
	fp = AllocateFile(path, PG_BINARY_R);
	if (fp == NULL)
	{
		if (errno == ENOENT)
			return NULL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open extension script \"%s\": %m", path)));
	}
	initStringInfo(&buf);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		appendBinaryStringInfo(&buf, chunk, n);
	if (ferror(fp))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read extension script \"%s\": %m", path)));
	FreeFile(fp);
	checksum = palloc(PLYSTRA_CHECKSUM_LEN + 1);
	plystra_checksum(buf.data, buf.len, checksum);
	pfree(buf.data);
	return checksum;
}

/*
 * plystra._check_scripts(raise boolean DEFAULT true, running text DEFAULT
 * NULL) returns text
 *
 * Compares every installed script of the extension with the one this
 * library was built with.  When one differs: an error if raise, else the
 * description of the differences (doctor() reports it); NULL when all
 * agree.  A script names itself as running: a script this library was not
 * built with (a full script of an older version left installed, which
 * only the update chain may now reach) is refused too.
 */
Datum
plystra_check_scripts(PG_FUNCTION_ARGS)
{
	bool		raise = PG_ARGISNULL(0) ? true : PG_GETARG_BOOL(0);
	StringInfoData problems;
	int			i;

	if (!PG_ARGISNULL(1))
	{
		char	   *running = text_to_cstring(PG_GETARG_TEXT_PP(1));
		bool		known = false;

		for (i = 0; i < lengthof(built_scripts); i++)
			known = known || strcmp(running, built_scripts[i].file) == 0;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("extension script \"%s\" is not from the build of the loaded plystra library",
							running),
					 errdetail("The library was built without that script: it belongs to another build or an older version."),
					 errhint("Remove the script from PostgreSQL's extension directory, or install the plystra library and its scripts from the same build (make install).")));
	}

	initStringInfo(&problems);
	for (i = 0; i < lengthof(built_scripts); i++)
	{
		char	   *installed = installed_script_checksum(built_scripts[i].file);

		if (installed == NULL || strcmp(installed, built_scripts[i].checksum) == 0)
			continue;
		if (raise)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("extension script \"%s\" is not from the build of the loaded plystra library",
							built_scripts[i].file),
					 errdetail("The installed script has checksum %s; the library was built with checksum %s.",
							   installed, built_scripts[i].checksum),
					 errhint("Install the plystra library and its scripts from the same build (make install), then run the command again.")));
		appendStringInfo(&problems, "%s%s has checksum %s, the library's build %s",
						 problems.len > 0 ? "; " : "", built_scripts[i].file,
						 installed, built_scripts[i].checksum);
	}
	if (problems.len == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problems.data));
}
