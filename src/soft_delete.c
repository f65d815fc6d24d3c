/*-------------------------------------------------------------------------
 *
 * soft_delete.c
 *	  Soft delete: DELETE through the interface keeps the row, and every
 *	  change of deleted_at is audited; children of deleted entities are
 *	  refused.
 *
 * plystra.soft_delete_trigger(storage) is the INSTEAD OF DELETE FOR EACH
 * ROW trigger of an interface view.  It sets deleted_at of the storage row
 * (as the storage owner; the caller needs DELETE on the view only) and
 * returns the row as it was, so that the command tag counts the rows it
 * soft-deleted and RETURNING returns them.  A row that another transaction
 * deleted meanwhile matches nothing, and is not counted: a DELETE of a
 * deleted row affects 0 rows and leaves deleted_at as it was.  The UPDATE
 * is prepared once per view and kept (plan_cache.c).
 *
 * plystra.deleted_at_audit() is an AFTER UPDATE OF deleted_at row trigger
 * on the storage of soft-deletable entities: it appends entity.deleted or
 * entity.restored to the audit log, whichever way deleted_at was changed
 * (DELETE through the view, UPDATE ... SET deleted_at as ORMs send, or
 * plystra.restore()), has the relationship rows of the entity hidden or
 * shown with it (live_parents.c), and the entities that belong to it
 * deleted or restored with it (cascade.c).
 *
 * The dating of a soft delete (deleted_at_guard()) is timestamps.c's.
 *
 * plystra.live_parent_check(column, parent, ...) is a BEFORE INSERT OR
 * UPDATE row trigger on tables that reference soft-deletable entities: a
 * new or changed reference to a soft-deleted parent is refused (the foreign
 * key alone would accept it), with the foreign key's own error, so that a
 * deleted row cannot be told from a missing one.  It locks the parent row FOR SHARE, which
 * conflicts with the soft delete's UPDATE, so that a concurrent delete and
 * insert cannot leave a live reference to a deleted parent.  The owner of
 * the storage (and so a superuser) is exempt: restoring a dump brings back
 * relationships of entities that were deleted after them, and that is the
 * role that restores; applications never own the storage.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/soft_delete.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "access/xact.h"
#include "utils/varlena.h"
#include "catalog/pg_constraint.h"
#include "utils/acl.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_soft_delete_trigger);
PG_FUNCTION_INFO_V1(plystra_deleted_at_audit);
PG_FUNCTION_INFO_V1(plystra_live_parent_check);

/* what live_parent_check() keeps with its plans: per reference */
typedef struct ParentRefs
{
	char	   *connames[PLYSTRA_MAX_PARENTS];	/* the foreign key */
	bool		deferrable[PLYSTRA_MAX_PARENTS];
	char	   *parentnames[PLYSTRA_MAX_PARENTS];	/* the parent table */
} ParentRefs;

/*
 * plystra.soft_delete_trigger() returns trigger
 *	INSTEAD OF DELETE ON plystra.<entity> FOR EACH ROW
 *	EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.<entity>')
 */
Datum
plystra_soft_delete_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Trigger    *trigger;
	Relation	view;
	PlystraPlanSet *entry;
	int			idnum;
	bool		isnull;
	Datum		values[1];
	Oid			argtypes[1] = {INT8OID};
	StorageOwnerContext ctx;
	int			ret;
	uint64		deleted;

	trigdata = plystra_trigger_call(fcinfo, "soft_delete_trigger", TRIGGER_EVENT_INSTEAD,
									PLYSTRA_ON_DELETE);
	trigger = trigdata->tg_trigger;
	if (trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" takes one argument, the storage table",
						"soft_delete_trigger")));

	view = trigdata->tg_relation;

	/*
	 * The trigger is ENABLE ALWAYS: in replica mode the view would otherwise
	 * report the row deleted and change nothing.  The soft delete itself is
	 * refused there, since the audit trigger on the storage does not fire.
	 */
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("DELETE through \"%s\" is not allowed with session_replication_role = replica",
						RelationGetRelationName(view)),
				 errdetail("A soft delete is audited, and the audit trigger does not fire in replica mode."),
				 errhint("SET session_replication_role = origin to delete rows.")));

	idnum = SPI_fnumber(RelationGetDescr(view), "id");
	if (idnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no column \"id\"",
						RelationGetRelationName(view))));
	values[0] = heap_getattr(trigdata->tg_trigtuple, idnum,
							 RelationGetDescr(view), &isnull);
	if (isnull)
		return PointerGetDatum(NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	entry = plystra_plan_set(PLYSTRA_PLANS_SOFT_DELETE, RelationGetRelid(view),
							 trigger->tgoid);
	plystra_become_storage_owner(&ctx);
	if (!entry->valid)
	{
		Oid			storage = plystra_storage_table(trigger->tgargs[0], trigger->tgname);

		entry->plans[0] = plystra_keep_plan(psprintf("UPDATE %s SET deleted_at = pg_catalog.now()"
													 " WHERE id OPERATOR(pg_catalog.=) $1"
													 "   AND deleted_at IS NULL",
													 quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
																				get_rel_name(storage))),
											1, argtypes);
		entry->nplans = 1;
		entry->valid = true;
	}
	ret = SPI_execute_plan(entry->plans[0], values, NULL, false, 0);
	plystra_restore_user(&ctx);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "soft delete failed: %s", SPI_result_code_string(ret));
	deleted = SPI_processed;
	SPI_finish();

	/* the row as it was, counted; or nothing, when it was gone already */
	return PointerGetDatum(deleted > 0 ? trigdata->tg_trigtuple : NULL);
}

/*
 * plystra.deleted_at_audit() returns trigger
 *	AFTER UPDATE OF deleted_at ON plystra_data.<entity> FOR EACH ROW
 *	WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
 */
Datum
plystra_deleted_at_audit(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	TupleDesc	tupdesc;
	int			delnum;
	int			idnum;
	bool		was_deleted;
	bool		is_deleted;
	bool		isnull;
	char	   *id;
	const char *event;

	trigdata = plystra_trigger_call(fcinfo, "deleted_at_audit", TRIGGER_EVENT_AFTER,
									PLYSTRA_ON_UPDATE);

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	delnum = SPI_fnumber(tupdesc, "deleted_at");
	idnum = SPI_fnumber(tupdesc, "id");
	if (delnum <= 0 || idnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no columns \"id\" and \"deleted_at\"",
						RelationGetRelationName(rel))));

	(void) heap_getattr(trigdata->tg_trigtuple, delnum, tupdesc, &isnull);
	was_deleted = !isnull;
	(void) heap_getattr(trigdata->tg_newtuple, delnum, tupdesc, &isnull);
	is_deleted = !isnull;
	if (was_deleted == is_deleted)
		return PointerGetDatum(NULL);	/* a deleted row's time changed */
	event = is_deleted ? "entity.deleted" : "entity.restored";

	id = SPI_getvalue(trigdata->tg_newtuple, tupdesc, idnum);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* a row its parent's cascade deleted or restored says which parent */
	if (plystra_cascading_from() != NULL)
	{
		StringInfoData details;

		initStringInfo(&details);
		plystra_details_text(&details, "cascaded_from", plystra_cascading_from());
		plystra_audit(event, NULL, RelationGetRelationName(rel), id, &details);
	}
	else
		plystra_audit(event, NULL, RelationGetRelationName(rel), id, NULL);
	/* row-level security has checked the deleted row: forget the note */
	if (is_deleted)
		plystra_forget_soft_delete(RelationGetRelid(rel),
								   DatumGetInt64(heap_getattr(trigdata->tg_newtuple, idnum,
															  tupdesc, &isnull)));
	/* the relationships that belong to it are hidden or shown with it */
	plystra_cascade_parents_live(rel, heap_getattr(trigdata->tg_newtuple, idnum,
												   tupdesc, &isnull));
	/* and the entities that belong to it deleted, or restored, with it */
	plystra_cascade_soft_delete(rel, heap_getattr(trigdata->tg_newtuple, idnum, tupdesc, &isnull),
								is_deleted,
								heap_getattr(is_deleted ? trigdata->tg_newtuple : trigdata->tg_trigtuple,
											 delnum, tupdesc, &isnull));
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * The foreign key of rel by which column attnum references parentid: its
 * name (allocated in cxt) and whether it is deferrable.
 */
static char *
reference_key(Relation rel, int attnum, Oid parentid, bool *deferrable,
			  MemoryContext cxt)
{
	ListCell   *lc;

	*deferrable = false;
	foreach(lc, RelationGetFKeyList(rel))
	{
		ForeignKeyCacheInfo *fk = lfirst_node(ForeignKeyCacheInfo, lc);
		HeapTuple	tuple;
		char	   *name;

		if (fk->nkeys != 1 || fk->conkey[0] != attnum || fk->confrelid != parentid)
			continue;
		tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(fk->conoid));
		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for constraint %u", fk->conoid);
		*deferrable = ((Form_pg_constraint) GETSTRUCT(tuple))->condeferrable;
		name = MemoryContextStrdup(cxt,
								   NameStr(((Form_pg_constraint) GETSTRUCT(tuple))->conname));
		ReleaseSysCache(tuple);
		return name;
	}
	return NULL;
}

/*
 * A reference to a parent that is not there for the caller: missing, or
 * soft-deleted.  Both are reported exactly as PostgreSQL's foreign key
 * check reports a missing row (message, SQLSTATE 23503, and the key's value
 * only to a role that may read the referencing column), so that a role
 * cannot tell a deleted row it cannot see from one that never existed.
 */
static void
report_missing_parent(Relation rel, int attnum, const char *conname,
					  const char *parent, Datum value)
{
	Oid			relid = RelationGetRelid(rel);
	bool		has_perm = true;
	const char *colname = NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname);

	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		has_perm = false;
	else if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
			 pg_attribute_aclcheck(relid, attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		has_perm = false;

	if (conname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("insert or update on table \"%s\" refers to a row of \"%s\" that is not present",
						RelationGetRelationName(rel), parent)));
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"",
					RelationGetRelationName(rel), conname),
			 has_perm ?
			 errdetail("Key (%s)=(%s) is not present in table \"%s\".",
					   colname, DatumGetCString(DirectFunctionCall1(int8out, value)),
					   parent) :
			 errdetail("Key is not present in table \"%s\".", parent),
			 errtableconstraint(rel, conname)));
}

/*
 * plystra.live_parent_check() returns trigger
 *	BEFORE INSERT OR UPDATE ON plystra_data.<table> FOR EACH ROW
 *	EXECUTE FUNCTION plystra.live_parent_check('column', 'plystra_data.parent', ...)
 *
 * A new or changed reference must name a live parent.  A soft-deleted one
 * is refused as a missing one is; the check of a deferrable key leaves a
 * missing parent to the key itself, at commit.
 */
Datum
plystra_live_parent_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	newtuple;
	PlystraPlanSet *entry;
	ParentRefs *refs = NULL;
	StorageOwnerContext ctx;
	int			nparents;
	int			i;
	bool		connected = false;

	trigdata = plystra_trigger_call(fcinfo, "live_parent_check", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT | PLYSTRA_ON_UPDATE);
	trigger = trigdata->tg_trigger;
	nparents = plystra_parent_pairs(trigger, "live_parent_check");

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	newtuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;

	if (plystra_is_storage_owner())
		return PointerGetDatum(newtuple);

	entry = plystra_plan_set(PLYSTRA_PLANS_LIVE_PARENT, RelationGetRelid(rel),
							 trigger->tgoid);
	for (i = 0; i < nparents; i++)
	{
		const char *column = trigger->tgargs[2 * i];
		const char *parent = trigger->tgargs[2 * i + 1];
		int			attnum = SPI_fnumber(tupdesc, column);
		bool		isnull;
		Datum		value;
		Datum		values[1];
		Oid			argtypes[1] = {INT8OID};
		int			ret;

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							column, RelationGetRelationName(rel))));
		value = heap_getattr(newtuple, attnum, tupdesc, &isnull);
		if (isnull)
			continue;
		/* an UPDATE that keeps the reference needs no new check */
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			bool		oldnull;
			Datum		old = heap_getattr(trigdata->tg_trigtuple, attnum, tupdesc, &oldnull);

			if (!oldnull && DatumGetInt64(old) == DatumGetInt64(value))
				continue;
		}

		if (!connected)
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			connected = true;
		}
		plystra_become_storage_owner(&ctx);
		if (!entry->valid)
		{
			/* new, or invalidated, perhaps while this call ran: start afresh */
			entry = plystra_plan_set(PLYSTRA_PLANS_LIVE_PARENT,
									 RelationGetRelid(rel), trigger->tgoid);
			entry->extra = MemoryContextAllocZero(entry->cxt, sizeof(ParentRefs));
			entry->nplans = nparents;
			entry->valid = true;
		}
		refs = (ParentRefs *) entry->extra;
		if (entry->plans[i] == NULL)
		{
			Oid			parentid = plystra_storage_table(parent, trigger->tgname);

			refs->connames[i] = reference_key(rel, attnum, parentid,
											  &refs->deferrable[i], entry->cxt);
			refs->parentnames[i] = MemoryContextStrdup(entry->cxt,
													   get_rel_name(parentid));
			entry->plans[i] = plystra_keep_plan(psprintf("SELECT deleted_at IS NULL FROM %s"
														 " WHERE id OPERATOR(pg_catalog.=) $1"
														 " FOR SHARE",
														 quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
																					refs->parentnames[i])),
												1, argtypes);
		}
		values[0] = Int64GetDatum(DatumGetInt64(value));
		ret = SPI_execute_plan(entry->plans[i], values, NULL, false, 1);
		plystra_restore_user(&ctx);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not check %s: %s", parent, SPI_result_code_string(ret));

		/* a missing parent of a deferrable key is the key's, at commit */
		if (SPI_processed == 0 && refs->deferrable[i])
			continue;
		if (SPI_processed == 0 ||
			!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			report_missing_parent(rel, attnum, refs->connames[i],
								  refs->parentnames[i], value);
	}
	if (connected)
		SPI_finish();

	return PointerGetDatum(newtuple);
}
