/*-------------------------------------------------------------------------
 *
 * live_parents.c
 *	  parents_live: whether the parents a relationship row belongs to are
 *	  live.  The row-level security of the interface hides a relationship
 *	  row by it (see row_security.c).
 *
 * plystra.parents_live_trigger('column', 'plystra_data.parent', ...) is a
 * BEFORE INSERT OR UPDATE row trigger on a relationship table, naming the
 * references by which the row belongs to its parents.  It sets the new
 * row's parents_live; nobody else does.
 *	- A row a role other than the storage owner inserts: true.  Its
 *	  references were checked by live_parent_check(), which fires first (by
 *	  name) and refuses deleted parents.  An UPDATE that keeps them keeps
 *	  the flag; one that changes any reads every parent, as below.
 *	- A row the storage owner writes (a restore), or that the extension
 *	  refreshes: whether every parent named is live (a null reference names
 *	  none), read FOR SHARE, so that a parent cannot be deleted between the
 *	  read and the commit without its cascade seeing the row.
 *
 * plystra_cascade_parents_live() is called by deleted_at_audit() when a
 * parent is deleted or restored: it refreshes the rows that reference it,
 * in every table whose parents_live trigger names the parent's table.
 * Refreshing leaves updated_at as it was: the row did not change.  In
 * REPEATABLE READ a row linked to the parent after the transaction began
 * fails the delete with a serialization error (40001), as a foreign key
 * action does, so that no row of a deleted parent stays shown.
 *
 * plystra._refresh_parents_live(rel) refreshes the rows of rel that
 * reference a deleted parent (the update to 1.2 calls it once per table).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/live_parents.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_parents_live_trigger);
PG_FUNCTION_INFO_V1(plystra_refresh_parents_live);

#define PARENTS_LIVE_TRIGGER	"plystra_parents_live"

/* whether the extension is refreshing parents_live (see above) */
static bool refreshing = false;

bool
plystra_refreshing_parents_live(void)
{
	return refreshing;
}

/*
 * plystra.parents_live_trigger() returns trigger
 *	BEFORE INSERT OR UPDATE ON plystra_data.<relationship> FOR EACH ROW
 *	EXECUTE FUNCTION plystra.parents_live_trigger('column', 'plystra_data.parent', ...)
 */
Datum
plystra_parents_live_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Trigger    *trigger;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	newtuple;
	bool		update;
	int			flagnum;
	int			nrefs;
	int			attnums[PLYSTRA_MAX_PARENTS];
	bool		changed = false;
	bool		live = true;
	Datum		value;
	bool		isnull = false;
	int			i;

	trigdata = plystra_trigger_call(fcinfo, "parents_live_trigger", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT | PLYSTRA_ON_UPDATE);
	trigger = trigdata->tg_trigger;
	nrefs = plystra_parent_pairs(trigger, "parents_live_trigger");
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	newtuple = update ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	flagnum = SPI_fnumber(tupdesc, "parents_live");
	if (flagnum <= 0 || TupleDescAttr(tupdesc, flagnum - 1)->atttypid != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no boolean column \"parents_live\"",
						RelationGetRelationName(rel))));

	for (i = 0; i < nrefs; i++)
	{
		attnums[i] = SPI_fnumber(tupdesc, trigger->tgargs[2 * i]);
		if (attnums[i] <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							trigger->tgargs[2 * i], RelationGetRelationName(rel))));
		if (update && !changed)
		{
			bool		oldnull;
			bool		newnull;
			Datum		old = heap_getattr(trigdata->tg_trigtuple, attnums[i], tupdesc, &oldnull);
			Datum		new = heap_getattr(newtuple, attnums[i], tupdesc, &newnull);

			changed = oldnull != newnull ||
				(!oldnull && DatumGetInt64(old) != DatumGetInt64(new));
		}
	}

	if (update && !changed && !refreshing)
	{
		/* the same parents: the flag stays what the extension made it */
		value = heap_getattr(trigdata->tg_trigtuple, flagnum, tupdesc, &isnull);
		live = isnull ? true : DatumGetBool(value);
	}
	else if (update || refreshing || plystra_is_storage_owner())
	{
		/*
		 * Read every parent: live_parent_check() checked only the changed
		 * references of an UPDATE, and not those of the storage owner.
		 */
		PlystraPlanSet *entry = plystra_plan_set(PLYSTRA_PLANS_PARENT_READS,
												 RelationGetRelid(rel),
												 trigger->tgoid);
		StorageOwnerContext ctx;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		plystra_become_storage_owner(&ctx);
		if (!entry->valid)
		{
			Oid			argtypes[1] = {INT8OID};

			for (i = 0; i < nrefs; i++)
			{
				Oid			parent = plystra_storage_table(trigger->tgargs[2 * i + 1], trigger->tgname);

				entry->plans[i] =
					plystra_keep_plan(psprintf("SELECT deleted_at IS NULL FROM %s"
											   " WHERE id OPERATOR(pg_catalog.=) $1 FOR SHARE",
											   quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
																		  get_rel_name(parent))),
									  1, argtypes);
				entry->nplans = i + 1;
			}
			entry->valid = true;
		}
		for (i = 0; i < nrefs && live; i++)
		{
			Datum		ref = heap_getattr(newtuple, attnums[i], tupdesc, &isnull);
			bool		rnull;

			if (isnull)
				continue;
			if (SPI_execute_plan(entry->plans[i], &ref, NULL, false, 1) != SPI_OK_SELECT)
				elog(ERROR, "could not read a parent of \"%s\"", RelationGetRelationName(rel));
			/* a missing parent: the foreign key says so, now or at commit */
			live = SPI_processed == 1 &&
				DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &rnull)) &&
				!rnull;
		}
		plystra_restore_user(&ctx);
		SPI_finish();
	}
	/* else an INSERT: live_parent_check() has refused deleted parents */

	value = BoolGetDatum(live);
	isnull = false;
	return PointerGetDatum(heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &flagnum,
													 &value, &isnull));
}

/*
 * The kept refresh plans of the rows that reference parent: one per
 * (table, column) named by a parents_live trigger.
 */
static PlystraPlanSet *
cascade_entry(Relation parent)
{
	PlystraPlanSet *entry = plystra_plan_set(PLYSTRA_PLANS_CASCADES,
											 RelationGetRelid(parent), InvalidOid);
	char	   *parentname;
	Oid			argtypes[1] = {INT8OID};
	Oid		   *children;
	int			nchildren;
	int			t;

	if (entry->valid)
		return entry;

	parentname = quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
											RelationGetRelationName(parent));
	children = plystra_tables_with_trigger(PARENTS_LIVE_TRIGGER, &nchildren);
	for (t = 0; t < nchildren; t++)
	{
		Oid			childid = children[t];
		Relation	child = table_open(childid, AccessShareLock);
		Trigger    *trig = plystra_trigger_named(child, PARENTS_LIVE_TRIGGER);
		int			a;

		for (a = 0; trig != NULL && a + 1 < trig->tgnargs; a += 2)
		{
			if (plystra_storage_table(trig->tgargs[a + 1], trig->tgname) != RelationGetRelid(parent))
				continue;
			if (entry->nplans >= PLYSTRA_MAX_PLANS)
				elog(ERROR, "too many tables reference \"%s\"", parentname);
			entry->plans[entry->nplans++] =
				plystra_keep_plan(psprintf("UPDATE %s SET parents_live = parents_live"
										   " WHERE %s OPERATOR(pg_catalog.=) $1",
										   quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
																	  RelationGetRelationName(child)),
										   quote_identifier(trig->tgargs[a])),
								  1, argtypes);
		}
		table_close(child, AccessShareLock);
	}
	entry->valid = true;
	return entry;
}

/*
 * A parent was deleted or restored (deleted_at_audit(), connected to SPI):
 * refresh the rows that reference it.
 */
void
plystra_cascade_parents_live(Relation parent, Datum id)
{
	PlystraPlanSet *entry;
	StorageOwnerContext ctx;
	Snapshot	test_snapshot = InvalidSnapshot;
	Snapshot	crosscheck_snapshot = InvalidSnapshot;
	bool		save = refreshing;
	int			i;

	plystra_become_storage_owner(&ctx);
	entry = cascade_entry(parent);

	/*
	 * As PostgreSQL's own foreign key actions do: in REPEATABLE READ and
	 * SERIALIZABLE, find the rows by the latest snapshot, and fail with a
	 * serialization error on a row the transaction's snapshot does not see
	 * (one linked to the parent after it began), instead of missing it.
	 */
	if (IsolationUsesXactSnapshot())
	{
		CommandCounterIncrement();
		test_snapshot = GetLatestSnapshot();
		crosscheck_snapshot = GetTransactionSnapshot();
	}
	refreshing = true;
	PG_TRY();
	{
		for (i = 0; i < entry->nplans; i++)
			if (SPI_execute_snapshot(entry->plans[i], &id, NULL, test_snapshot,
									 crosscheck_snapshot, false, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not refresh the rows that reference \"%s\"",
					 RelationGetRelationName(parent));
	}
	PG_FINALLY();
	{
		refreshing = save;
	}
	PG_END_TRY();
	plystra_restore_user(&ctx);
}

/*
 * plystra._refresh_parents_live(rel regclass) returns bigint
 *
 * Refreshes the rows of rel that reference a deleted parent; the number of
 * rows.  Called by the extension's scripts only.
 */
Datum
plystra_refresh_parents_live(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	Trigger    *trig;
	StringInfoData where;
	StorageOwnerContext ctx;
	bool		save = refreshing;
	uint64		n = 0;
	int			a;

	plystra_require_own_script("_refresh_parents_live");
	rel = table_open(relid, AccessShareLock);
	trig = plystra_trigger_named(rel, PARENTS_LIVE_TRIGGER);
	initStringInfo(&where);
	for (a = 0; trig != NULL && a + 1 < trig->tgnargs; a += 2)
	{
		Oid			parent = plystra_storage_table(trig->tgargs[a + 1], trig->tgname);

		appendStringInfo(&where, "%sEXISTS (SELECT FROM %s p WHERE p.id OPERATOR(pg_catalog.=) r.%s"
						 " AND p.deleted_at IS NOT NULL)",
						 where.len > 0 ? " OR " : "",
						 quote_qualified_identifier(PLYSTRA_DATA_SCHEMA, get_rel_name(parent)),
						 quote_identifier(trig->tgargs[a]));
	}
	if (where.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation \"%s\" has no trigger \"%s\"",
						RelationGetRelationName(rel), PARENTS_LIVE_TRIGGER)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);
	refreshing = true;
	PG_TRY();
	{
		if (SPI_execute(psprintf("UPDATE %s r SET parents_live = parents_live WHERE %s",
								 quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
															RelationGetRelationName(rel)),
								 where.data),
						false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not refresh \"%s\"", RelationGetRelationName(rel));
		n = SPI_processed;
	}
	PG_FINALLY();
	{
		refreshing = save;
	}
	PG_END_TRY();
	plystra_restore_user(&ctx);
	SPI_finish();
	table_close(rel, AccessShareLock);
	PG_RETURN_INT64((int64) n);
}
