/*-------------------------------------------------------------------------
 *
 * cascade.c
 *	  Cascading soft delete: the entities that belong to a deleted entity
 *	  are deleted with it, and come back with it.
 *
 * An entity belongs to a parent by the references its live_parent_check()
 * trigger (plystra_live_parents) follows: a space's groups, members, roles
 * and resources, a group's subgroups, a resource's children.  When
 * deleted_at_audit() sees a parent deleted, by DELETE through its view, an
 * ORM's UPDATE ... SET deleted_at or anything else, it has every live row
 * that belongs to it deleted in the same statement, at the same time, as
 * the storage owner; each such row gets its own entity.deleted audit row,
 * whose details say "cascaded_from": "spaces/5", and its own cascade.  A
 * DELETE still counts the rows it named only.
 *
 * When the parent is restored, the rows that cascade deleted come back
 * with it: those deleted at the parent's time whose last entity.deleted
 * audit row says they were cascaded from it.  Rows deleted on their own
 * before stay deleted.
 *
 * As PostgreSQL's foreign key actions, in REPEATABLE READ and SERIALIZABLE
 * the rows are found by the latest snapshot, and a row the transaction's
 * snapshot does not see (one added after it began) fails the delete with a
 * serialization error rather than being left live under a deleted parent.
 * Under READ COMMITTED, live_parent_check() locks the parent FOR SHARE
 * when a row is added under it, so a parent being deleted waits for the
 * adding transaction and its cascade then sees the row.
 *
 * The cascade came with version 1.2: a database still at 1.0 or 1.1, which
 * this library serves too, keeps the behaviour of its version.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/cascade.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "plystra.h"

#define LIVE_PARENTS_TRIGGER	"plystra_live_parents"

/* the parent whose cascade is running ("spaces/5"), or NULL */
static const char *cascading_from = NULL;

const char *
plystra_cascading_from(void)
{
	return cascading_from;
}

/*
 * The kept plans of the cascades of parent: for each (table, column) that
 * belongs to it, plans[2k] deletes the live rows ($1 the parent's id, $2
 * its deleted_at) and plans[2k + 1] restores the rows that cascade deleted
 * ($1 id, $2 the deleted_at it had, $3 its "table/id").
 */
static PlystraPlanSet *
cascade_plans(Relation parent)
{
	PlystraPlanSet *entry = plystra_plan_set(PLYSTRA_PLANS_ENTITY_CASCADES,
											 RelationGetRelid(parent), InvalidOid);
	Oid			argtypes[3] = {INT8OID, TIMESTAMPTZOID, TEXTOID};
	int			t;
	int			ntables;
	Oid		   *children;

	if (entry->valid)
		return entry;

	children = plystra_tables_with_trigger(LIVE_PARENTS_TRIGGER, &ntables);

	for (t = 0; t < ntables; t++)
	{
		Relation	child = table_open(children[t], AccessShareLock);
		Trigger    *trig = plystra_trigger_named(child, LIVE_PARENTS_TRIGGER);
		char	   *childname = quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
														   RelationGetRelationName(child));
		int			a;

		/* a relationship table (no deleted_at) is hidden by parents_live */
		if (get_attnum(children[t], "deleted_at") == InvalidAttrNumber)
		{
			table_close(child, AccessShareLock);
			continue;
		}
		for (a = 0; trig != NULL && a + 1 < trig->tgnargs; a += 2)
		{
			const char *column = quote_identifier(trig->tgargs[a]);
			StringInfoData others;
			int			o;

			if (plystra_storage_table(trig->tgargs[a + 1], trig->tgname) !=
				RelationGetRelid(parent))
				continue;

			/*
			 * A row comes back with this parent only if its other
			 * parents are live too, or coming back in the same cascade
			 * (a subgroup may sit in another, deleted, space):
			 * restore() refuses the same one by one.
			 */
			initStringInfo(&others);
			for (o = 0; o + 1 < trig->tgnargs; o += 2)
			{
				Oid			other = plystra_storage_table(trig->tgargs[o + 1], trig->tgname);

				if (o == a || get_attnum(other, "deleted_at") == InvalidAttrNumber)
					continue;
				/* (one this same cascade is bringing back is no obstacle) */
				appendStringInfo(&others,
								 "   AND NOT EXISTS (SELECT 1 FROM %s p"
								 " WHERE p.id OPERATOR(pg_catalog.=) c.%s"
								 "   AND p.deleted_at IS NOT NULL"
								 "   AND NOT (p.deleted_at OPERATOR(pg_catalog.=) $2"
								 "        AND (SELECT a.details OPERATOR(pg_catalog.->>) 'cascaded_from'"
								 "               FROM plystra_data.audit_logs a"
								 "              WHERE a.target_type OPERATOR(pg_catalog.=) %s"
								 "                AND a.target_id OPERATOR(pg_catalog.=) p.id::pg_catalog.text"
								 "                AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'"
								 "              ORDER BY a.created_at DESC, a.id DESC LIMIT 1)"
								 "            OPERATOR(pg_catalog.=) $3))",
								 quote_qualified_identifier(PLYSTRA_DATA_SCHEMA,
															get_rel_name(other)),
								 quote_identifier(trig->tgargs[o]),
								 quote_literal_cstr(get_rel_name(other)));
			}
			if (entry->nplans + 2 > PLYSTRA_MAX_PLANS)
				elog(ERROR, "too many tables belong to \"%s\"",
					 RelationGetRelationName(parent));
			entry->plans[entry->nplans++] =
				plystra_keep_plan(psprintf("UPDATE %s SET deleted_at = $2"
										   " WHERE %s OPERATOR(pg_catalog.=) $1"
										   "   AND deleted_at IS NULL",
										   childname, column),
								  2, argtypes);
			entry->plans[entry->nplans++] =
				plystra_keep_plan(psprintf("UPDATE %s c SET deleted_at = NULL"
										   " WHERE c.%s OPERATOR(pg_catalog.=) $1"
										   "   AND c.deleted_at OPERATOR(pg_catalog.=) $2"
										   "   AND (SELECT a.details OPERATOR(pg_catalog.->>) 'cascaded_from'"
										   "          FROM plystra_data.audit_logs a"
										   "         WHERE a.target_type OPERATOR(pg_catalog.=) %s"
										   "           AND a.target_id OPERATOR(pg_catalog.=) c.id::pg_catalog.text"
										   "           AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'"
										   "         ORDER BY a.created_at DESC, a.id DESC LIMIT 1)"
										   "       OPERATOR(pg_catalog.=) $3"
										   "%s",
										   childname, column,
										   quote_literal_cstr(RelationGetRelationName(child)),
										   others.data),
								  3, argtypes);
		}
		table_close(child, AccessShareLock);
	}
	entry->valid = true;
	return entry;
}

/*
 * Row id of parent was deleted (deleted, true) or restored (false); its
 * deleted_at is, or was, deleted_at.  Delete the live rows that belong to
 * it, or restore those its cascade deleted.  Called by deleted_at_audit(),
 * connected to SPI.
 */
void
plystra_cascade_soft_delete(Relation parent, Datum id, bool deleted, Datum deleted_at)
{
	PlystraPlanSet *entry;
	StorageOwnerContext ctx;
	Snapshot	test_snapshot = InvalidSnapshot;
	Snapshot	crosscheck_snapshot = InvalidSnapshot;
	const char *saved = cascading_from;
	Datum		values[3];
	SPIPlanPtr	plans[PLYSTRA_MAX_PLANS];
	int			nplans;
	int			i;

	/*
	 * The cascade is version 1.2's, which brought the views of deleted rows
	 * with it: a database still at 1.0 or 1.1 keeps what its version does
	 * until it is updated (a look in the catalog cache, not a query).
	 */
	if (!OidIsValid(get_relname_relid("deleted_spaces",
									  get_namespace_oid(PLYSTRA_SCHEMA, false))))
		return;

	plystra_become_storage_owner(&ctx);
	entry = cascade_plans(parent);
	if (entry->nplans == 0)
	{
		plystra_restore_user(&ctx);
		return;
	}
	values[0] = id;
	values[1] = deleted_at;
	values[2] = CStringGetTextDatum(psprintf("%s/%lld", RelationGetRelationName(parent),
											 (long long) DatumGetInt64(id)));

	if (IsolationUsesXactSnapshot())
	{
		CommandCounterIncrement();
		test_snapshot = GetLatestSnapshot();
		crosscheck_snapshot = GetTransactionSnapshot();
	}
	cascading_from = TextDatumGetCString(values[2]);

	/*
	 * The rows' own cascades run inside these statements, and a table that
	 * references itself (groups, resources) asks for these very plans
	 * again: pinned, they survive an invalidation meanwhile.
	 */
	nplans = entry->nplans;
	memcpy(plans, entry->plans, sizeof(SPIPlanPtr) * nplans);
	plystra_plan_set_pin(entry);
	PG_TRY();
	{
		for (i = deleted ? 0 : 1; i < nplans; i += 2)
			/* fire_triggers: the rows' own audit and cascades run now */
			if (SPI_execute_snapshot(plans[i], values, NULL, test_snapshot,
									 crosscheck_snapshot, false, true, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not %s the rows that belong to \"%s\"",
					 deleted ? "delete" : "restore", RelationGetRelationName(parent));
	}
	PG_CATCH();
	{
		/* the retired plans wait for the next unpin: nothing is freed here */
		cascading_from = saved;
		entry->pins--;
		PG_RE_THROW();
	}
	PG_END_TRY();
	cascading_from = saved;
	plystra_plan_set_unpin(entry);
	plystra_restore_user(&ctx);
}
