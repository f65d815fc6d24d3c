/*-------------------------------------------------------------------------
 *
 * access.c
 *	  Roles' access to the extension, by kind: grant_access(),
 *	  revoke_access(), and the re-application of recorded access by every
 *	  script.
 *
 * Applications are not given blanket GRANTs: a DBA calls
 * plystra.grant_access(role, kind), which records (role, kind) in
 * plystra_data.access_grants and grants what plystra._access_privileges()
 * says the kind needs.  The record survives pg_dump (the table is dumped),
 * and every script of the extension ends with plystra._apply_access(), so
 * that the objects an update creates are granted to the roles entitled to
 * them.  revoke_access() forgets a record and revokes what no other kind
 * the role still holds gives it.
 *
 * A GRANT inside an extension script is recorded as the object's initial
 * privileges, which pg_dump leaves out.  The grants made here are the
 * DBA's, made on the DBA's request, so they are run as ordinary commands
 * (creating_extension off for their duration): pg_dump then dumps them like
 * any other grant.
 *
 * The grants are made by the owner of the extension's storage, which owns
 * its objects, as a role with GRANT OPTION would.  Each change is audited
 * (audit.access_granted, audit.access_revoked).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/access.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_grant_access);
PG_FUNCTION_INFO_V1(plystra_revoke_access);
PG_FUNCTION_INFO_V1(plystra_apply_access);
PG_FUNCTION_INFO_V1(plystra_adopt_access);
PG_FUNCTION_INFO_V1(plystra_access_grant_bind);

static const char *const access_kinds[] = {
	"application", "migrator", "monitor", "admin", "authenticator", NULL
};

/* The kind named by a text argument; an error for any other text. */
static char *
access_kind(text *arg)
{
	char	   *kind = text_to_cstring(arg);
	int			i;

	for (i = 0; access_kinds[i] != NULL; i++)
	{
		if (strcmp(kind, access_kinds[i]) == 0)
			return kind;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown access \"%s\"", kind),
			 errhint("Access is one of application, migrator, monitor, admin or authenticator.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * The name of the role an OID argument names.  regrole accepts any number,
 * and PUBLIC is no role: access is granted to roles that exist.
 */
static char *
access_role(Oid roleid)
{
	HeapTuple	tuple;
	char	   *name;

	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", roleid)));
	name = pstrdup(NameStr(((Form_pg_authid) GETSTRUCT(tuple))->rolname));
	ReleaseSysCache(tuple);
	return name;
}

/*
 * Run each statement query returns (one text column) as the storage owner,
 * as ordinary commands even inside an extension script.  The caller is
 * connected to SPI.
 */
static uint64
run_as_owner(const char *query, int nargs, Oid *argtypes, Datum *values)
{
	StorageOwnerContext ctx;
	bool		save_creating = creating_extension;
	SPITupleTable *statements;
	uint64		n = 0;
	uint64		i;
	int			ret;

	plystra_become_storage_owner(&ctx);
	PG_TRY();
	{
		/* not read-only: the list must see the record just written */
		ret = SPI_execute_with_args(query, nargs, argtypes, values, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not list the privileges of access: %s",
				 SPI_result_code_string(ret));
		statements = SPI_tuptable;
		n = SPI_processed;
		creating_extension = false;
		for (i = 0; i < n; i++)
		{
			char	   *sql = SPI_getvalue(statements->vals[i], statements->tupdesc, 1);

			ret = SPI_execute(sql, false, 0);
			if (ret != SPI_OK_UTILITY)
				elog(ERROR, "could not run \"%s\": %s", sql, SPI_result_code_string(ret));
		}
	}
	PG_FINALLY();
	{
		creating_extension = save_creating;
		plystra_restore_user(&ctx);
	}
	PG_END_TRY();
	return n;
}

/* GRANT what kind $2 gives, to role $1 */
static const char *const grant_query =
"SELECT pg_catalog.format('GRANT %s ON %s %s TO %I', a.privilege, a.object_type, a.object, $1)"
"  FROM plystra._access_privileges() a"
" WHERE a.access OPERATOR(pg_catalog.=) $2";

/*
 * REVOKE what kind $2 gives from role $1, but for what another kind
 * recorded for the role gives too
 */
static const char *const revoke_query =
"SELECT pg_catalog.format('REVOKE %s ON %s %s FROM %I', a.privilege, a.object_type, a.object, $1)"
"  FROM plystra._access_privileges() a"
" WHERE a.access OPERATOR(pg_catalog.=) $2"
"   AND NOT EXISTS (SELECT 1 FROM plystra._access_privileges() b"
"                     JOIN plystra_data.access_grants g ON g.access OPERATOR(pg_catalog.=) b.access"
"                    WHERE g.role_name OPERATOR(pg_catalog.=) $1"
"                      AND b.object_type OPERATOR(pg_catalog.=) a.object_type"
"                      AND b.object OPERATOR(pg_catalog.=) a.object"
"                      AND b.privilege OPERATOR(pg_catalog.=) a.privilege)";

/* Run one statement about the access table as the storage owner. */
static uint64
access_table(const char *query, const char *rolname, const char *kind)
{
	StorageOwnerContext ctx;
	Oid			argtypes[2] = {NAMEOID, TEXTOID};
	Datum		values[2];
	int			ret;

	values[0] = DirectFunctionCall1(namein, CStringGetDatum(rolname));
	values[1] = CStringGetTextDatum(kind);
	plystra_become_storage_owner(&ctx);
	ret = SPI_execute_with_args(query, 2, argtypes, values, NULL, false, 0);
	plystra_restore_user(&ctx);
	if (ret < 0)
		elog(ERROR, "could not change the access of role \"%s\": %s",
			 rolname, SPI_result_code_string(ret));
	return SPI_processed;
}

static void
audit_access(const char *event_type, const char *rolname, const char *kind)
{
	StringInfoData details;

	initStringInfo(&details);
	plystra_details_text(&details, "access", kind);
	plystra_audit(event_type, NULL, "role", rolname, &details);
}

/*
 * The role and the kind of access grant_access() and revoke_access() were
 * given, checked; connects to SPI.
 */
static void
access_arguments(FunctionCallInfo fcinfo, char **rolname, char **kind)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role and access must not be null")));
	*kind = access_kind(PG_GETARG_TEXT_PP(1));
	*rolname = access_role(PG_GETARG_OID(0));
	if (plystra_role_owns_extension(PG_GETARG_OID(0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" owns the extension", *rolname),
				 errdetail("The owner of the extension's objects holds every privilege on them; an access would grant or revoke its own.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/* Run the GRANT or REVOKE statements query lists for role $1 and kind $2. */
static void
change_privileges(const char *query, const char *rolname, const char *kind)
{
	Oid			argtypes[2] = {NAMEOID, TEXTOID};
	Datum		values[2];

	values[0] = DirectFunctionCall1(namein, CStringGetDatum(rolname));
	values[1] = CStringGetTextDatum(kind);
	(void) run_as_owner(query, 2, argtypes, values);
}

/*
 * plystra.grant_access(role regrole, access text) returns void
 *
 * Records the access and grants what it needs; granting a recorded access
 * again grants again what is missing (the DBA may have revoked something).
 */
Datum
plystra_grant_access(PG_FUNCTION_ARGS)
{
	char	   *rolname;
	char	   *kind;

	access_arguments(fcinfo, &rolname, &kind);
	/* a record of a role gone under the same name is given to this one */
	if (access_table("INSERT INTO plystra_data.access_grants AS g (role_name, access)"
					 " VALUES ($1, $2)"
					 " ON CONFLICT (role_name, access) DO UPDATE SET role_oid = excluded.role_oid,"
					 "   granted_at = excluded.granted_at, granted_by = excluded.granted_by"
					 " WHERE g.role_oid OPERATOR(pg_catalog.<>) excluded.role_oid",
					 rolname, kind) > 0)
		audit_access("audit.access_granted", rolname, kind);
	change_privileges(grant_query, rolname, kind);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * plystra.revoke_access(role regrole, access text) returns void
 *
 * Forgets the access and revokes what it gave, but for what another access
 * the role holds gives too.  Revoking an access the role does not hold
 * revokes its privileges all the same, and says so.
 */
Datum
plystra_revoke_access(PG_FUNCTION_ARGS)
{
	char	   *rolname;
	char	   *kind;

	access_arguments(fcinfo, &rolname, &kind);
	if (access_table("DELETE FROM plystra_data.access_grants"
					 " WHERE role_name OPERATOR(pg_catalog.=) $1"
					 "   AND access OPERATOR(pg_catalog.=) $2",
					 rolname, kind) > 0)
		audit_access("audit.access_revoked", rolname, kind);
	else
		ereport(NOTICE,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" had no recorded access \"%s\"", rolname, kind),
				 errdetail("Its privileges of that access are revoked all the same.")));
	change_privileges(revoke_query, rolname, kind);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * plystra._apply_access() returns bigint: the number of GRANT statements
 * run.  Called at the end of every script: grants each recorded access of
 * a role that exists again, so that the objects the script created are
 * granted too.  A record whose role is gone (no role of its name has its
 * OID) is not applied, with a warning, and doctor() reports it.
 */
Datum
plystra_apply_access(PG_FUNCTION_ARGS)
{
	uint64		n;
	int			ret;
	char	   *gone;

	plystra_require_own_script("plystra._apply_access()");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute("SELECT pg_catalog.string_agg(pg_catalog.format('%I (%s)', g.role_name, g.access), ', '"
					  "                          ORDER BY g.role_name, g.access)"
					  "  FROM plystra_data.access_grants g"
					  " WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r"
					  "                    WHERE r.oid OPERATOR(pg_catalog.=) g.role_oid"
					  "                      AND r.rolname OPERATOR(pg_catalog.=) g.role_name)",
					  true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the recorded access: %s", SPI_result_code_string(ret));
	gone = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (gone != NULL)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("recorded access of roles that are gone is not granted: %s", gone),
				 errdetail("No role of that name with the recorded OID exists: it was dropped, renamed, or dropped and created again."),
				 errhint("Give the role now of that name its access with plystra.grant_access(), or delete the record from plystra_data.access_grants.")));
	n = run_as_owner("SELECT pg_catalog.format('GRANT %s ON %s %s TO %I',"
					 "       a.privilege, a.object_type, a.object, g.role_name)"
					 "  FROM plystra_data.access_grants g"
					 "  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) g.role_oid"
					 "   AND r.rolname OPERATOR(pg_catalog.=) g.role_name"
					 "  JOIN plystra._access_privileges() a ON a.access OPERATOR(pg_catalog.=) g.access"
					 " ORDER BY g.role_name, a.object_type, a.object, a.privilege",
					 0, NULL, NULL);
	SPI_finish();
	PG_RETURN_INT64((int64) n);
}

/*
 * plystra._adopt_access() returns bigint: the number of access records it
 * wrote.  Called once, by the update to 1.2, before which README told
 * DBAs to GRANT by hand: a role (not a superuser, not the owner) that holds
 * directly every privilege an access gives on the objects version 1.0
 * defined (its manifest) is recorded with that access, so that this and
 * every later update extends it to new objects.  That is what README's
 * recipes for the application (every table of the interface), the
 * migrator and the password functions gave.  No role gains a power it did
 * not have: a role that holds only a part of an access (only some views,
 * doctor() and drift_check() without migrate_verify()) is left as it is,
 * for doctor() to report.  Each record is audited as grant_access()
 * audits it.  The writes README's grant gave on the read-only migration
 * history view, which its trigger refuses, are revoked from the roles
 * recorded as application.
 */
Datum
plystra_adopt_access(PG_FUNCTION_ARGS)
{
	StorageOwnerContext ctx;
	SPITupleTable *rows;
	uint64		n;
	uint64		i;
	int			ret;

	plystra_require_own_script("plystra._adopt_access()");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	plystra_become_storage_owner(&ctx);
	ret = SPI_execute("WITH needed AS ("
					  "  SELECT a.access, a.object_type, a.object, a.privilege"
					  "    FROM plystra._access_privileges() a"
					  "   WHERE EXISTS (SELECT 1 FROM plystra_data.manifest m"
					  "                  WHERE m.version OPERATOR(pg_catalog.=) '1.0'"
					  "                    AND m.object_type OPERATOR(pg_catalog.=) CASE a.object_type"
					  "                        WHEN 'TABLE' THEN 'relation' WHEN 'FUNCTION' THEN 'function'"
					  "                        ELSE 'schema' END"
					  "                    AND m.object OPERATOR(pg_catalog.=) a.object)"
					  "), held AS ("
					  "  SELECT 'TABLE' AS object_type, c.oid::pg_catalog.regclass::pg_catalog.text AS object,"
					  "         x.grantee, x.privilege_type"
					  "    FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) x"
					  "   WHERE c.relnamespace OPERATOR(pg_catalog.=) 'plystra'::pg_catalog.regnamespace"
					  "  UNION ALL"
					  "  SELECT 'FUNCTION', p.oid::pg_catalog.regprocedure::pg_catalog.text, x.grantee, x.privilege_type"
					  "    FROM pg_catalog.pg_proc p, LATERAL pg_catalog.aclexplode(p.proacl) x"
					  "   WHERE p.pronamespace OPERATOR(pg_catalog.=) 'plystra'::pg_catalog.regnamespace"
					  "  UNION ALL"
					  "  SELECT 'SCHEMA', n.nspname::pg_catalog.text, x.grantee, x.privilege_type"
					  "    FROM pg_catalog.pg_namespace n, LATERAL pg_catalog.aclexplode(n.nspacl) x"
					  "   WHERE n.nspname OPERATOR(pg_catalog.=) 'plystra'"
					  ") "
					  "INSERT INTO plystra_data.access_grants (role_name, access)"
					  "SELECT r.rolname, k.access"
					  "  FROM (SELECT DISTINCT access FROM needed) k, pg_catalog.pg_roles r"
					  " WHERE NOT r.rolsuper"
					  "   AND r.oid OPERATOR(pg_catalog.<>) (SELECT x.extowner FROM pg_catalog.pg_extension x"
					  "                                       WHERE x.extname OPERATOR(pg_catalog.=) 'plystra')"
					  "   AND NOT EXISTS (SELECT 1 FROM needed w"
					  "                    WHERE w.access OPERATOR(pg_catalog.=) k.access"
					  "                      AND NOT EXISTS (SELECT 1 FROM held h"
					  "                                       WHERE h.object_type OPERATOR(pg_catalog.=) w.object_type"
					  "                                         AND h.object OPERATOR(pg_catalog.=) w.object"
					  "                                         AND h.privilege_type OPERATOR(pg_catalog.=) w.privilege"
					  "                                         AND h.grantee OPERATOR(pg_catalog.=) r.oid))"
					  " ORDER BY 1, 2 "
					  "ON CONFLICT DO NOTHING "
					  "RETURNING role_name::pg_catalog.text, access",
					  false, 0);
	plystra_restore_user(&ctx);
	if (ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not record the access of roles: %s", SPI_result_code_string(ret));
	rows = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		char	   *rolname = SPI_getvalue(rows->vals[i], rows->tupdesc, 1);
		char	   *kind = SPI_getvalue(rows->vals[i], rows->tupdesc, 2);

		audit_access("audit.access_granted", rolname, kind);
		ereport(NOTICE,
				(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
				 errmsg("role \"%s\" is recorded with access \"%s\"", rolname, kind),
				 errdetail("It holds what README's GRANT recipe for that access gave before version 1.2; updates now extend it to new objects."),
				 errhint("plystra.access lists who has what; plystra.revoke_access() takes an access away.")));
	}

	(void) run_as_owner("SELECT pg_catalog.format('REVOKE INSERT, UPDATE, DELETE ON plystra.schema_migrations FROM %I',"
						"       g.role_name)"
						"  FROM plystra_data.access_grants g"
						" WHERE g.access OPERATOR(pg_catalog.=) 'application'",
						0, NULL, NULL);
	SPI_finish();
	PG_RETURN_INT64((int64) n);
}

/*
 * plystra.access_grant_bind() returns trigger
 *	BEFORE INSERT ON plystra_data.access_grants FOR EACH ROW, ENABLE ALWAYS
 *
 * Binds a record to the role that has its name now, by OID (0 when there
 * is none): grant_access() records the role it was given, and a restore,
 * in a cluster where the roles have other OIDs, binds each record to the
 * role of its name there.
 */
Datum
plystra_access_grant_bind(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	TupleDesc	tupdesc;
	int			name_att;
	int			oid_att;
	bool		isnull;
	Datum		name;
	Datum		value;
	bool		valnull = false;

	trigdata = plystra_trigger_call(fcinfo, "access_grant_bind", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT);
	tupdesc = RelationGetDescr(trigdata->tg_relation);
	name_att = SPI_fnumber(tupdesc, "role_name");
	oid_att = SPI_fnumber(tupdesc, "role_oid");
	if (name_att <= 0 || oid_att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no columns role_name and role_oid",
						RelationGetRelationName(trigdata->tg_relation))));
	name = heap_getattr(trigdata->tg_trigtuple, name_att, tupdesc, &isnull);
	value = ObjectIdGetDatum(isnull ? InvalidOid
							 : get_role_oid(NameStr(*DatumGetName(name)), true));
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_trigtuple, tupdesc,
													 1, &oid_att, &value, &valnull));
}
