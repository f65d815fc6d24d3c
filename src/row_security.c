/*-------------------------------------------------------------------------
 *
 * row_security.c
 *	  The owner of the interface views, and the rows a transaction has
 *	  soft-deleted through them.
 *
 * The interface views that hide rows (deleted entities, relationships of
 * deleted parents) are plain, flattenable views owned by the role
 * plystra_interface: a NOLOGIN role nobody is a member of, which is no
 * superuser and cannot bypass row-level security.  The storage under those
 * views has row-level security policies that hide the rows from that role.
 * PostgreSQL checks a view's base tables as the view's owner, so the
 * policies apply to every caller of the views, superusers included, as
 * security quals: a caller's leaky function or operator runs after them,
 * while leakproof join and lookup conditions still reach the indexes (a
 * security_barrier view keeps its subquery apart, and a join into it
 * scans the whole table).
 *
 * plystra._interface_role() creates that role when the cluster has none,
 * and refuses one that could be used: a role that can log in, has members
 * or memberships, or attributes beyond NOLOGIN.  Roles are shared by the
 * databases of a cluster; the role outlives DROP EXTENSION.
 *
 * plystra._soft_deleting(rel, id) is part of the policy of soft-deletable
 * entities: an UPDATE through a view that reads columns must leave a row
 * the view's owner may see, and UPDATE ... SET deleted_at = now() (what
 * ORMs send to soft-delete) would otherwise fail that check.  The BEFORE
 * UPDATE trigger that dates a soft delete notes the row here, the policy
 * admits a noted row, and the AFTER trigger that audits the soft delete
 * forgets it; the view itself still shows live rows only.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/row_security.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_interface_role);
PG_FUNCTION_INFO_V1(plystra_soft_deleting);

/*
 * A row an UPDATE of the current transaction is soft-deleting: noted by the
 * trigger that dates the soft delete (BEFORE), forgotten by the one that
 * audits it (AFTER, at the end of the statement, once row-level security
 * has checked the new row), and by the abort of the subtransaction that
 * noted it.  So a note admits nothing beyond the statement that deletes
 * the row.
 */
typedef struct SoftDeletedKey
{
	Oid			relid;
	int64		id;
} SoftDeletedKey;

typedef struct SoftDeletedEntry
{
	SoftDeletedKey key;
	SubTransactionId subid;		/* the subtransaction that noted it */
} SoftDeletedEntry;

/* in TopTransactionContext; NULL when this transaction deleted nothing */
static HTAB *soft_deleted = NULL;
static bool callback_registered = false;

static void
forget_soft_deleted(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			soft_deleted = NULL;	/* its memory goes with the transaction */
			break;
		default:
			break;
	}
}

/* A subtransaction's notes go with its abort, or to its parent. */
static void
forget_soft_deleted_sub(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS status;
	SoftDeletedEntry *entry;

	if (soft_deleted == NULL ||
		(event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB))
		return;
	hash_seq_init(&status, soft_deleted);
	while ((entry = (SoftDeletedEntry *) hash_seq_search(&status)) != NULL)
	{
		if (entry->subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_ABORT_SUB)
			(void) hash_search(soft_deleted, &entry->key, HASH_REMOVE, NULL);
		else
			entry->subid = parentSubid;
	}
}

static void
soft_deleted_key(SoftDeletedKey *key, Oid relid, int64 id)
{
	memset(key, 0, sizeof(*key));
	key->relid = relid;
	key->id = id;
}

/*
 * Called by the trigger that dates a soft delete, for the row it is
 * deleting.
 */
void
plystra_note_soft_delete(Oid relid, int64 id)
{
	SoftDeletedKey key;
	SoftDeletedEntry *entry;

	if (soft_deleted == NULL)
	{
		HASHCTL		ctl;

		if (!callback_registered)
		{
			RegisterXactCallback(forget_soft_deleted, NULL);
			RegisterSubXactCallback(forget_soft_deleted_sub, NULL);
			callback_registered = true;
		}
		ctl.keysize = sizeof(SoftDeletedKey);
		ctl.entrysize = sizeof(SoftDeletedEntry);
		ctl.hcxt = TopTransactionContext;
		soft_deleted = hash_create("plystra soft-deleted rows", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	soft_deleted_key(&key, relid, id);
	entry = (SoftDeletedEntry *) hash_search(soft_deleted, &key, HASH_ENTER, NULL);
	entry->subid = GetCurrentSubTransactionId();
}

/* Called by the trigger that audits the soft delete: the UPDATE is done. */
void
plystra_forget_soft_delete(Oid relid, int64 id)
{
	SoftDeletedKey key;

	if (soft_deleted == NULL)
		return;
	soft_deleted_key(&key, relid, id);
	(void) hash_search(soft_deleted, &key, HASH_REMOVE, NULL);
}

/*
 * plystra._soft_deleting(rel regclass, id bigint) returns boolean
 *
 * Whether a statement of this transaction is soft-deleting row id of rel
 * (noted and not yet forgotten, see above).  Only the
 * transaction's own backend knows, so a parallel worker answers false,
 * which is right for every query that only reads.
 */
Datum
plystra_soft_deleting(PG_FUNCTION_ARGS)
{
	SoftDeletedKey key;

	if (soft_deleted == NULL)
		PG_RETURN_BOOL(false);
	soft_deleted_key(&key, PG_GETARG_OID(0), PG_GETARG_INT64(1));
	PG_RETURN_BOOL(hash_search(soft_deleted, &key, HASH_FIND, NULL) != NULL);
}

/*
 * Why the role roleid cannot own the interface, or NULL when it can.
 */
static const char *
interface_role_problem(Oid roleid)
{
	HeapTuple	tuple;
	Form_pg_authid form;
	bool		isnull;
	const char *problem = NULL;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;

	tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for role %u", roleid);
	form = (Form_pg_authid) GETSTRUCT(tuple);
	if (form->rolsuper)
		problem = "it is a superuser";
	else if (form->rolbypassrls)
		problem = "it bypasses row-level security";
	else if (form->rolcanlogin)
		problem = "it can log in";
	else if (form->rolcreaterole || form->rolcreatedb || form->rolreplication)
		problem = "it has CREATEROLE, CREATEDB or REPLICATION";
	else
	{
		(void) SysCacheGetAttr(AUTHOID, tuple, Anum_pg_authid_rolpassword, &isnull);
		if (!isnull)
			problem = "it has a password";
	}
	ReleaseSysCache(tuple);
	if (problem != NULL)
		return problem;

	/* nobody may act as it, and it may act as nobody else */
	rel = table_open(AuthMemRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_auth_members_roleid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(roleid));
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
	if (HeapTupleIsValid(systable_getnext(scan)))
		problem = "it has members";
	systable_endscan(scan);
	if (problem == NULL)
	{
		ScanKeyInit(&key, Anum_pg_auth_members_member, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(roleid));
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
		if (HeapTupleIsValid(systable_getnext(scan)))
			problem = "it is a member of another role";
		systable_endscan(scan);
	}
	table_close(rel, AccessShareLock);
	return problem;
}

/*
 * plystra._interface_role() returns regrole
 *
 * The role that owns the interface views: created when missing, refused
 * when it exists and could be used to read or write the storage.  Called
 * by the extension's scripts only.
 */
Datum
plystra_interface_role(PG_FUNCTION_ARGS)
{
	Oid			roleid;
	const char *problem;

	plystra_require_own_script("_interface_role");

	roleid = get_role_oid(PLYSTRA_INTERFACE_ROLE, true);
	if (!OidIsValid(roleid))
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute("CREATE ROLE " PLYSTRA_INTERFACE_ROLE
						" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
						" NOREPLICATION NOBYPASSRLS", false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not create role \"%s\"", PLYSTRA_INTERFACE_ROLE);
		if (SPI_execute("COMMENT ON ROLE " PLYSTRA_INTERFACE_ROLE " IS "
						"'Owns the interface views of extension plystra; nobody logs in as it or is a member of it'",
						false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not comment on role \"%s\"", PLYSTRA_INTERFACE_ROLE);
		SPI_finish();
		CommandCounterIncrement();
		roleid = get_role_oid(PLYSTRA_INTERFACE_ROLE, false);
	}

	problem = interface_role_problem(roleid);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_EXTENSION_OBJECT),
				 errmsg("role \"%s\" cannot own the interface of extension \"%s\"",
						PLYSTRA_INTERFACE_ROLE, PLYSTRA_EXTENSION_NAME),
				 errdetail("The role exists and %s; whoever can act as it could read and write every stored row.",
						   problem),
				 errhint("Make it NOLOGIN, with no attributes, members or memberships (or drop it), then run the command again.")));
	PG_RETURN_OID(roleid);
}
