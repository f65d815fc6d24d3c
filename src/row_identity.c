/*-------------------------------------------------------------------------
 *
 * row_identity.c
 *	  The id of a row is the server's: assigned by its sequence, never
 *	  chosen by a client, never changed.
 *
 * Audit rows, sessions and relationships name rows by id.  If an
 * application could choose or renumber ids, it could make a purged user's
 * audit trail point at a new user (insert id 1 again after user 1 was
 * purged), or take the ids the sequence will hand out next, so that every
 * later insert, the extension's own audit rows among them, fails with a
 * duplicate key.
 *
 * plystra.server_id_guard() runs BEFORE INSERT FOR EACH ROW on every table
 * of plystra_data with an identity id: a row's id must be the value the
 * identity default has just drawn from the column's sequence in this
 * session (its currval), which is what every insert that leaves the id out
 * gets.  A row that names an id of its own is refused.  plystra.id_guard()
 * runs BEFORE UPDATE OF id FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM
 * NEW.id) and refuses renumbering.  The storage owner (and so a superuser)
 * keeps the ids it writes: that is how dumps are restored.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/row_identity.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_id_guard);
PG_FUNCTION_INFO_V1(plystra_server_id_guard);

/* per table, kept until a relcache invalidation (plan_cache.c) */
typedef struct IdentityEntry
{
	AttrNumber	attnum;			/* the id column */
	Oid			seqid;			/* the sequence of its identity */
} IdentityEntry;

/*
 * The sequence the id of relid's rows comes from: its identity's, or one
 * the column owns (a partitioned table cannot share an identity with its
 * partitions on every version: audit_logs draws from audit_logs_id_seq,
 * which its id column owns).  A partition's rows take their id from its
 * partitioned table's.
 */
static Oid
id_sequence(Relation rel, AttrNumber attnum)
{
	Oid			relid = RelationGetRelid(rel);
	ListCell   *lc;

	if (TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attidentity != '\0')
#if PG_VERSION_NUM >= 170000
		return getIdentitySequence(rel, attnum, false);
#else
		return getIdentitySequence(relid, attnum, false);
#endif
	if (rel->rd_rel->relispartition)
	{
		relid = plystra_partition_root(relid);
		attnum = get_attnum(relid, "id");
	}
	foreach(lc, getOwnedSequences(relid))
	{
		Oid			tableid;
		int32		colid;

		if (sequenceIsOwned(lfirst_oid(lc), DEPENDENCY_AUTO, &tableid, &colid) &&
			tableid == relid && colid == attnum)
			return lfirst_oid(lc);
	}
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("relation \"%s\" has no identity column \"id\"",
					RelationGetRelationName(rel))));
	return InvalidOid;			/* keep compiler quiet */
}

static IdentityEntry *
identity_of(Relation rel)
{
	PlystraPlanSet *set = plystra_plan_set(PLYSTRA_PLANS_IDENTITY,
										   RelationGetRelid(rel), InvalidOid);
	IdentityEntry *entry;
	AttrNumber	attnum;
	Oid			seqid;

	if (set->valid)
		return (IdentityEntry *) set->extra;

	attnum = SPI_fnumber(RelationGetDescr(rel), "id");
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no identity column \"id\"",
						RelationGetRelationName(rel))));
	seqid = id_sequence(rel, attnum);
	entry = MemoryContextAlloc(set->cxt, sizeof(IdentityEntry));
	entry->seqid = seqid;
	entry->attnum = attnum;
	set->extra = entry;
	set->valid = true;
	return entry;
}

/*
 * A new row of rel without an id gets the next value of its sequence,
 * drawn as the table's owner would draw it (no privilege on the sequence
 * is needed).  For tables whose id has no default: audit_logs, whose
 * partitions could not share an identity.  Returns the column's number,
 * *id set to the value, or 0 when the row names an id.
 */
int16
plystra_draw_server_id(Relation rel, HeapTuple tuple, Datum *id)
{
	IdentityEntry *entry = identity_of(rel);

	if (!heap_attisnull(tuple, entry->attnum, RelationGetDescr(rel)))
		return 0;
	*id = Int64GetDatum(nextval_internal(entry->seqid, false));
	return entry->attnum;
}

static void
refuse_client_id(Relation rel, Datum id)
{
	Oid			relid;

	/* a partition's rows are named by the table the statement named */
	relid = plystra_partition_root(RelationGetRelid(rel));
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("the id of a new row of \"%s\" is assigned by the server",
					get_rel_name(relid)),
			 errdetail("The row names id %lld, which its sequence did not just assign.",
					   (long long) DatumGetInt64(id)),
			 errhint("Leave the id out of the INSERT and read it back with RETURNING id.")));
}

/*
 * A new row's id must be the one the identity default has just drawn in
 * this session: the column sequence's currval.  A sequence not used yet in
 * this session has no currval, so the row cannot have its id from it.
 * currval is read as the table's owner, who owns the sequence: the writing
 * role has no privilege on it (the identity default needs none).
 */
void
plystra_check_server_id(Relation rel, HeapTuple tuple)
{
	IdentityEntry *entry = identity_of(rel);
	bool		isnull;
	Datum		id;
	Datum		current = (Datum) 0;
	bool		defined = true;
	Oid			save_userid;
	int			save_sec_context;
	MemoryContext oldcontext = CurrentMemoryContext;

	id = heap_getattr(tuple, entry->attnum, RelationGetDescr(rel), &isnull);
	if (isnull)
		return;					/* NOT NULL reports it */

	/* the table's owner owns its identity sequence */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(rel->rd_rel->relowner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		current = DirectFunctionCall1(currval_oid, ObjectIdGetDatum(entry->seqid));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/*
		 * "currval is not yet defined in this session" means the row did not
		 * get its id from the sequence.  The error is turned into our own
		 * below, never swallowed: currval_oid() may hold the sequence open,
		 * which only the abort of the transaction releases, so this path
		 * must always end in an error.
		 */
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
			PG_RE_THROW();
		FlushErrorState();
		defined = false;
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_userid, save_sec_context);

	if (!defined || DatumGetInt64(current) != DatumGetInt64(id))
		refuse_client_id(rel, id);	/* does not return */
}

/*
 * plystra.server_id_guard() returns trigger
 *	BEFORE INSERT ON plystra_data.<table> FOR EACH ROW
 */
Datum
plystra_server_id_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;

	trigdata = plystra_trigger_call(fcinfo, "server_id_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT);
	rel = trigdata->tg_relation;
	if (!plystra_is_storage_owner())
		plystra_check_server_id(rel, trigdata->tg_trigtuple);
	return PointerGetDatum(trigdata->tg_trigtuple);
}

/*
 * plystra.id_guard() returns trigger
 *	BEFORE UPDATE OF id ON plystra_data.<table> FOR EACH ROW
 *	WHEN (OLD.id IS DISTINCT FROM NEW.id)
 */
Datum
plystra_id_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;

	trigdata = plystra_trigger_call(fcinfo, "id_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_UPDATE);

	rel = trigdata->tg_relation;
	if (plystra_is_storage_owner())
		return PointerGetDatum(trigdata->tg_newtuple);

	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_ROW_POLICY),
			 errmsg("the id of a row of \"%s\" cannot be changed",
					RelationGetRelationName(rel)),
			 errdetail("Audit rows and relationships name rows by id."),
			 errhint("Insert a new row instead.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}
