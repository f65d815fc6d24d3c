/*-------------------------------------------------------------------------
 *
 * plan_cache.c
 *	  The one cache of the SPI plans plystra's triggers keep, and how a plan
 *	  is prepared and kept.
 *
 * A trigger prepares its queries once per backend and keeps the plans
 * (SPI_prepare + SPI_keepplan, plystra_keep_plan()) in a set of plans
 * keyed by what they serve: a kind (one per user of the cache) and two
 * OIDs, e.g. the trigger relation and the trigger; a set may hold no plan,
 * only facts about a relation (row_identity.c).  The plans name tables
 * by OID and read their shape, so any relcache invalidation marks every
 * set stale; the next lookup frees its plans and empties the memory
 * context that holds what the user keeps with them (names, flags), and
 * the caller prepares them again.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/plan_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"

#include "plystra.h"

static HTAB *plan_sets = NULL;

static void
invalidate_plan_sets(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	PlystraPlanSet *set;

	hash_seq_init(&status, plan_sets);
	while ((set = (PlystraPlanSet *) hash_seq_search(&status)) != NULL)
		set->valid = false;
}

/*
 * The set of plans of (kind, a, b).  When it is not valid, it is empty:
 * the caller prepares its plans with plystra_keep_plan(), allocates what
 * it keeps with them in set->cxt, and sets set->valid.
 */
PlystraPlanSet *
plystra_plan_set(int kind, Oid a, Oid b)
{
	PlystraPlanSetKey key;
	PlystraPlanSet *set;
	bool		found;
	int			i;

	if (plan_sets == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(PlystraPlanSetKey);
		ctl.entrysize = sizeof(PlystraPlanSet);
		ctl.hcxt = TopMemoryContext;
		plan_sets = hash_create("plystra plans", 64, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(invalidate_plan_sets, (Datum) 0);
	}
	memset(&key, 0, sizeof(key));
	key.kind = kind;
	key.a = a;
	key.b = b;
	set = (PlystraPlanSet *) hash_search(plan_sets, &key, HASH_ENTER, &found);
	if (!found)
	{
		set->valid = false;
		set->nplans = 0;
		memset(set->plans, 0, sizeof(set->plans));
		set->cxt = AllocSetContextCreate(TopMemoryContext, "plystra plan set",
										 ALLOCSET_SMALL_SIZES);
		set->extra = NULL;
		set->pins = 0;
		set->retired = NIL;
	}
	else if (!set->valid)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		for (i = 0; i < PLYSTRA_MAX_PLANS; i++)
		{
			if (set->plans[i] == NULL)
				continue;
			/* a caller further up is running it: free it when it is done */
			if (set->pins > 0)
				set->retired = lappend(set->retired, set->plans[i]);
			else
				SPI_freeplan(set->plans[i]);
		}
		MemoryContextSwitchTo(old);
		memset(set->plans, 0, sizeof(set->plans));
		set->nplans = 0;
		if (set->pins == 0)
			MemoryContextReset(set->cxt);
		set->extra = NULL;
	}
	return set;
}

/*
 * A caller that runs the plans of set while it may be asked for them again
 * (a cascade that re-enters itself) pins it for that time: plans invalidated
 * meanwhile are freed when the last pin goes, not under it.
 */
void
plystra_plan_set_pin(PlystraPlanSet *set)
{
	set->pins++;
}

void
plystra_plan_set_unpin(PlystraPlanSet *set)
{
	ListCell   *lc;

	Assert(set->pins > 0);
	if (--set->pins > 0)
		return;
	foreach(lc, set->retired)
		SPI_freeplan((SPIPlanPtr) lfirst(lc));
	list_free(set->retired);
	set->retired = NIL;
}

/*
 * Prepare a query and keep its plan for the life of the backend: the one
 * place plystra's C prepares the plans it keeps.  The caller is connected
 * to SPI.
 */
SPIPlanPtr
plystra_keep_plan(const char *query, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(query, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s",
			 query, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed for \"%s\"", query);
	return plan;
}
