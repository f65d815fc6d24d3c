/*-------------------------------------------------------------------------
 *
 * storage.c
 *	  Acting as the owner of the extension's storage, plystra_data.
 *
 * The extension's C functions read and write plystra_data on behalf of
 * roles that have no privilege on it (applications are granted schema
 * plystra only).  They do so as the owner of the schema, the way
 * PostgreSQL's own foreign key triggers act as the table owner: the user
 * id is switched for the one query, in a restricted security context, and
 * switched back.  Plans are prepared as the owner too, since parse
 * analysis checks privileges on the schema.  This file also holds the one
 * definition of the storage owner (plystra_is_storage_owner()), of
 * which table a trigger argument may name (plystra_storage_table()), of
 * where the triggers that declare references are found
 * (plystra_trigger_named(), plystra_tables_with_trigger()), of the
 * audit log's table (plystra_audit_logs_relid()), and of the table a
 * partition's rows are named by (plystra_partition_root()).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/storage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/reltrigger.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "plystra.h"

/* Is the extension's storage schema there at all? */
bool
plystra_storage_present(void)
{
	return OidIsValid(get_namespace_oid(PLYSTRA_DATA_SCHEMA, true));
}

/* The owner of plystra_data; an error when the extension is not installed. */
static Oid
storage_owner(void)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, true);
	HeapTuple	tuple;
	Oid			owner;

	if (!OidIsValid(nspoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"%s\" does not exist", PLYSTRA_DATA_SCHEMA),
				 errhint("Is the extension plystra installed in this database?")));
	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspoid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for schema %u", nspoid);
	owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * The role on whose behalf the extension acts: the user before the first
 * switch to the storage owner, so that audit rows written from triggers
 * that fire inside a switched query still name who did it.
 */
static Oid	acting_user = InvalidOid;

Oid
plystra_acting_user(void)
{
	return OidIsValid(acting_user) ? acting_user : GetUserId();
}

/*
 * Is the current user the storage owner, or a superuser?  That role keeps
 * what it writes as it is: it restores dumps and applies logical
 * replication.  Applications never own the storage.  This is the one
 * definition of "the storage owner" the guards use: the role the
 * extension's functions become to act on plystra_data.
 */
bool
plystra_is_storage_owner(void)
{
	return superuser() || GetUserId() == storage_owner();
}

/*
 * What is saved in ctx is saved before anything can fail, so that
 * plystra_restore_user(ctx) is right after any attempt to switch.
 */
static void
become_owner(StorageOwnerContext *ctx, int flags)
{
	ctx->save_acting_user = acting_user;
	GetUserIdAndSecContext(&ctx->save_userid, &ctx->save_sec_context);
	if (!OidIsValid(acting_user))
		acting_user = ctx->save_userid;
	SetUserIdAndSecContext(storage_owner(), ctx->save_sec_context |
						   SECURITY_LOCAL_USERID_CHANGE | flags);
}

/*
 * Act as the storage owner in a security-restricted operation, as
 * PostgreSQL's maintenance commands act as a table's owner.
 */
void
plystra_become_storage_owner(StorageOwnerContext *ctx)
{
	become_owner(ctx, SECURITY_RESTRICTED_OPERATION);
}

/*
 * Act as the storage owner without the restriction: for statements that
 * queue deferred triggers (deleting rows of a table referenced by a
 * deferrable foreign key), which a security-restricted operation may not.
 * Only the extension's own statements on plystra_data run like this.
 */
void
plystra_become_storage_owner_unrestricted(StorageOwnerContext *ctx)
{
	become_owner(ctx, 0);
}

void
plystra_restore_user(StorageOwnerContext *ctx)
{
	SetUserIdAndSecContext(ctx->save_userid, ctx->save_sec_context);
	acting_user = ctx->save_acting_user;
}

/* An error while switched: forget the acting user with the transaction. */
void
plystra_reset_acting_user(void)
{
	acting_user = InvalidOid;
}

/*
 * Run a query as the storage owner, preparing and keeping its plan in *plan
 * on first use.  With latest, read the latest committed rows rather than
 * the transaction's snapshot.  The caller is connected to SPI.  An error
 * leaves the user switched, which transaction abort undoes, as for any
 * SECURITY DEFINER function.
 */
int
plystra_execute_as_owner(SPIPlanPtr *plan, const char *query, int nargs,
						 Oid *argtypes, Datum *values, bool latest, long count)
{
	StorageOwnerContext ctx;
	int			ret;

	plystra_become_storage_owner(&ctx);
	if (*plan == NULL)
		*plan = plystra_keep_plan(query, nargs, argtypes);
	if (latest)
		ret = SPI_execute_snapshot(*plan, values, NULL, GetLatestSnapshot(),
								   InvalidSnapshot, false, false, count);
	else
		ret = SPI_execute_plan(*plan, values, NULL, false, count);
	plystra_restore_user(&ctx);
	return ret;
}

/*
 * The number of (column, parent table) pairs in the arguments of a trigger
 * of fname, the shape of every trigger that follows references to their
 * parents (live_parent_check(), parents_live_trigger()): one pair at least,
 * PLYSTRA_MAX_PARENTS at most.
 */
int
plystra_parent_pairs(Trigger *trigger, const char *fname)
{
	if (trigger->tgnargs == 0 || trigger->tgnargs % 2 != 0 ||
		trigger->tgnargs / 2 > PLYSTRA_MAX_PARENTS)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" takes pairs of column and parent table, at most %d",
						fname, PLYSTRA_MAX_PARENTS)));
	return trigger->tgnargs / 2;
}

/*
 * The storage table a trigger argument names ('plystra_data.users'): a
 * table of plystra_data, or an error naming the trigger.
 */
Oid
plystra_storage_table(const char *name, const char *trigger)
{
#if PG_VERSION_NUM >= 160000
	List	   *names = stringToQualifiedNameList(name, NULL);
#else
	List	   *names = stringToQualifiedNameList(name);
#endif
	Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);

	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_RELATION ||
		strcmp(get_namespace_name(get_rel_namespace(relid)), PLYSTRA_DATA_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" names \"%s\", which is not a table of plystra_data",
						trigger, name)));
	return relid;
}

/* The trigger of rel named name, or NULL. */
Trigger *
plystra_trigger_named(Relation rel, const char *name)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	int			k;

	for (k = 0; trigdesc != NULL && k < trigdesc->numtriggers; k++)
		if (strcmp(trigdesc->triggers[k].tgname, name) == 0)
			return &trigdesc->triggers[k];
	return NULL;
}

/*
 * The tables of plystra_data that have a trigger named name, as a palloc'd
 * array of *ntables OIDs: where the references live_parent_check() and
 * parents_live_trigger() follow are declared.  Connected to SPI.
 */
Oid *
plystra_tables_with_trigger(const char *name, int *ntables)
{
	Oid			argtypes[1] = {NAMEOID};
	Datum		values[1] = {CStringGetDatum(name)};
	Oid		   *tables;
	uint64		t;

	if (SPI_execute_with_args("SELECT DISTINCT t.tgrelid FROM pg_catalog.pg_trigger t"
							  "  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid"
							  " WHERE t.tgname OPERATOR(pg_catalog.=) $1"
							  "   AND c.relnamespace OPERATOR(pg_catalog.=) 'plystra_data'::pg_catalog.regnamespace"
							  " ORDER BY 1",
							  1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not find the tables with a trigger named \"%s\"", name);
	tables = palloc(sizeof(Oid) * (SPI_processed + 1));
	for (t = 0; t < SPI_processed; t++)
	{
		bool		isnull;

		tables[t] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[t],
												   SPI_tuptable->tupdesc, 1, &isnull));
	}
	*ntables = (int) SPI_processed;
	return tables;
}

/*
 * The table a partition's rows belong to, as statements name it: the top
 * of its partition tree (relid itself when it is no partition).
 */
Oid
plystra_partition_root(Oid relid)
{
	if (!get_rel_relispartition(relid))
		return relid;
	return llast_oid(get_partition_ancestors(relid));
}

/* plystra_data.audit_logs, or InvalidOid */
Oid
plystra_audit_logs_relid(void)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, true);

	if (!OidIsValid(nspoid))
		return InvalidOid;
	return get_relname_relid("audit_logs", nspoid);
}
