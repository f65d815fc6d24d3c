/*-------------------------------------------------------------------------
 *
 * privileges.c
 *	  Privileges the extension's scripts adjust: what default privileges
 *	  gave other roles on the objects a script creates, and the privileges
 *	  that would let a role lock an append-only table.
 *
 * ALTER DEFAULT PRIVILEGES of the role that installs or updates the
 * extension apply to every object its script creates: a role granted
 * SELECT ON TABLES would read the storage, password hashes included, and
 * one granted EXECUTE ON FUNCTIONS would call password_hash() and
 * purge_deleted().  plystra._revoke_default_privileges(), called at the end
 * of every script from 1.2 on, revokes from the objects the script created
 * exactly what pg_default_acl granted on them to roles other than the role
 * that created them (their owner, but for the views that row_security.c
 * gives to plystra_interface) (PUBLIC's EXECUTE on functions is the scripts' to decide).  Objects
 * created in this transaction are told by their membership row of
 * pg_depend, written with them; privileges a DBA granted on older objects,
 * also those _replace_view() carries over to a view it recreates, are left
 * alone.
 *
 * plystra._revoke_lock_privileges() revokes UPDATE, DELETE and TRUNCATE
 * (and MAINTAIN) from everyone but the owner on append-only tables, on the
 * tables their foreign keys reference (audit_event_types: every audit row
 * checks its key there), and on the views over either: they allow LOCK
 * TABLE, which could stop every audit write.  plystra_check_grant(),
 * which ddl_commands.c calls for every GRANT, keeps them from being
 * granted again.
 *
 * A GRANT or REVOKE inside an extension script is recorded as the object's
 * initial privileges, which pg_dump then leaves out; where these functions
 * revoke a DBA's grant from an object that had no initial privileges, that
 * record is removed again, so that the DBA's other grants are still dumped.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/privileges.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "fmgr.h"
#include "utils/acl.h"
#include "utils/aclchk_internal.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_revoke_default_privileges);
PG_FUNCTION_INFO_V1(plystra_revoke_lock_privileges);

#if PG_VERSION_NUM >= 170000
#define LOCK_PRIVILEGES_SQL "UPDATE, DELETE, TRUNCATE, MAINTAIN"
#else
#define LOCK_PRIVILEGES_SQL "UPDATE, DELETE, TRUNCATE"
#endif

/*
 * The privileges among UPDATE, DELETE, TRUNCATE and MAINTAIN that are
 * true, as SQL lists them: "UPDATE, DELETE and TRUNCATE".  Messages name
 * the privileges a grant asked for or a role held, so they read the same
 * on every version (MAINTAIN exists from PostgreSQL 17 on).  *count, if
 * not NULL, is set to how many are named.
 */
char *
plystra_lock_privileges_text(bool update, bool delete, bool truncate,
							 bool maintain, int *count)
{
	const char *names[4];
	int			n = 0;
	int			i;
	StringInfoData buf;

	if (update)
		names[n++] = "UPDATE";
	if (delete)
		names[n++] = "DELETE";
	if (truncate)
		names[n++] = "TRUNCATE";
	if (maintain)
		names[n++] = "MAINTAIN";
	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, i == n - 1 ? " and " : ", ");
		appendStringInfoString(&buf, names[i]);
	}
	if (count)
		*count = n;
	return buf.data;
}

/*
 * Revoke the privileges that allow LOCK TABLE on the table or view
 * qualname (quoted) from grantees (quoted role names or PUBLIC, separated
 * by commas), and what they granted on to others (CASCADE).  The caller
 * is connected to SPI.
 */
void
plystra_revoke_lock_grants(const char *qualname, const char *grantees)
{
	char	   *sql = psprintf("REVOKE " LOCK_PRIVILEGES_SQL " ON TABLE %s FROM %s CASCADE",
							   qualname, grantees);
	int			ret = SPI_execute(sql, false, 0);

	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "could not run \"%s\": %s", sql, SPI_result_code_string(ret));
	pfree(sql);
}

static Datum
oid_array(List *oids)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(oids), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, oids)
		elems[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	return PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid),
										   true, TYPALIGN_INT));
}

/* Run each statement the query returns (one text column). */
static uint64
run_generated(const char *query, int nargs, Oid *argtypes, Datum *values)
{
	SPITupleTable *statements;
	uint64		n;
	uint64		i;
	int			ret;

	ret = SPI_execute_with_args(query, nargs, argtypes, values, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not list privileges: %s", SPI_result_code_string(ret));
	statements = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		char	   *sql = SPI_getvalue(statements->vals[i], statements->tupdesc, 1);

		ret = SPI_execute(sql, false, 0);
		if (ret != SPI_OK_UTILITY)
			elog(ERROR, "could not run \"%s\": %s", sql, SPI_result_code_string(ret));
	}
	return n;
}

/*
 * plystra._revoke_default_privileges() returns bigint: the number of
 * REVOKE statements it ran.
 */
Datum
plystra_revoke_default_privileges(PG_FUNCTION_ARGS)
{
	Oid			extoid;
	Relation	depend;
	SysScanDesc scan;
	ScanKeyData key[2];
	HeapTuple	tuple;
	List	   *relations = NIL;
	List	   *functions = NIL;
	List	   *schemas = NIL;
	Oid			argtypes[4] = {OIDARRAYOID, OIDARRAYOID, OIDARRAYOID, OIDOID};
	Datum		values[4];
	uint64		n;

	plystra_require_own_script("plystra._revoke_default_privileges()");
	extoid = get_extension_oid(PLYSTRA_EXTENSION_NAME, false);

	/* the members whose membership was recorded in this transaction */
	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(extoid));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->deptype != DEPENDENCY_EXTENSION ||
			!TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data)))
			continue;
		if (dep->classid == RelationRelationId)
			relations = lappend_oid(relations, dep->objid);
		else if (dep->classid == ProcedureRelationId)
			functions = lappend_oid(functions, dep->objid);
		else if (dep->classid == NamespaceRelationId)
			schemas = lappend_oid(schemas, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);

	/* and the partitions of the audit log, which are not members */
	if (OidIsValid(plystra_audit_logs_relid()) &&
		get_rel_relkind(plystra_audit_logs_relid()) == RELKIND_PARTITIONED_TABLE)
		relations = list_concat_unique_oid(relations,
										   find_inheritance_children(plystra_audit_logs_relid(),
																	 NoLock));

	values[0] = oid_array(relations);
	values[1] = oid_array(functions);
	values[2] = oid_array(schemas);
	/* the default privileges applied are those of the role creating them */
	values[3] = ObjectIdGetDatum(GetUserId());

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	n = run_generated("WITH obj(classid, oid, nsp, owner, kind, what) AS ("
					  "  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid, c.relnamespace, $4,"
					  "         CASE c.relkind WHEN 'S' THEN 'S' ELSE 'r' END::pg_catalog.\"char\","
					  "         pg_catalog.format('%s %s', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,"
					  "                           c.oid::pg_catalog.regclass)"
					  "    FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) ANY ($1)"
					  "  UNION ALL"
					  "  SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, p.pronamespace, $4,"
					  "         'f'::pg_catalog.\"char\","
					  "         pg_catalog.format('FUNCTION %s', p.oid::pg_catalog.regprocedure)"
					  "    FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) ANY ($2)"
					  "  UNION ALL"
					  "  SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, 0::pg_catalog.oid, $4,"
					  "         'n'::pg_catalog.\"char\", pg_catalog.format('SCHEMA %I', n.nspname)"
					  "    FROM pg_catalog.pg_namespace n WHERE n.oid OPERATOR(pg_catalog.=) ANY ($3))"
					  "SELECT DISTINCT pg_catalog.format('REVOKE %s ON %s FROM %s', a.privilege_type, o.what,"
					  "       CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
					  "            ELSE pg_catalog.quote_ident(r.rolname) END)"
					  "  FROM obj o"
					  "  JOIN pg_catalog.pg_default_acl d"
					  "    ON d.defaclrole OPERATOR(pg_catalog.=) o.owner"
					  "   AND d.defaclobjtype OPERATOR(pg_catalog.=) o.kind"
					  "   AND d.defaclnamespace IN (0, o.nsp),"
					  "       LATERAL pg_catalog.aclexplode(d.defaclacl) a"
					  "  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee"
					  " WHERE a.grantee OPERATOR(pg_catalog.<>) o.owner"
					  "   AND NOT (o.kind OPERATOR(pg_catalog.=) 'f' AND a.grantee OPERATOR(pg_catalog.=) 0)",
					  4, argtypes, values);
	SPI_finish();
	PG_RETURN_INT64((int64) n);
}

/*
 * plystra._revoke_lock_privileges() returns bigint: the number of grants it
 * revoked.
 */
Datum
plystra_revoke_lock_privileges(PG_FUNCTION_ARGS)
{
	SPITupleTable *rows;
	uint64		n;
	uint64		i;
	int			ret;

	plystra_require_own_script("plystra._revoke_lock_privileges()");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Append-only tables, the views over them, and who other than their
	 * owner holds a privilege that allows LOCK TABLE in a mode that blocks
	 * writers.
	 */
	ret = SPI_execute("WITH base AS ("
					  "  SELECT r.relation::pg_catalog.oid AS oid FROM plystra_data.append_only_relations r"
					  "  UNION"
					  "  SELECT c.confrelid FROM pg_catalog.pg_constraint c"
					  "    JOIN plystra_data.append_only_relations r"
					  "      ON r.relation::pg_catalog.oid OPERATOR(pg_catalog.=) c.conrelid"
					  "   WHERE c.contype OPERATOR(pg_catalog.=) 'f'"
					  "), rel AS ("
					  "  SELECT oid FROM base"
					  "  UNION"
					  "  SELECT w.ev_class FROM pg_catalog.pg_rewrite w"
					  "    JOIN pg_catalog.pg_depend d"
					  "      ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
					  "     AND d.objid OPERATOR(pg_catalog.=) w.oid"
					  "     AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
					  "    JOIN base ON base.oid OPERATOR(pg_catalog.=) d.refobjid"
					  "   WHERE w.ev_class OPERATOR(pg_catalog.<>) d.refobjid)"
					  "SELECT c.oid, c.oid::pg_catalog.regclass::pg_catalog.text,"
					  "       CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
					  "            ELSE pg_catalog.quote_ident(ro.rolname) END,"
					  "       EXISTS (SELECT 1 FROM pg_catalog.pg_init_privs i"
					  "                WHERE i.objoid OPERATOR(pg_catalog.=) c.oid"
					  "                  AND i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass),"
					  PLYSTRA_LOCK_PRIVILEGES_HELD
					  "  FROM rel JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) rel.oid,"
					  "       LATERAL pg_catalog.aclexplode(c.relacl) a"
					  "  LEFT JOIN pg_catalog.pg_roles ro ON ro.oid OPERATOR(pg_catalog.=) a.grantee"
					  " WHERE a.grantee OPERATOR(pg_catalog.<>) c.relowner"
					  "   AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'MAINTAIN')"
					  " GROUP BY 1, 2, 3, 4"
					  " ORDER BY 2, 3",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not list privileges: %s", SPI_result_code_string(ret));
	rows = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(rows->vals[i], rows->tupdesc, 1, &isnull));
		char	   *relname = SPI_getvalue(rows->vals[i], rows->tupdesc, 2);
		char	   *grantee = SPI_getvalue(rows->vals[i], rows->tupdesc, 3);
		bool		had_initprivs = DatumGetBool(SPI_getbinval(rows->vals[i], rows->tupdesc, 4, &isnull));
		char	   *held = plystra_lock_privileges_text(DatumGetBool(SPI_getbinval(rows->vals[i], rows->tupdesc, 5, &isnull)),
														DatumGetBool(SPI_getbinval(rows->vals[i], rows->tupdesc, 6, &isnull)),
														DatumGetBool(SPI_getbinval(rows->vals[i], rows->tupdesc, 7, &isnull)),
														DatumGetBool(SPI_getbinval(rows->vals[i], rows->tupdesc, 8, &isnull)),
														NULL);

		plystra_revoke_lock_grants(relname, grantee);
		if (!had_initprivs)
			removeExtObjInitPriv(relid, RelationRelationId);
		ereport(NOTICE,
				(errcode(ERRCODE_SUCCESSFUL_COMPLETION),
				 errmsg("revoked %s on %s from %s", held, relname, grantee),
				 errdetail("On an append-only table, a view over one, or a table whose keys an append-only table checks, these privileges allowed LOCK TABLE, which could stop every write to the append-only table.")));
	}
	SPI_finish();
	PG_RETURN_INT64((int64) n);
}

/*
 * GRANT of UPDATE, DELETE or TRUNCATE (or MAINTAIN) on an append-only
 * table or its interface view: they allow no change of its rows, only
 * LOCK TABLE in a mode that stops every audit write.  Like a GRANT that
 * names privileges an object does not have, the command goes on without
 * them, with a warning (ddl_commands.c, at ddl_command_end).
 */
void
plystra_check_grant(void *grant)
{
	InternalGrant *istmt = (InternalGrant *) grant;
	AclMode		lock_privileges = ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE;
	char	   *asked;
	int			nasked;
	StringInfoData grantees;
	ListCell   *lc;
	ListCell   *lg;

#if PG_VERSION_NUM >= 170000
	lock_privileges |= ACL_MAINTAIN;
#endif
	if (!istmt->is_grant || istmt->objtype != OBJECT_TABLE)
		return;
	if (!istmt->all_privs)
		lock_privileges &= istmt->privileges;
	if (lock_privileges == 0)
		return;
	asked = plystra_lock_privileges_text((lock_privileges & ACL_UPDATE) != 0,
										 (lock_privileges & ACL_DELETE) != 0,
										 (lock_privileges & ACL_TRUNCATE) != 0,
#if PG_VERSION_NUM >= 170000
										 (lock_privileges & ACL_MAINTAIN) != 0,
#else
										 false,
#endif
										 &nasked);

	/* the grantees, as REVOKE names them */
	initStringInfo(&grantees);
	foreach(lg, istmt->grantees)
	{
		Oid			grantee = lfirst_oid(lg);

		if (lg != list_head(istmt->grantees))
			appendStringInfoString(&grantees, ", ");
		if (grantee == ACL_ID_PUBLIC)
			appendStringInfoString(&grantees, "PUBLIC");
		else
			appendStringInfoString(&grantees,
								   quote_identifier(GetUserNameFromId(grantee, false)));
	}

	foreach(lc, istmt->objects)
	{
		Oid			relid = lfirst_oid(lc);

		if (!plystra_lock_blocks_append_only(relid))
			continue;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		plystra_revoke_lock_grants(quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
																  get_rel_name(relid)),
									   grantees.data);
		SPI_finish();

		ereport(WARNING,
				(errcode(ERRCODE_WARNING_PRIVILEGE_NOT_GRANTED),
				 errmsg_plural("privilege %s on \"%s\" was not granted",
							   "privileges %s on \"%s\" were not granted",
							   nasked, asked, get_rel_name(relid)),
				 errdetail("On an append-only table, a view over one, or a table whose keys an append-only table checks, these privileges would allow LOCK TABLE, which could stop every write to the append-only table."),
				 errhint("Grant SELECT and INSERT.")));
	}
}
