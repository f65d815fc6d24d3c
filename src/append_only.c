/*-------------------------------------------------------------------------
 *
 * append_only.c
 *	  The append-only guard: a trigger that refuses UPDATE, DELETE and
 *	  TRUNCATE of a protected table, the one door through it,
 *	  make_append_only(), which registers a table of one's own (the
 *	  registry's queries are in registry.c), and the protection of each
 *	  partition of plystra_data.audit_logs (audit_partitions.c makes them).
 *
 * plystra.append_only_guard() is attached BEFORE UPDATE OR DELETE FOR EACH
 * ROW and BEFORE TRUNCATE FOR EACH STATEMENT, ENABLE ALWAYS, so that it
 * fires for every role and also under session_replication_role = replica.
 * MERGE and INSERT ... ON CONFLICT DO UPDATE fire the UPDATE trigger and
 * are refused with it.
 *
 * The sanctioned maintenance functions (removing a migration record,
 * purging old audit rows) open the door for one relation around their own
 * statement (door.c); the guard lets that statement's rows through and
 * nothing else.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/append_only.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_append_only_guard);

/* Is this row of rel let through by the door of a sanctioned function? */
static bool
through_door(Relation rel, HeapTuple tuple)
{
	int			attnum;
	bool		isnull = true;
	Datum		created = (Datum) 0;

	if (plystra_door_has_cutoff())
	{
		attnum = SPI_fnumber(RelationGetDescr(rel), "created_at");
		if (attnum > 0)
			created = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
	}
	return plystra_door_lets_through(RelationGetRelid(rel),
									 isnull ? 0 : DatumGetTimestampTz(created),
									 isnull);
}

Datum
plystra_append_only_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	Oid			relid;
	const char *what;

	trigdata = plystra_trigger_call(fcinfo, "append_only_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_UPDATE | PLYSTRA_ON_DELETE | PLYSTRA_ON_TRUNCATE);

	rel = trigdata->tg_relation;

	/*
	 * pg_restore --jobs truncates each table it has just created before it
	 * loads it; a partition of audit_logs is guarded from the moment the
	 * restore attaches it.  Truncating one that has never held a row (no
	 * storage at all, checked under TRUNCATE's exclusive lock) removes
	 * nothing, and no sequence belongs to a partition.
	 */
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) &&
		rel->rd_rel->relkind == RELKIND_RELATION &&
		rel->rd_rel->relispartition &&
		get_partition_parent(RelationGetRelid(rel), false) == plystra_audit_logs_relid() &&
		RelationGetNumberOfBlocks(rel) == 0)
		return PointerGetDatum(NULL);

	/*
	 * Only the sanctioned functions' own DELETE passes; not even the
	 * extension's migrations change these rows, so that code planted to
	 * run during ALTER EXTENSION UPDATE gets nothing through either.
	 */
	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) &&
		through_door(rel, trigdata->tg_trigtuple))
	{
		if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
			return PointerGetDatum(NULL);
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
							   trigdata->tg_newtuple : trigdata->tg_trigtuple);
	}

	/*
	 * A partition's rows are named by the table they belong to, which the
	 * statement named; TRUNCATE names the table it truncates.
	 */
	relid = RelationGetRelid(rel);
	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		relid = plystra_partition_root(relid);

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		what = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else
		what = "TRUNCATE";

	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
			 errmsg("%s of \"%s.%s\" is not allowed", what,
					get_namespace_name(get_rel_namespace(relid)),
					get_rel_name(relid)),
			 errdetail("The table is append-only: its rows are never changed or removed, by any role."),
			 errhint("%s", trigdata->tg_trigger->tgnargs > 0 ?
					 trigdata->tg_trigger->tgargs[0] :
					 "Only the extension's own maintenance functions remove rows from it.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/* Was the table created OF a composite type? */
static bool
typed_table(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		result;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	result = OidIsValid(((Form_pg_class) GETSTRUCT(tuple))->reloftype);
	ReleaseSysCache(tuple);
	return result;
}

/* The relation exists and the current user owns it, or an error. */
static void
check_owner(Oid relid)
{
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
#if PG_VERSION_NUM >= 160000
	if (!object_ownercheck(RelationRelationId, relid, GetUserId()))
#else
	if (!pg_class_ownercheck(relid, GetUserId()))
#endif
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
}

/*
 * A table that is to become append-only as a partition of a partitioned
 * one (make_append_only() of the parent, or a CREATE TABLE ... PARTITION OF
 * it): a plain, permanent table, not partitioned itself, not typed, with
 * no parent but its partitioned table.
 */
static void
check_partition(Oid relid, Oid parentid)
{
	char	   *relname = get_rel_name(relid);
	char	   *parentname = get_rel_name(parentid);

	if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("partition \"%s\" of append-only table \"%s\" is partitioned itself", relname, parentname),
				 errdetail("An append-only table has one level of partitions, each a plain table.")));
	if (get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("partition \"%s\" of append-only table \"%s\" is not a table", relname, parentname),
				 errdetail("A foreign table's rows are out of the guard's reach.")));
	if (get_rel_persistence(relid) != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("partition \"%s\" of append-only table \"%s\" is unlogged", relname, parentname),
				 errdetail("An unlogged table is emptied by a crash.")));
	if (OidIsValid(get_rel_type_id(relid)) && typed_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("partition \"%s\" of append-only table \"%s\" is a typed table", relname, parentname)));
}

/*
 * UPDATE, DELETE and TRUNCATE granted on an append-only table would allow
 * nothing from now on but LOCK TABLE: revoked, as the owner, with a NOTICE
 * each.  Connected to SPI.
 */
static void
revoke_lock_grants_of(Oid relid, const char *qualname)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	SPITupleTable *grantees;
	uint64		ngrantees;
	uint64		g;

	if (SPI_execute_with_args("SELECT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
							  "            ELSE pg_catalog.quote_ident(r.rolname) END,"
							  PLYSTRA_LOCK_PRIVILEGES_HELD
							  "  FROM pg_catalog.pg_class c,"
							  "       LATERAL pg_catalog.aclexplode(c.relacl) a"
							  "  LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee"
							  " WHERE c.oid OPERATOR(pg_catalog.=) $1"
							  "   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner"
							  "   AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'MAINTAIN')"
							  " GROUP BY 1"
							  " ORDER BY 1",
							  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the privileges of %s", qualname);
	grantees = SPI_tuptable;
	ngrantees = SPI_processed;
	for (g = 0; g < ngrantees; g++)
	{
		char	   *grantee = SPI_getvalue(grantees->vals[g], grantees->tupdesc, 1);
		bool		isnull;
		char	   *held = plystra_lock_privileges_text(DatumGetBool(SPI_getbinval(grantees->vals[g], grantees->tupdesc, 2, &isnull)),
														DatumGetBool(SPI_getbinval(grantees->vals[g], grantees->tupdesc, 3, &isnull)),
														DatumGetBool(SPI_getbinval(grantees->vals[g], grantees->tupdesc, 4, &isnull)),
														DatumGetBool(SPI_getbinval(grantees->vals[g], grantees->tupdesc, 5, &isnull)),
														NULL);

		plystra_revoke_lock_grants(qualname, grantee);
		ereport(NOTICE,
				(errmsg("revoked %s on %s from %s", held, qualname, grantee),
				 errdetail("On an append-only table they allow nothing but LOCK TABLE, which could stop every write to it.")));
	}
}

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * Register one table as append-only, recording by_whom as who protected
 * it.  Done before its triggers are made, so that the DDL guard judges
 * them (the guard's own, in their exact shapes) and the partitions of a
 * partitioned table as the registered tables they are becoming.  As the
 * storage owner, connected to SPI.
 */
static void
register_table(Oid relid, Oid by_whom, bool builtin)
{
	Oid			argtypes[3] = {OIDOID, NAMEOID, BOOLOID};
	Datum		values[3];

	values[0] = ObjectIdGetDatum(relid);
	values[1] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(by_whom, false)));
	values[2] = BoolGetDatum(builtin);
	if (SPI_execute_with_args("INSERT INTO plystra_data.append_only_relations (relation, protected_by, builtin)"
							  " VALUES ($1, $2, $3)",
							  3, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not register %s", qualified_name(relid));
}

/*
 * Make the guard triggers of one table, ENABLE ALWAYS.  A partition gets
 * the TRUNCATE guard only: its row guard is the clone of its partitioned
 * table's (which ENABLE ALWAYS on the partitioned table reaches).  As the
 * storage owner (the guard function is not executable by PUBLIC),
 * connected to SPI.
 */
static void
make_guard(Oid relid, bool partition)
{
	static const char *const steps[] = {
		"CREATE TRIGGER plystra_append_only BEFORE UPDATE OR DELETE ON %s"
		" FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard()",
		"CREATE TRIGGER plystra_append_only_truncate BEFORE TRUNCATE ON %s"
		" FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard()",
		"ALTER TABLE %s ENABLE ALWAYS TRIGGER plystra_append_only,"
		" ENABLE ALWAYS TRIGGER plystra_append_only_truncate",
	};
	char	   *qualname = qualified_name(relid);
	int			i;

	for (i = partition ? 1 : 0; i < lengthof(steps); i++)
	{
		int			ret = SPI_execute(psprintf(steps[i], qualname), false, 0);

		if (ret != SPI_OK_UTILITY)
			elog(ERROR, "could not protect %s: %s", qualname, SPI_result_code_string(ret));
	}
}

/*
 * plystra.make_append_only(rel regclass) returns boolean
 *
 * Gives a table of one's own the protection of audit_logs: the guard
 * triggers, ENABLE ALWAYS, and an entry in the registry the DDL guard
 * reads.  Returns false when the table was protected already.  Refuses
 * what the guard cannot protect: views and other relations that are not
 * tables, temporary and unlogged tables, system catalogs, partitions,
 * inheritance children and typed tables (DDL on their parent or type would
 * reach their rows), tables with inheritance children (whose rows change
 * through the parent), and tables with foreign keys of or onto them that
 * cascade.  A partitioned table is protected with all its partitions
 * (plain, permanent tables; one level), and a partition created later
 * with CREATE TABLE ... PARTITION OF it is protected as it is made
 * (plystra_adopt_partition()); no partition is attached, detached or
 * dropped since.  It revokes UPDATE, DELETE and TRUNCATE others hold on the
 * tables.  The caller must own the table.
 */
PG_FUNCTION_INFO_V1(plystra_make_append_only);

Datum
plystra_make_append_only(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char		relkind;
	char	   *relname;
	char	   *qualname;
	Oid			argtypes[1] = {OIDARRAYOID};
	Datum	   *values;
	StorageOwnerContext ctx;
	Oid			caller;
	List	   *rels;
	ListCell   *lc;
	int			nrels;
	int			ret;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation must not be null")));
	relid = PG_GETARG_OID(0);

	/*
	 * Only the owner may protect the table: a role that does not own it may
	 * not even queue for its lock.  Checked again once the lock is held (as
	 * CREATE TRIGGER would take it: no concurrent DDL while we look and act),
	 * since the table may have been dropped or given away meanwhile.
	 */
	check_owner(relid);
	LockRelationOid(relid, ShareRowExclusiveLock);
	check_owner(relid);
	relkind = get_rel_relkind(relid);
	/* messages name the table as PostgreSQL's own do: unqualified */
	relname = get_rel_name(relid);
	qualname = qualified_name(relid);

	if (IsCatalogRelationOid(relid) ||
		IsToastNamespace(get_rel_namespace(relid)) ||
		strcmp(get_namespace_name(get_rel_namespace(relid)), "information_schema") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("\"%s\" is a system catalog", relname),
				 errdetail("System catalogs cannot be made append-only.")));
	if ((relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE) &&
		get_rel_relispartition(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partition", relname),
				 errdetail("DDL on its partitioned table would reach its rows (ALTER COLUMN TYPE rewrites them)."),
				 errhint("Make its partitioned table append-only: that protects every partition.")));
	if ((relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE) &&
		has_superclass(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" inherits from another table", relname),
				 errdetail("DDL on its parent would reach its rows.")));
	if (relkind == RELKIND_RELATION && has_subclass(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" has inheritance children", relname),
				 errdetail("Rows of a child are changed and deleted through its parent, past the parent's guard."),
				 errhint("Detach the children (ALTER TABLE ... NO INHERIT) first.")));
	if ((relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE) &&
		OidIsValid(get_rel_type_id(relid)) && typed_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a typed table", relname),
				 errdetail("ALTER TYPE on its type would reach its rows.")));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", relname),
				 errdetail("Only tables can be made append-only; a view or foreign table has no rows of its own to protect.")));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a temporary table", relname),
				 errdetail("A temporary table disappears with its session; there is nothing lasting to protect.")));
	if (get_rel_persistence(relid) == RELPERSISTENCE_UNLOGGED)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is an unlogged table", relname),
				 errdetail("An unlogged table is emptied by a crash."),
				 errhint("Run ALTER TABLE %s SET LOGGED first.", qualname)));
	if (plystra_is_append_only(relid))
	{
		ereport(NOTICE,
				(errmsg("\"%s\" is append-only already", relname)));
		PG_RETURN_BOOL(false);
	}

	/* the table and, for a partitioned table, its partitions, locked */
	rels = list_make1_oid(relid);
	if (relkind == RELKIND_PARTITIONED_TABLE)
	{
		rels = find_all_inheritors(relid, ShareRowExclusiveLock, NULL);
		/* (each partition the caller's too: it can never be dropped again) */
		foreach(lc, rels)
			if (lfirst_oid(lc) != relid)
			{
				check_owner(lfirst_oid(lc));
				check_partition(lfirst_oid(lc), relid);
			}
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Existing foreign keys of the tables that would change their rows, or
	 * onto them whose actions would run inside the sanctioned maintenance.
	 */
	nrels = 0;
	values = palloc(sizeof(Datum) * list_length(rels));
	foreach(lc, rels)
		values[nrels++] = ObjectIdGetDatum(lfirst_oid(lc));
	{
		Datum		array = PointerGetDatum(construct_array(values, nrels, OIDOID,
															sizeof(Oid), true, TYPALIGN_INT));

		ret = SPI_execute_with_args("SELECT pg_catalog.format('%s on %s', c.conname, c.conrelid::pg_catalog.regclass)"
									"  FROM pg_catalog.pg_constraint c"
									" WHERE (c.conrelid OPERATOR(pg_catalog.=) ANY ($1)"
									"        OR c.confrelid OPERATOR(pg_catalog.=) ANY ($1))"
									"   AND c.contype OPERATOR(pg_catalog.=) 'f'"
									"   AND " PLYSTRA_KEY_ACTS_ON_ROWS,
									1, argtypes, &array, NULL, true, 1);
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the foreign keys of %s", qualname);
	if (SPI_processed > 0)
		plystra_refuse_acting_key(SPI_getvalue(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1));

	foreach(lc, rels)
		revoke_lock_grants_of(lfirst_oid(lc), qualified_name(lfirst_oid(lc)));
	caller = GetUserId();
	plystra_become_storage_owner(&ctx);
	foreach(lc, rels)
		register_table(lfirst_oid(lc), caller, false);
	/* the partitioned table first: its row guard is cloned to the partitions */
	foreach(lc, rels)
		make_guard(lfirst_oid(lc), lfirst_oid(lc) != relid);
	plystra_restore_user(&ctx);

	SPI_finish();
	PG_RETURN_BOOL(true);
}

/*
 * A CREATE TABLE ... PARTITION OF an append-only table made relid: protect
 * it as the rest of the table (ddl_command_end; the command's own role
 * made it and owns the partitioned table).  The row guard is there
 * already, cloned from the partitioned table; it gets the TRUNCATE guard
 * and its entry in the registry.
 */
void
plystra_adopt_partition(Oid relid, Oid parentid)
{
	StorageOwnerContext ctx;
	Oid			caller = GetUserId();

	check_partition(relid, parentid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	revoke_lock_grants_of(relid, qualified_name(relid));
	plystra_become_storage_owner(&ctx);
	register_table(relid, caller, false);
	make_guard(relid, true);
	plystra_restore_user(&ctx);
	SPI_finish();
}

/*
 * The partitions of plystra_data.audit_logs.
 *
 * Their row guards are the clones of audit_logs' own.  Their TRUNCATE
 * guard (statement triggers are not cloned) is made here as an internal
 * trigger, and their registry entry as built in: pg_dump dumps neither (it
 * leaves out internal triggers that have no parent), and so a restore,
 * which attaches each dumped partition to the audit_logs CREATE EXTENSION
 * made, protects it again as it attaches it, without the dumped guard
 * colliding with the one made here.
 */

static Oid
rel_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* plystra.append_only_guard() */
static Oid
get_guard_function(void)
{
	return LookupFuncName(list_make2(makeString(PLYSTRA_SCHEMA),
									 makeString("append_only_guard")),
						  0, NULL, false);
}

/* The hint of audit_logs' own TRUNCATE guard, for its partitions' */
static char *
truncate_guard_hint(Oid parentid)
{
	Relation	rel = table_open(parentid, AccessShareLock);
	char	   *hint = NULL;
	int			i;

	for (i = 0; rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *trig = &rel->trigdesc->triggers[i];

		if (TRIGGER_FOR_TRUNCATE(trig->tgtype) && trig->tgnargs > 0 &&
			strcmp(trig->tgname, "plystra_append_only_truncate") == 0)
			hint = pstrdup(trig->tgargs[0]);
	}
	table_close(rel, AccessShareLock);
	return hint;
}

/* Has relid a TRUNCATE trigger running the guard, firing always? */
bool
plystra_has_truncate_guard(Oid relid)
{
	Oid			guard = get_guard_function();
	Relation	rel = table_open(relid, AccessShareLock);
	bool		found = false;
	int			i;

	for (i = 0; rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *trig = &rel->trigdesc->triggers[i];

		if (trig->tgfoid == guard && TRIGGER_FOR_TRUNCATE(trig->tgtype) &&
			TRIGGER_FOR_BEFORE(trig->tgtype) &&
			trig->tgenabled == TRIGGER_FIRES_ALWAYS)
			found = true;
	}
	table_close(rel, AccessShareLock);
	return found;
}

static void
make_internal_truncate_guard(Oid relid, Oid parentid)
{
	CreateTrigStmt *stmt = makeNode(CreateTrigStmt);
	char	   *hint = truncate_guard_hint(parentid);

	stmt->replace = false;
	stmt->isconstraint = false;
	/* PostgreSQL appends the new trigger's OID to an internal one's name */
	stmt->trigname = "plystra_append_only_truncate";
	stmt->relation = makeRangeVar(get_namespace_name(get_rel_namespace(relid)),
								  get_rel_name(relid), -1);
	stmt->funcname = list_make2(makeString(PLYSTRA_SCHEMA),
								makeString("append_only_guard"));
	stmt->args = hint != NULL ? list_make1(makeString(hint)) : NIL;
	stmt->row = false;
	stmt->timing = TRIGGER_TYPE_BEFORE;
	stmt->events = TRIGGER_TYPE_TRUNCATE;
	stmt->columns = NIL;
	stmt->whenClause = NULL;
	stmt->transitionRels = NIL;
	stmt->deferrable = false;
	stmt->initdeferred = false;
	stmt->constrrel = NULL;
	(void) CreateTriggerFiringOn(stmt, NULL, relid, InvalidOid, InvalidOid,
								 InvalidOid, get_guard_function(), InvalidOid,
								 NULL, true, false, TRIGGER_FIRES_ALWAYS);
	CommandCounterIncrement();
}

/*
 * Protect relid, a new partition of plystra_data.audit_logs: registered as
 * built in, its TRUNCATE guard made, and UPDATE, DELETE and TRUNCATE others
 * hold on it revoked.  What it already has is kept.
 */
void
plystra_protect_audit_partition(Oid relid, Oid parentid)
{
	StorageOwnerContext ctx;
	Oid			caller = GetUserId();

	check_partition(relid, parentid);
	/* the storage's, as every table of the audit log */
	if (get_rel_namespace(relid) != get_rel_namespace(parentid))
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("a partition of %s must be in schema %s",
						qualified_name(parentid), PLYSTRA_DATA_SCHEMA),
				 errdetail("Table %s is not.", qualified_name(relid))));
	if (rel_owner(relid) != rel_owner(parentid))
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("a partition of %s must be owned by its owner, %s",
						qualified_name(parentid),
						GetUserNameFromId(rel_owner(parentid), false)),
				 errdetail("Table %s is owned by %s.", qualified_name(relid),
						   GetUserNameFromId(rel_owner(relid), false))));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	revoke_lock_grants_of(relid, qualified_name(relid));
	plystra_become_storage_owner(&ctx);
	if (!plystra_is_append_only(relid))
		register_table(relid, caller, true);
	if (!plystra_has_truncate_guard(relid))
		make_internal_truncate_guard(relid, parentid);
	plystra_restore_user(&ctx);
	SPI_finish();
}

/*
 * plystra._protect_audit_partitions() returns integer
 *
 * The scripts' call: every partition of audit_logs protected (the first
 * ones are made by migration 018, before the guard exists).  Returns how
 * many partitions it has.
 */
PG_FUNCTION_INFO_V1(plystra_protect_audit_partitions);

Datum
plystra_protect_audit_partitions(PG_FUNCTION_ARGS)
{
	Oid			parentid;
	List	   *parts;
	ListCell   *lc;
	int			n = 0;

	plystra_require_own_script("plystra._protect_audit_partitions()");
	parentid = plystra_audit_logs_relid();
	if (!OidIsValid(parentid) || get_rel_relkind(parentid) != RELKIND_PARTITIONED_TABLE)
		elog(ERROR, "plystra_data.audit_logs is not a partitioned table");

	/*
	 * An update drops the table audit_logs was when it held no rows
	 * (migration 018): its entry in the registry goes with it, through the
	 * registry's door, opened for this statement only.
	 */
	{
		Oid			registry = get_relname_relid("append_only_relations",
												 get_rel_namespace(parentid));
		PlystraDoor saved;
		StorageOwnerContext ctx;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		plystra_become_storage_owner(&ctx);
		saved = plystra_door_open(registry, DT_NOEND);
		PG_TRY();
		{
			if (SPI_execute("DELETE FROM plystra_data.append_only_relations r"
							" WHERE r.builtin AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c"
							"  WHERE c.oid OPERATOR(pg_catalog.=) r.relation::pg_catalog.oid)",
							false, 0) != SPI_OK_DELETE)
				elog(ERROR, "could not read the append-only registry");
		}
		PG_FINALLY();
		{
			plystra_door_restore(saved);
		}
		PG_END_TRY();
		plystra_restore_user(&ctx);
		SPI_finish();
	}

	parts = find_inheritance_children(parentid, ShareRowExclusiveLock);
	foreach(lc, parts)
	{
		plystra_protect_audit_partition(lfirst_oid(lc), parentid);
		n++;
	}
	PG_RETURN_INT32(n);
}
