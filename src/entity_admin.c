/*-------------------------------------------------------------------------
 *
 * entity_admin.c
 *	  Privileged maintenance of soft-deleted entities: plystra.restore()
 *	  and plystra.purge_deleted().
 *
 * Both take an entity as plystra.<name> or plystra_data.<name>, act on its
 * storage as the storage owner, and are audited: restore() through the
 * deleted_at trigger (entity.restored), purge_deleted() with an
 * entity.purged row.  EXECUTE on both is revoked from PUBLIC.
 *
 * purge_deleted() removes rows soft-deleted longer ago than the interval.
 * What happens to the rows that reference them is declared, per
 * referencing column, in plystra_data.reference_policies, a registry the
 * migration that creates a table writes:
 *
 * - 'delete': relationship rows that belong to the entity (user_members,
 *	 member_roles, ...) go with it; they mean nothing without it;
 * - 'clear': a reference that only says who did something (granted_by,
 *	 updated_by, installed_by) is set to null;
 * - 'restrict', and any reference the registry does not list: the purge
 *	 refuses while such a row exists, naming the table, and removes
 *	 nothing.  A scope (a role's or a setting's space) is never cleared: a
 *	 tenant's role would become global.
 *
 * Audit rows name users by id without a foreign key and stay.  The purge
 * runs as the storage owner without a security-restricted context, since
 * deleting rows of a table with deferrable self-references queues deferred
 * foreign key checks, which such a context may not.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/entity_admin.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_restore);
PG_FUNCTION_INFO_V1(plystra_purge_deleted);

/*
 * The storage table of a soft-deletable entity given as plystra.<name>,
 * plystra.deleted_<name> or plystra_data.<name>; errors for anything else.
 */
static Oid
entity_storage(Oid relid, char **storage_name)
{
	char	   *nspname;
	char	   *relname = get_rel_name(relid);
	Oid			dataoid;
	Oid			storage;

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (strcmp(nspname, PLYSTRA_SCHEMA) != 0 && strcmp(nspname, PLYSTRA_DATA_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an entity of plystra", relname),
				 errhint("Name the entity as plystra.<name>, e.g. plystra.users.")));
	/* plystra.deleted_<name>, the view of its deleted rows, names it too */
	if (strcmp(nspname, PLYSTRA_SCHEMA) == 0 && strncmp(relname, "deleted_", 8) == 0 &&
		get_rel_relkind(relid) == RELKIND_VIEW)
		relname += 8;
	dataoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, false);
	storage = get_relname_relid(relname, dataoid);
	if (!OidIsValid(storage) || get_rel_relkind(storage) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an entity of plystra", relname)));
	if (get_attnum(storage, "deleted_at") == InvalidAttrNumber ||
		get_attnum(storage, "id") == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not soft-deletable", relname),
				 errdetail("Its rows are removed by DELETE; only entities with a deleted_at column are soft-deleted.")));
	*storage_name = quote_qualified_identifier(PLYSTRA_DATA_SCHEMA, relname);
	return storage;
}

/*
 * A row comes back only under live parents: for each reference of the
 * storage table that its live_parent_check() trigger follows (plystra_live_
 * parents, the pairs of column and parent table), the parent the row names
 * must not be soft-deleted, or the restore would bring back an orphan (a
 * group of a deleted space).  The parent rows are locked FOR SHARE, as
 * live_parent_check() locks them, so that none is deleted until this
 * transaction ends.  Runs as the storage owner, connected to SPI.
 */
static void
refuse_deleted_parents(Oid storage, const char *storage_name, Datum id)
{
	Relation	rel = table_open(storage, AccessShareLock);
	Trigger    *pairs = plystra_trigger_named(rel, "plystra_live_parents");
	int			i;

	for (i = 0; pairs != NULL && i + 1 < pairs->tgnargs; i += 2)
	{
		const char *column = pairs->tgargs[i];
		Oid			parentid = plystra_storage_table(pairs->tgargs[i + 1], pairs->tgname);
		char	   *parent = get_rel_name(parentid);
		Oid			argtypes[1] = {INT8OID};
		Datum		values[1] = {id};
		bool		isnull;
		int			ret;

		if (get_attnum(parentid, "deleted_at") == InvalidAttrNumber)
			continue;
		ret = SPI_execute_with_args(psprintf("SELECT p.id, p.deleted_at IS NULL"
											 "  FROM %s p"
											 " WHERE p.id OPERATOR(pg_catalog.=)"
											 "       (SELECT c.%s FROM %s c WHERE c.id OPERATOR(pg_catalog.=) $1)"
											 "   FOR SHARE OF p",
											 quote_qualified_identifier(PLYSTRA_DATA_SCHEMA, parent),
											 quote_identifier(column), storage_name),
									1, argtypes, values, NULL, false, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read the parent of %s: %s", storage_name,
				 SPI_result_code_string(ret));
		if (SPI_processed == 1 &&
			!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		{
			int64		parent_row = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
																 SPI_tuptable->tupdesc, 1, &isnull));

			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_RESTORE_CONFLICT),
					 errmsg("cannot restore %s row %lld: its %s (%s) row %lld is deleted",
							storage_name, (long long) DatumGetInt64(id), column,
							parent, (long long) parent_row),
					 errdetail("A restored row would reference a deleted one."),
					 errhint("Restore the parent first: SELECT plystra.restore('plystra.%s', %lld);",
							 parent, (long long) parent_row)));
		}
	}
	table_close(rel, AccessShareLock);
}

/*
 * plystra.restore(rel regclass, id bigint) returns boolean
 *
 * Brings a soft-deleted row back.  False when the row is live already; an
 * error when there is no such row, when a parent it references is deleted
 * (restore that first), or when a live row now holds one of its unique keys
 * (saying which).
 */
Datum
plystra_restore(PG_FUNCTION_ARGS)
{
	char	   *storage_name;
	Oid			storage;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	StorageOwnerContext ctx;
	uint64		restored = 0;
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and id must not be null")));
	storage = entity_storage(PG_GETARG_OID(0), &storage_name);
	values[0] = PG_GETARG_DATUM(1);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* a unique violation is caught to say which key, in a subtransaction */
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		plystra_become_storage_owner(&ctx);
		refuse_deleted_parents(storage, storage_name, values[0]);
		ret = SPI_execute_with_args(psprintf("UPDATE %s SET deleted_at = NULL"
											 " WHERE id OPERATOR(pg_catalog.=) $1"
											 "   AND deleted_at IS NOT NULL", storage_name),
									1, argtypes, values, NULL, false, 0);
		plystra_restore_user(&ctx);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "restore failed: %s", SPI_result_code_string(ret));
		restored = SPI_processed;
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		plystra_restore_user(&ctx);

		if (edata->sqlerrcode == ERRCODE_UNIQUE_VIOLATION)
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_RESTORE_CONFLICT),
					 errmsg("cannot restore %s row %lld: a live row holds its unique key %s",
							storage_name, (long long) DatumGetInt64(values[0]),
							edata->constraint_name ? edata->constraint_name : "?"),
					 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
					 errhint("Change or delete the live row first, or change the key of the deleted one.")));
		ReThrowError(edata);
	}
	PG_END_TRY();

	if (restored == 0)
	{
		ret = SPI_execute_with_args(psprintf("SELECT 1 FROM %s WHERE id OPERATOR(pg_catalog.=) $1",
											 storage_name),
									1, argtypes, values, NULL, true, 1);
		if (ret == SPI_OK_SELECT && SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("%s has no row with id %lld",
							storage_name, (long long) DatumGetInt64(values[0]))));
	}
	SPI_finish();
	PG_RETURN_BOOL(restored > 0);
}

/* what purge_deleted() does with the rows that reference a purged row */
typedef enum PurgeAction
{
	PURGE_REFUSE,				/* the purge fails when any row references one */
	PURGE_REMOVE_ROWS,			/* relationship rows go with the rows they belong to */
	PURGE_CLEAR_REFERENCE		/* a nullable reference is set to null */
} PurgeAction;

/* one single-column foreign key that references the purged entity */
typedef struct PurgeReference
{
	char	   *table;			/* referencing table, qualified as needed */
	char	   *column;			/* referencing column, quoted */
	bool		self;			/* the entity references itself */
	PurgeAction action;
} PurgeReference;

/*
 * plystra.purge_deleted(rel regclass, older_than interval) returns bigint
 */
Datum
plystra_purge_deleted(PG_FUNCTION_ARGS)
{
	char	   *storage_name;
	Oid			storage;
	Interval   *older_than;
	TimestampTz cutoff;
	Oid			argtypes[2] = {TIMESTAMPTZOID, OIDOID};
	Datum		values[2];
	StorageOwnerContext ctx;
	PurgeReference *refs;
	uint64		nrefs;
	uint64		i;
	uint64		purged;
	int			ret;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and interval must not be null")));
	storage = entity_storage(PG_GETARG_OID(0), &storage_name);
	older_than = PG_GETARG_INTERVAL_P(1);
	if (older_than->time < 0 || older_than->day < 0 || older_than->month < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the interval must not be negative")));
	cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
													 TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
													 IntervalPGetDatum(older_than)));
	values[0] = TimestampTzGetDatum(cutoff);
	values[1] = ObjectIdGetDatum(storage);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner_unrestricted(&ctx);

	/*
	 * The foreign keys that reference the entity, with the policy of their
	 * column; a key of several columns, or of a table outside plystra_data,
	 * restricts.
	 */
	ret = SPI_execute_with_args("SELECT c.conrelid::pg_catalog.regclass::pg_catalog.text,"
								"       pg_catalog.quote_ident(a.attname),"
								"       c.conrelid OPERATOR(pg_catalog.=) c.confrelid,"
								"       CASE WHEN pg_catalog.cardinality(c.conkey) OPERATOR(pg_catalog.=) 1"
								"            THEN p.policy END"
								"  FROM pg_catalog.pg_constraint c"
								"  JOIN pg_catalog.pg_class cr ON cr.oid OPERATOR(pg_catalog.=) c.conrelid"
								"  JOIN pg_catalog.pg_attribute a"
								"    ON a.attrelid OPERATOR(pg_catalog.=) c.conrelid"
								"   AND a.attnum OPERATOR(pg_catalog.=) c.conkey[1]"
								"  LEFT JOIN plystra_data.reference_policies p"
								"    ON cr.relnamespace OPERATOR(pg_catalog.=) 'plystra_data'::pg_catalog.regnamespace"
								"   AND p.table_name OPERATOR(pg_catalog.=) cr.relname"
								"   AND p.column_name OPERATOR(pg_catalog.=) a.attname"
								" WHERE c.contype OPERATOR(pg_catalog.=) 'f'"
								"   AND c.confrelid OPERATOR(pg_catalog.=) $2"
								" ORDER BY 1, 2",
								2, argtypes, values, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the foreign keys of %s", storage_name);
	nrefs = SPI_processed;
	refs = palloc0(nrefs * sizeof(PurgeReference));
	for (i = 0; i < nrefs; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		char	   *policy = SPI_getvalue(tuple, tupdesc, 4);

		refs[i].table = SPI_getvalue(tuple, tupdesc, 1);
		refs[i].column = SPI_getvalue(tuple, tupdesc, 2);
		refs[i].self = strcmp(SPI_getvalue(tuple, tupdesc, 3), "t") == 0;
		if (policy != NULL && strcmp(policy, "delete") == 0 && !refs[i].self)
			refs[i].action = PURGE_REMOVE_ROWS;
		else if (policy != NULL && strcmp(policy, "clear") == 0 && !refs[i].self)
			refs[i].action = PURGE_CLEAR_REFERENCE;
		else
			refs[i].action = PURGE_REFUSE;
	}

	/* first refuse, then remove: nothing is removed when anything refuses */
	for (i = 0; i < nrefs; i++)
	{
		const char *table = refs[i].table;
		const char *column = refs[i].column;
		bool		isnull;
		int64		n;

		if (refs[i].action != PURGE_REFUSE)
			continue;
		ret = SPI_execute_with_args(psprintf("SELECT pg_catalog.count(*) FROM %s r"
											 " WHERE r.%s IN (SELECT id FROM %s"
											 "                 WHERE deleted_at OPERATOR(pg_catalog.<) $1)%s",
											 table, column, storage_name,
											 refs[i].self ? " AND NOT coalesce(r.deleted_at OPERATOR(pg_catalog.<) $1, false)" : ""),
									1, argtypes, values, NULL, true, 1);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not count the references from %s", table);
		n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg_plural("cannot purge deleted rows of %s: %lld row of %s still references them",
								   "cannot purge deleted rows of %s: %lld rows of %s still reference them",
								   n, storage_name, (long long) n, table),
					 errdetail("Only relationship rows are removed with the entities they belong to, and only references that say who did something are cleared (plystra_data.reference_policies)."),
					 errhint("Delete or move the rows of %s that reference them (column %s) first.",
							 table, column)));
	}
	for (i = 0; i < nrefs; i++)
	{
		const char *table = refs[i].table;
		const char *column = refs[i].column;

		if (refs[i].action == PURGE_REMOVE_ROWS)
		{
			ret = SPI_execute_with_args(psprintf("DELETE FROM %s WHERE %s IN (SELECT id FROM %s"
												 " WHERE deleted_at OPERATOR(pg_catalog.<) $1)",
												 table, column, storage_name),
										1, argtypes, values, NULL, false, 0);
			if (ret != SPI_OK_DELETE)
				elog(ERROR, "could not remove the relationship rows of %s", table);
		}
		else if (refs[i].action == PURGE_CLEAR_REFERENCE)
		{
			ret = SPI_execute_with_args(psprintf("UPDATE %s SET %s = NULL WHERE %s IN (SELECT id FROM %s"
												 " WHERE deleted_at OPERATOR(pg_catalog.<) $1)",
												 table, column, column, storage_name),
										1, argtypes, values, NULL, false, 0);
			if (ret != SPI_OK_UPDATE)
				elog(ERROR, "could not clear the references of %s", table);
		}
	}

	ret = SPI_execute_with_args(psprintf("DELETE FROM %s WHERE deleted_at OPERATOR(pg_catalog.<) $1",
										 storage_name),
								1, argtypes, values, NULL, false, 0);
	if (ret != SPI_OK_DELETE)
		elog(ERROR, "could not purge %s: %s", storage_name, SPI_result_code_string(ret));
	purged = SPI_processed;
	plystra_restore_user(&ctx);

	{
		StringInfoData details;

		initStringInfo(&details);
		plystra_details_text(&details, "table", storage_name);
		plystra_details_time(&details, "deleted_before", cutoff);
		plystra_details_int(&details, "rows", (int64) purged);
		plystra_audit("entity.purged", NULL, get_rel_name(storage), "", &details);
	}

	SPI_finish();
	PG_RETURN_INT64((int64) purged);
}
