/*-------------------------------------------------------------------------
 *
 * interface.c
 *	  The interface views of schema plystra: replacing one during an
 *	  update, and keeping a read-only one read-only.
 *
 * A migration that changes the definition of an interface view calls
 * plystra._replace_view().  Where the new columns allow it (the old ones,
 * same names, types and collations, in the same order, then new ones) the
 * view is replaced in place, as CREATE OR REPLACE VIEW does: objects of
 * applications built on it (their views, functions) stay as they are.
 * Where they do not (a column removed or retyped), the view is dropped and
 * created again, which objects depending on it would block: the update is
 * then refused before anything is dropped, with the list of those objects
 * and what to do.  Either way the view comes out without triggers and
 * options, which the script then sets, as it did before 1.2.
 *
 * Dropping a view loses every privilege a DBA granted on it; and
 * privileges granted again by the upgrade script would be recorded in
 * pg_init_privs as the extension's own, so pg_dump would leave them out.
 * _replace_view() keeps the grants of the old view (table-level, and
 * column-level for the columns that remain) and records them as the DBA's,
 * exactly as they were.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/interface.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_replace_view);

/*
 * GRANT statements that reproduce the privileges others hold on a relation,
 * one row per privilege: column (null for table level) and statement.  The
 * owner's own privileges come with ownership and are left out.
 */
static const char *const grants_query =
"SELECT NULL::name, pg_catalog.format('GRANT %s ON TABLE %s TO %s%s',"
"       a.privilege_type, c.oid::pg_catalog.regclass,"
"       CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
"            ELSE pg_catalog.quote_ident(r.rolname) END,"
"       CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)"
"  FROM pg_catalog.pg_class c,"
"       LATERAL pg_catalog.aclexplode(c.relacl) a"
"  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee"
" WHERE c.oid OPERATOR(pg_catalog.=) $1"
"   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner "
"UNION ALL "
"SELECT t.attname, pg_catalog.format('GRANT %s (%I) ON TABLE %s TO %s%s',"
"       a.privilege_type, t.attname, c.oid::pg_catalog.regclass,"
"       CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
"            ELSE pg_catalog.quote_ident(r.rolname) END,"
"       CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)"
"  FROM pg_catalog.pg_class c"
"  JOIN pg_catalog.pg_attribute t ON t.attrelid OPERATOR(pg_catalog.=) c.oid,"
"       LATERAL pg_catalog.aclexplode(t.attacl) a"
"  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee"
" WHERE c.oid OPERATOR(pg_catalog.=) $1"
"   AND t.attnum OPERATOR(pg_catalog.>) 0 AND NOT t.attisdropped"
"   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner";

typedef struct SavedGrant
{
	char	   *column;			/* NULL for a table-level privilege */
	char	   *statement;
} SavedGrant;

/*
 * Can "CREATE OR REPLACE VIEW" give the view the columns of definition?
 * It can when the old columns come first, each with its name, type,
 * typmod and collation, as checkViewColumns() of PostgreSQL requires.  The
 * caller is connected to SPI.
 */
static bool
columns_allow_replace(Oid viewoid, const char *definition)
{
	Relation	rel;
	TupleDesc	olddesc;
	TupleDesc	newdesc;
	SPIPlanPtr	plan;
	bool		ok = true;
	int			i;

	plan = SPI_prepare(definition, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "could not parse the new definition of the view: %s",
			 SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		elog(ERROR, "the new definition of the view is not a query");
	newdesc = SPI_plan_get_plan_sources(plan) != NIL
		? ((CachedPlanSource *) linitial(SPI_plan_get_plan_sources(plan)))->resultDesc
		: NULL;
	if (newdesc == NULL)
		elog(ERROR, "the new definition of the view returns no columns");

	rel = relation_open(viewoid, AccessShareLock);
	olddesc = RelationGetDescr(rel);
	if (newdesc->natts < olddesc->natts)
		ok = false;
	for (i = 0; ok && i < olddesc->natts; i++)
	{
		Form_pg_attribute oldatt = TupleDescAttr(olddesc, i);
		Form_pg_attribute newatt = TupleDescAttr(newdesc, i);

		if (oldatt->attisdropped || newatt->attisdropped ||
			strcmp(NameStr(oldatt->attname), NameStr(newatt->attname)) != 0 ||
			oldatt->atttypid != newatt->atttypid ||
			oldatt->atttypmod != newatt->atttypmod ||
			oldatt->attcollation != newatt->attcollation)
			ok = false;
	}
	/* keep the lock until the view is replaced */
	relation_close(rel, NoLock);
	SPI_freeplan(plan);
	return ok;
}

/*
 * The objects that depend on the view and would make DROP VIEW fail,
 * described, or NULL: views and materialized views over it, functions
 * whose SQL body uses it, and whatever uses its row type (a function
 * returning SETOF the view, a column of that type).  The caller is
 * connected to SPI.
 */
static char *
dependent_objects(Oid viewoid)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2];
	int			ret;

	values[0] = ObjectIdGetDatum(viewoid);
	values[1] = ObjectIdGetDatum(get_rel_type_id(viewoid));
	ret = SPI_execute_with_args("SELECT pg_catalog.string_agg(x.what, ', ' ORDER BY x.what)"
								"  FROM (SELECT DISTINCT CASE WHEN d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
								"                             THEN pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.ev_class, 0)"
								"                             ELSE pg_catalog.pg_describe_object(d.classid, d.objid, 0) END AS what"
								"          FROM pg_catalog.pg_depend d"
								"          LEFT JOIN pg_catalog.pg_rewrite r"
								"            ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
								"           AND r.oid OPERATOR(pg_catalog.=) d.objid"
								"         WHERE ((d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
								"                 AND d.refobjid OPERATOR(pg_catalog.=) $1)"
								"             OR (d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass"
								"                 AND d.refobjid OPERATOR(pg_catalog.=) $2))"
								"           AND d.deptype OPERATOR(pg_catalog.=) 'n'"
								"           AND r.ev_class IS DISTINCT FROM $1) x",
								2, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not list the objects that depend on the view");
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * Replace the view in place and strip it of its triggers, which the
 * script creates again as after a DROP (options go with CREATE OR REPLACE
 * VIEW itself).  The caller is connected to SPI.
 */
static void
replace_in_place(Oid viewoid, const char *qualname, const char *definition)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	SPITupleTable *triggers;
	uint64		n;
	uint64		i;
	int			ret;
	char	   *sql;

	sql = psprintf("CREATE OR REPLACE VIEW %s AS %s", qualname, definition);
	ret = SPI_execute(sql, false, 0);
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "could not replace %s: %s", qualname, SPI_result_code_string(ret));

	values[0] = ObjectIdGetDatum(viewoid);
	ret = SPI_execute_with_args("SELECT pg_catalog.format('DROP TRIGGER %I ON %s', t.tgname, $1::pg_catalog.regclass)"
								"  FROM pg_catalog.pg_trigger t"
								" WHERE t.tgrelid OPERATOR(pg_catalog.=) $1 AND NOT t.tgisinternal",
								1, argtypes, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not list the triggers of %s", qualname);
	triggers = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		sql = SPI_getvalue(triggers->vals[i], triggers->tupdesc, 1);
		ret = SPI_execute(sql, false, 0);
		if (ret != SPI_OK_UTILITY)
			elog(ERROR, "could not run \"%s\": %s", sql, SPI_result_code_string(ret));
	}
}

/*
 * plystra._replace_view(view regclass, definition text) returns void
 *
 * Replaces the interface view in place when the new columns allow it;
 * otherwise drops it and creates it again, with the same name, as
 * "CREATE VIEW name AS definition", then grants again what others held on
 * the old view.  Objects that depend on the view stop the update in that
 * case, before anything is dropped, with the list of them.
 */
Datum
plystra_replace_view(PG_FUNCTION_ARGS)
{
	Oid			viewoid;
	char	   *definition;
	char	   *nspname;
	char	   *relname;
	char	   *qualname;
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	List	   *saved = NIL;
	ListCell   *lc;
	Oid			newoid;
	int			ret;
	uint64		i;
	StringInfoData sql;

	plystra_require_own_script("plystra._replace_view()");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("view and definition must not be null")));

	viewoid = PG_GETARG_OID(0);
	definition = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (get_rel_relkind(viewoid) != RELKIND_VIEW ||
		strcmp(get_namespace_name(get_rel_namespace(viewoid)), PLYSTRA_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an interface view of plystra",
						get_rel_name(viewoid) ? get_rel_name(viewoid) : "?")));

	nspname = get_namespace_name(get_rel_namespace(viewoid));
	relname = get_rel_name(viewoid);
	qualname = quote_qualified_identifier(nspname, relname);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (columns_allow_replace(viewoid, definition))
	{
		replace_in_place(viewoid, qualname, definition);
		SPI_finish();
		PG_RETURN_VOID();
	}
	else
	{
		char	   *dependents = dependent_objects(viewoid);

		if (dependents != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("cannot recreate view %s because other objects depend on it",
							qualname),
					 errdetail("The update removes or changes columns of %s, which CREATE OR REPLACE VIEW cannot do, so it drops the view and creates it again.  Objects that depend on it: %s.",
							   qualname, dependents),
					 errhint("Save the definitions of these objects (pg_dump --schema-only), drop them, run ALTER EXTENSION plystra UPDATE again, then create them again for the new columns.")));
	}

	/*
	 * The extension grants nothing on its interface views, so every
	 * privilege on the view is the DBA's.  A view the extension granted on
	 * would need its own privileges recorded apart; none exists.
	 */
	values[0] = ObjectIdGetDatum(viewoid);
	ret = SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_init_privs"
								" WHERE classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
								"   AND objoid OPERATOR(pg_catalog.=) $1",
								1, argtypes, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the initial privileges of %s", qualname);
	if (SPI_processed > 0)
		elog(ERROR, "%s has initial privileges of the extension; _replace_view() cannot tell them from the DBA's",
			 qualname);

	ret = SPI_execute_with_args(grants_query, 1, argtypes, values, NULL,
								true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the privileges of %s: %s",
			 qualname, SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed; i++)
	{
		SavedGrant *g = palloc(sizeof(SavedGrant));

		g->column = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		g->statement = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		saved = lappend(saved, g);
	}

	initStringInfo(&sql);
	appendStringInfo(&sql, "DROP VIEW %s", qualname);
	ret = SPI_execute(sql.data, false, 0);
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "could not drop %s: %s", qualname, SPI_result_code_string(ret));

	resetStringInfo(&sql);
	appendStringInfo(&sql, "CREATE VIEW %s AS %s", qualname, definition);
	ret = SPI_execute(sql.data, false, 0);
	if (ret != SPI_OK_UTILITY)
		elog(ERROR, "could not create %s: %s", qualname, SPI_result_code_string(ret));

	newoid = get_relname_relid(relname, get_namespace_oid(nspname, false));

	foreach(lc, saved)
	{
		SavedGrant *g = (SavedGrant *) lfirst(lc);

		/* a column that the new definition no longer has keeps no grant */
		if (g->column != NULL && get_attnum(newoid, g->column) == InvalidAttrNumber)
			continue;
		ret = SPI_execute(g->statement, false, 0);
		if (ret != SPI_OK_UTILITY)
			elog(ERROR, "could not run \"%s\": %s",
				 g->statement, SPI_result_code_string(ret));
	}

	/*
	 * GRANT inside an extension script records its result as the extension's
	 * initial privileges.  These are the DBA's, not ours: forget the record,
	 * so that pg_dump dumps them as it did before the upgrade.
	 */
	if (saved != NIL)
		removeExtObjInitPriv(newoid, RelationRelationId);

	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * plystra.read_only_view() returns trigger
 *	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.<view> FOR EACH ROW,
 *	ENABLE ALWAYS
 *
 * An interface view whose rows only the extension writes (the migration
 * history) is read-only for every role, whatever was granted on it: a
 * simple view would otherwise pass writes through to its table.
 */
PG_FUNCTION_INFO_V1(plystra_read_only_view);

Datum
plystra_read_only_view(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;

	trigdata = plystra_trigger_call(fcinfo, "read_only_view", TRIGGER_EVENT_INSTEAD,
									PLYSTRA_ON_INSERT | PLYSTRA_ON_UPDATE | PLYSTRA_ON_DELETE);
	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_MIGRATION_HISTORY),
			 TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ?
			 errmsg("cannot insert into view \"%s.%s\"",
					get_namespace_name(RelationGetNamespace(trigdata->tg_relation)),
					RelationGetRelationName(trigdata->tg_relation)) :
			 TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
			 errmsg("cannot update view \"%s.%s\"",
					get_namespace_name(RelationGetNamespace(trigdata->tg_relation)),
					RelationGetRelationName(trigdata->tg_relation)) :
			 errmsg("cannot delete from view \"%s.%s\"",
					get_namespace_name(RelationGetNamespace(trigdata->tg_relation)),
					RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("The view is read-only: its rows are written by the extension alone."),
			 errhint("Migrations are recorded by plystra.migrate(); a record is removed with plystra.migration_forget().")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/*
 * plystra._enable_always_trigger(rel regclass, trigger name) returns void
 *
 * Makes a trigger of an interface view fire in every session, also with
 * session_replication_role = replica, as ENABLE ALWAYS does for a table's
 * trigger (ALTER TABLE refuses that subcommand on views).  Otherwise a
 * DELETE through a view in replica mode would skip its INSTEAD OF trigger,
 * report the rows deleted and change nothing.  Scripts of plystra only.
 */
PG_FUNCTION_INFO_V1(plystra_enable_always_trigger);

Datum
plystra_enable_always_trigger(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *tgname;
	Relation	rel;

	plystra_require_own_script("plystra._enable_always_trigger()");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and trigger must not be null")));
	relid = PG_GETARG_OID(0);
	tgname = NameStr(*PG_GETARG_NAME(1));

	rel = table_open(relid, ShareRowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_VIEW ||
		strcmp(get_namespace_name(RelationGetNamespace(rel)), PLYSTRA_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an interface view of plystra",
						RelationGetRelationName(rel))));
#if PG_VERSION_NUM >= 160000
	EnableDisableTrigger(rel, tgname, InvalidOid, TRIGGER_FIRES_ALWAYS, false,
						 false, ShareRowExclusiveLock);
#else
	EnableDisableTrigger(rel, tgname, TRIGGER_FIRES_ALWAYS, false,
						 ShareRowExclusiveLock);
#endif
	table_close(rel, NoLock);
	PG_RETURN_VOID();
}
