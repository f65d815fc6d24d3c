/*-------------------------------------------------------------------------
 *
 * audit_seals.c
 *	  Tamper evidence for the audit log: the chain of seals, a sealing run
 *	  (audit_seal()), and audit_purge()'s removal of whole seals.
 *
 * The guards stop every role that plays by PostgreSQL's rules; seals show
 * what someone who does not (a superuser editing the catalog or the files,
 * a restore of an older backup) did to rows already sealed.
 *
 * A sealing run covers the ids after the last run's, up to a horizon no
 * transaction can still commit below (plystra_audit_seal_run() says how),
 * and appends one seal per period (plystra.audit_partition_interval, the
 * periods of the partitions) its rows fall in: seal N covers the rows whose id lies in
 * first_id..last_id and whose created_at lies in [from_time, to_time).  A
 * seal stores, per block of SEAL_BLOCK_IDS ids, the block's row count, the
 * sum of its ids' offsets in the block and the SHA-256 of its rows'
 * canonical encodings; the hash of those entries (rows_hash); the previous
 * seal's hash; and its own hash over all of its fields.  The seals form one
 * chain: changing a sealed row, removing one, adding one with a sealed id,
 * or changing a seal shows, and the latest hash (audit_head()) kept outside
 * proves a later log extends the one it was taken from.
 *
 * How a row is encoded and hashed: seal_rows.c; verification and the
 * head: audit_verify.c.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/audit_seals.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/params.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#if PG_VERSION_NUM >= 170000
#include "storage/procarray.h"
#else
#include "storage/sinvaladt.h"
#endif
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/inet.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "plystra.h"
#include "seals.h"

PG_FUNCTION_INFO_V1(plystra_audit_seal);

/* plystra.audit_seal_max_age, in seconds (doctor() reads it) */
int			plystra_audit_seal_max_age = 24 * 3600;

static SPIPlanPtr last_seal_plan = NULL;
static SPIPlanPtr first_id_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr horizon_plan = NULL;
static SPIPlanPtr purge_rows_plan = NULL;

/* ---- audit_seal() ---- */

typedef struct SealRun
{
	int64		first_id;
	int64		last_id;
	List	   *seals;			/* Seal *, one per period met, in order met */
	Seal	   *current;		/* the seal of the last row's period */
} SealRun;

static Seal *
run_seal_for(SealRun *run, TimestampTz created_at)
{
	ListCell   *lc;
	Seal	   *seal;
	TimestampTz start;
	TimestampTz next;

	if (run->current != NULL &&
		created_at >= run->current->from_time && created_at < run->current->to_time)
		return run->current;
	foreach(lc, run->seals)
	{
		seal = lfirst(lc);
		if (created_at >= seal->from_time && created_at < seal->to_time)
			return run->current = seal;
	}
	plystra_audit_period(created_at, &start, &next);
	seal = palloc(sizeof(Seal));
	plystra_seal_init(seal, run->first_id, run->last_id, start, next);
	run->seals = lappend(run->seals, seal);
	return run->current = seal;
}

static void
seal_row(void *arg, int64 id, TimestampTz created_at, StringInfo encoding)
{
	SealRun    *run = (SealRun *) arg;

	plystra_seal_add_row(run_seal_for(run, created_at), id, created_at, encoding);
}

static int
seal_time_cmp(const ListCell *a, const ListCell *b)
{
	Seal	   *sa = lfirst(a);
	Seal	   *sb = lfirst(b);

	return sa->from_time < sb->from_time ? -1 : sa->from_time > sb->from_time ? 1 : 0;
}

/*
 * The position of the audit log's id sequence: the highest id it has
 * handed out (false before the first), read from the sequence itself, not
 * through a snapshot.  With a cache, a session could still hand out an id
 * below it after a seal: refused.
 */
static bool
id_horizon(int64 *horizon)
{
	int			ret;
	bool		isnull;
	int64		cache;
	Datum		last;

	ret = plystra_execute_as_owner(&horizon_plan,
								   "SELECT s.seqcache, pg_catalog.pg_sequence_last_value(s.seqrelid)"
								   " FROM pg_catalog.pg_sequence s"
								   " WHERE s.seqrelid OPERATOR(pg_catalog.=)"
								   " 'plystra_data.audit_logs_id_seq'::pg_catalog.regclass",
								   0, NULL, NULL, true, 0);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("sequence \"%s.audit_logs_id_seq\" does not exist", PLYSTRA_DATA_SCHEMA)));
	cache = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (cache != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the audit log cannot be sealed while its id sequence caches values"),
				 errdetail("Sequence \"%s.audit_logs_id_seq\" has CACHE " INT64_FORMAT ": a session could write a row with an id below a seal's horizon after the seal.",
						   PLYSTRA_DATA_SCHEMA, cache),
				 errhint("ALTER SEQUENCE %s.audit_logs_id_seq CACHE 1", PLYSTRA_DATA_SCHEMA)));
	last = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (isnull)
		return false;
	*horizon = DatumGetInt64(last);
	return true;
}

/*
 * The process of a virtual transaction, or NULL (a prepared transaction, or
 * a process gone).
 */
static PGPROC *
proc_of(VirtualTransactionId vxid)
{
#if PG_VERSION_NUM >= 170000
	if (vxid.procNumber == INVALID_PROC_NUMBER)
		return NULL;
	return ProcNumberGetProc(vxid.procNumber);
#else
	if (vxid.backendId == InvalidBackendId)
		return NULL;
	return BackendIdGetProc(vxid.backendId);
#endif
}

/*
 * Wait until every transaction that holds a lock on the audit log or one
 * of its partitions that an INSERT takes has finished, as CREATE INDEX
 * CONCURRENTLY waits: without taking a lock, so that new writers go on.
 * The transactions are those there are now, found once.  Autovacuum
 * workers hold a lock that conflicts too (SHARE UPDATE EXCLUSIVE) and
 * write no audit row: the seal does not wait for them, which could take
 * as long as a vacuum of a partition.
 */
static void
wait_for_writers(Oid logs)
{
	List	   *relids = find_all_inheritors(logs, NoLock, NULL);
	List	   *holders = NIL;
	ListCell   *lc;

	foreach(lc, relids)
	{
		LOCKTAG		tag;
		VirtualTransactionId *vxids;

		SET_LOCKTAG_RELATION(tag, MyDatabaseId, lfirst_oid(lc));
		vxids = GetLockConflicts(&tag, ShareLock, NULL);
		for (; VirtualTransactionIdIsValid(*vxids); vxids++)
		{
			PGPROC	   *proc = proc_of(*vxids);
			VirtualTransactionId *keep;

			if (proc != NULL && (proc->statusFlags & PROC_IS_AUTOVACUUM))
				continue;
			keep = palloc(sizeof(VirtualTransactionId));
			*keep = *vxids;
			holders = lappend(holders, keep);
		}
	}
	foreach(lc, holders)
	{
		CHECK_FOR_INTERRUPTS();
		(void) VirtualXactLock(*(VirtualTransactionId *) lfirst(lc), true);
	}
}

/* append a seal (or a purge's entry) to audit_seals, as the storage owner */
static void
insert_seal(Seal *seal)
{
	Oid			argtypes[14] = {INT8OID, TEXTOID, INT8OID, INT8OID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID, BYTEAOID, BYTEAOID, BYTEAOID, BYTEAOID,
	TIMESTAMPTZOID, TEXTOID};
	Datum		values[14];
	int			ret;

	values[0] = Int64GetDatum(seal->seal_id);
	values[1] = CStringGetTextDatum(seal->kind);
	values[2] = Int64GetDatum(seal->first_id);
	values[3] = Int64GetDatum(seal->last_id);
	values[4] = TimestampTzGetDatum(seal->from_time);
	values[5] = TimestampTzGetDatum(seal->to_time);
	values[6] = Int64GetDatum(seal->row_count);
	values[7] = TimestampTzGetDatum(seal->newest);
	values[8] = PointerGetDatum(cstring_to_text_with_len(seal->blocks.data, seal->blocks.len));
	values[9] = PointerGetDatum(cstring_to_text_with_len((char *) seal->rows_hash, SEAL_HASH_LEN));
	values[10] = PointerGetDatum(cstring_to_text_with_len((char *) seal->prev_hash, SEAL_HASH_LEN));
	values[11] = PointerGetDatum(cstring_to_text_with_len((char *) seal->hash, SEAL_HASH_LEN));
	values[12] = TimestampTzGetDatum(seal->sealed_at);
	values[13] = CStringGetTextDatum(seal->sealed_by);
	ret = plystra_execute_as_owner(&insert_plan,
								   "INSERT INTO plystra_data.audit_seals (" SEAL_COLUMNS ")"
								   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
								   14, argtypes, values, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not insert an audit seal: %s", SPI_result_code_string(ret));
}

/*
 * The latest entry of the chain, with the latest snapshot (sealing runs and
 * purges wait for each other on audit_seals): its number and hash in
 * *seal_id and hash, and the last id a seal covers in *last_id; false when
 * there is none.  The caller is connected to SPI.
 */
static bool
chain_end(int64 *seal_id, uint8 *hash, int64 *last_id)
{
	int			ret;
	bool		isnull;
	bool		malformed = false;

	memset(hash, 0, SEAL_HASH_LEN);
	*seal_id = 0;
	*last_id = 0;
	ret = plystra_execute_as_owner(&last_seal_plan,
								   "SELECT seal_id, hash,"
								   " (SELECT pg_catalog.max(l.last_id) FROM plystra_data.audit_seals l"
								   "   WHERE l.kind OPERATOR(pg_catalog.=) 'seal')"
								   " FROM plystra_data.audit_seals ORDER BY seal_id DESC LIMIT 1",
								   0, NULL, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the last audit seal");
	if (SPI_processed == 0)
		return false;
	*seal_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	plystra_seal_bytea(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull), hash, &malformed);
	*last_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	return true;
}

/* Does this version of plystra seal the audit log? */
bool
plystra_audit_sealed(void)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, true);

	return OidIsValid(nspoid) && OidIsValid(get_relname_relid("audit_seals", nspoid));
}

/*
 * A sealing run; returns the number of rows sealed.  The horizon: a
 * transaction draws a row's id inside its INSERT, which holds a ROW
 * EXCLUSIVE lock on the audit log (or the partition it writes to) until
 * the transaction ends.  So once every transaction that held such a lock
 * after the sequence stood at H has ended, no row with an id up to H can
 * still commit: those that will ever be visible are, in a new snapshot.
 * The run reads H, waits for those transactions (new writers are not
 * stopped), and seals every row after the last run's ids up to H.  Runs
 * and purges are serialized by a lock on audit_seals.
 */
int64
plystra_audit_seal_run(void)
{
	Oid			logs;
	Oid			seals_rel;
	int64		horizon;
	int64		first_id;
	int64		sealed = 0;
	int64		next_seal;
	int64		last_id;
	uint8		prev_hash[SEAL_HASH_LEN];
	SealRun		run;
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();
	char	   *sealed_by = GetUserNameFromId(GetUserId(), false);

	seals_rel = plystra_seals_relid();
	logs = plystra_audit_logs_relid();
	LockRelationOid(seals_rel, ShareRowExclusiveLock);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!id_horizon(&horizon))
	{
		SPI_finish();
		return 0;
	}

	/* where the last run ended */
	if (chain_end(&next_seal, prev_hash, &last_id) && last_id > 0)
		first_id = last_id + 1;
	else
	{
		int			ret;
		bool		isnull;

		/* the first run: from the lowest id there is (1, normally) */
		ret = plystra_execute_as_owner(&first_id_plan,
									   "SELECT LEAST(1, pg_catalog.min(id))"
									   " FROM plystra_data.audit_logs",
									   0, NULL, NULL, true, 0);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not read the lowest audit id");
		first_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1, &isnull));
	}
	next_seal++;

	if (horizon < first_id)
	{
		SPI_finish();
		return 0;
	}

	wait_for_writers(logs);

	memset(&run, 0, sizeof(run));
	run.first_id = first_id;
	run.last_id = horizon;
	(void) plystra_stream_audit_rows(first_id, horizon, true, seal_row, &run);
	list_sort(run.seals, seal_time_cmp);

	foreach(lc, run.seals)
	{
		Seal	   *seal = lfirst(lc);

		plystra_seal_finish(seal);
		seal->seal_id = next_seal++;
		seal->sealed_at = now;
		seal->sealed_by = sealed_by;
		memcpy(seal->prev_hash, prev_hash, SEAL_HASH_LEN);
		plystra_seal_hash(seal, seal->hash);
		memcpy(prev_hash, seal->hash, SEAL_HASH_LEN);
		insert_seal(seal);
		sealed += seal->row_count;
	}
	SPI_finish();
	return sealed;
}

Datum
plystra_audit_seal(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(plystra_audit_seal_run());
}

/* ---- audit_purge() ---- */

/* which seals purges have removed: purged[i] for seals[i] */
bool *
plystra_purged_seals(Seal *seals, int nseals)
{
	bool	   *purged = palloc0(sizeof(bool) * Max(nseals, 1));

	for (int i = 0; i < nseals; i++)
	{
		if (!plystra_seal_is_purge(&seals[i]) || seals[i].malformed)
			continue;
		for (int pos = 0; pos + 8 <= seals[i].blocks.len; pos += 8)
		{
			uint64		be;
			int64		id;

			memcpy(&be, seals[i].blocks.data + pos, 8);
			id = (int64) pg_ntoh64(be);
			for (int k = 0; k < i; k++)
				if (seals[k].seal_id == id && !plystra_seal_is_purge(&seals[k]))
					purged[k] = true;
		}
	}
	return purged;
}

typedef struct PurgePlan
{
	Seal	   *seals;
	int			nseals;
	bool	   *gone;			/* purged before, or now */
	int64		last_sealed;
} PurgePlan;

/*
 * May a partition wholly older than the cutoff be dropped?  When no seal
 * that stays covers a period reaching into it, and it holds no row that is
 * not sealed (a row of a transaction that was in flight when the purge
 * sealed).
 */
static bool
may_drop_sealed(Oid relid, TimestampTz lower, TimestampTz upper, void *arg)
{
	PurgePlan  *plan = (PurgePlan *) arg;
	char	   *qualname;
	bool		isnull;
	Datum		max_id;

	for (int i = 0; i < plan->nseals; i++)
	{
		Seal	   *s = &plan->seals[i];

		if (!plystra_seal_is_purge(s) && !plan->gone[i] && s->from_time < upper && s->to_time > lower)
			return false;
	}
	qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  get_rel_name(relid));
	if (SPI_execute(psprintf("SELECT pg_catalog.max(id) FROM ONLY %s", qualname), true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read partition \"%s\"", qualname);
	max_id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull || DatumGetInt64(max_id) <= plan->last_sealed;
}

/*
 * audit_purge()'s part in a log with seals: seal first, then remove the
 * rows of every seal whose rows are all older than the cutoff (its newest
 * row), and only those: each partition they fill wholly is dropped, the
 * rest deleted.  A purge's entry in the chain names the seals removed, so
 * that verification knows their rows are gone by right.  Rows older than
 * the cutoff whose seal holds newer ones stay until a later purge.
 */
void
plystra_audit_purge_sealed(TimestampTz cutoff, PlystraSealedPurge *result,
						   StringInfoData *names)
{
	PurgePlan	plan;
	bool	   *now;
	Seal		marker;
	int64		chain_id;
	int64		last_id;
	uint8		prev_hash[SEAL_HASH_LEN];
	Datum	   *ids;
	int			nids = 0;
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1];
	PlystraDoor saved;
	int			ret;

	memset(result, 0, sizeof(PlystraSealedPurge));
	(void) plystra_audit_seal_run();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan.seals = plystra_read_seals(&plan.nseals, true);
	plan.gone = plystra_purged_seals(plan.seals, plan.nseals);
	plan.last_sealed = 0;
	now = palloc0(sizeof(bool) * Max(plan.nseals, 1));
	ids = palloc(sizeof(Datum) * Max(plan.nseals, 1));
	plystra_seal_init(&marker, PG_INT64_MAX, PG_INT64_MIN, DT_NOEND, cutoff);
	marker.kind = "purge";
	for (int i = 0; i < plan.nseals; i++)
	{
		Seal	   *s = &plan.seals[i];

		if (plystra_seal_is_purge(s))
			continue;
		plan.last_sealed = Max(plan.last_sealed, s->last_id);
		if (plan.gone[i] || s->newest >= cutoff)
			continue;
		now[i] = plan.gone[i] = true;
		ids[nids++] = Int64GetDatum(s->seal_id);
		plystra_seal_put_u64(&marker.blocks, (uint64) s->seal_id);
		marker.first_id = Min(marker.first_id, s->first_id);
		marker.last_id = Max(marker.last_id, s->last_id);
		marker.from_time = Min(marker.from_time, s->from_time);
		marker.newest = Max(marker.newest, s->newest);
		marker.row_count += s->row_count;
	}
	if (nids == 0)
	{
		SPI_finish();
		return;
	}
	result->seals = nids;
	result->rows = marker.row_count;

	/* the partitions they fill, dropped; the rest of their rows deleted */
	result->partitions = plystra_drop_audit_partitions(cutoff, may_drop_sealed, &plan,
													   names, &result->partition_rows);
	args[0] = PointerGetDatum(construct_array(ids, nids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	saved = plystra_door_open(plystra_audit_logs_relid(), cutoff);
	PG_TRY();
	{
		ret = plystra_execute_as_owner(&purge_rows_plan,
									   "DELETE FROM plystra_data.audit_logs a"
									   " USING plystra_data.audit_seals s"
									   " WHERE s.seal_id OPERATOR(pg_catalog.=) ANY ($1)"
									   " AND a.id OPERATOR(pg_catalog.>=) s.first_id"
									   " AND a.id OPERATOR(pg_catalog.<=) s.last_id"
									   " AND a.created_at OPERATOR(pg_catalog.>=) s.from_time"
									   " AND a.created_at OPERATOR(pg_catalog.<) s.to_time",
									   1, argtypes, args, false, 0);
		if (ret != SPI_OK_DELETE)
			elog(ERROR, "could not purge audit rows: %s", SPI_result_code_string(ret));
		result->rows_deleted = (int64) SPI_processed;
	}
	PG_FINALLY();
	{
		plystra_door_restore(saved);
	}
	PG_END_TRY();

	/* the purge's entry in the chain */
	(void) chain_end(&chain_id, prev_hash, &last_id);
	marker.seal_id = chain_id + 1;
	marker.sealed_at = GetCurrentTimestamp();
	marker.sealed_by = GetUserNameFromId(GetUserId(), false);
	plystra_seal_rows_hash(&marker.blocks, marker.rows_hash);
	memcpy(marker.prev_hash, prev_hash, SEAL_HASH_LEN);
	plystra_seal_hash(&marker, marker.hash);
	insert_seal(&marker);
	SPI_finish();
}
