/*-------------------------------------------------------------------------
 *
 * audit_seals.c
 *	  Tamper evidence for the audit log: seals (audit_seal()), their
 *	  verification (audit_verify()), and the head a DBA keeps outside the
 *	  database (audit_head(), audit_verify_head()).
 *
 * The guards stop every role that plays by PostgreSQL's rules; seals show
 * what someone who does not (a superuser editing the catalog or the files,
 * a restore of an older backup) did to rows already sealed.
 *
 * A sealing run covers the ids after the last run's, up to a horizon no
 * transaction can still commit below (seal_run() says how), and appends one
 * seal per period (plystra.audit_partition_interval, the periods of the
 * partitions) its rows fall in: seal N covers the rows whose id lies in
 * first_id..last_id and whose created_at lies in [from_time, to_time).  A
 * seal stores, per block of SEAL_BLOCK_IDS ids, the block's row count, the
 * sum of its ids' offsets in the block and the SHA-256 of its rows'
 * canonical encodings; the hash of those entries (rows_hash); the previous
 * seal's hash; and its own hash over all of its fields.  The seals form one
 * chain: changing a sealed row, removing one, adding one with a sealed id,
 * or changing a seal shows, and the latest hash (audit_head()) kept outside
 * proves a later log extends the one it was taken from.
 *
 * The canonical encoding of a row (version 1) depends on its values only,
 * not on tuple layout, column order, DateStyle or TimeZone: the columns id,
 * created_at, event_type, actor_user_id, actor_role, space_id, target_type,
 * target_id, request_id, ip, user_agent, details in this order, each as a
 * field: one byte 0 for NULL, or one byte 1, the length of the value's text
 * as 4 bytes big-endian, and the text in UTF-8.  Integers are written in
 * decimal, timestamps as microseconds since 1970-01-01 00:00 UTC in
 * decimal, inet as its family (one byte, 4 or 6), prefix length (one
 * byte) and address bytes, jsonb as PostgreSQL writes it (keys sorted, one
 * space after ':' and ','), all independent of the session's settings and
 * of the server's version.  A block hashes each
 * row's encoding preceded by its length (4 bytes big-endian).  docs and
 * README spell out the seal's fields.
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

PG_FUNCTION_INFO_V1(plystra_audit_seal);
PG_FUNCTION_INFO_V1(plystra_audit_verify);
PG_FUNCTION_INFO_V1(plystra_audit_head);
PG_FUNCTION_INFO_V1(plystra_audit_verify_head);

#define SEAL_HASH_LEN	PG_SHA256_DIGEST_LENGTH
#define SEAL_BLOCK_IDS	256
/* a block entry: block number (8 bytes), rows (4), id offset sum (4), hash */
#define SEAL_ENTRY_LEN	(8 + 4 + 4 + SEAL_HASH_LEN)
#define SEAL_FETCH		10000
#define HEAD_PREFIX		"plystra-audit-head:v1:"

/* the audit row columns, in the order of the canonical encoding */
#define ROW_COLUMNS \
	"id, created_at, event_type, actor_user_id, actor_role, space_id," \
	" target_type, target_id, request_id, ip, user_agent, details"
#define NUM_ROW_COLUMNS 12

/* plystra.audit_seal_max_age, in seconds (doctor() reads it) */
int			plystra_audit_seal_max_age = 24 * 3600;

static SPIPlanPtr rows_plan = NULL;
static SPIPlanPtr last_seal_plan = NULL;
static SPIPlanPtr first_id_plan = NULL;
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr seals_plan = NULL;
static SPIPlanPtr below_plan = NULL;
static SPIPlanPtr horizon_plan = NULL;
static SPIPlanPtr purge_rows_plan = NULL;

/* ---- SHA-256 ---- */

static pg_cryptohash_ctx *
hash_begin(void)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize SHA-256 context");
	return ctx;
}

static void
hash_feed(pg_cryptohash_ctx *ctx, const void *data, size_t len)
{
	if (len > 0 && pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0)
		elog(ERROR, "could not update SHA-256 context");
}

static void
hash_end(pg_cryptohash_ctx *ctx, uint8 *digest)
{
	if (pg_cryptohash_final(ctx, digest, SEAL_HASH_LEN) < 0)
		elog(ERROR, "could not finalize SHA-256 context");
	pg_cryptohash_free(ctx);
}

/* ---- the canonical encoding ---- */

static void
put_u32(StringInfo buf, uint32 v)
{
	uint32		be = pg_hton32(v);

	appendBinaryStringInfo(buf, (char *) &be, 4);
}

static void
put_u64(StringInfo buf, uint64 v)
{
	uint64		be = pg_hton64(v);

	appendBinaryStringInfo(buf, (char *) &be, 8);
}

static void
field_null(StringInfo buf)
{
	appendStringInfoChar(buf, '\0');
}

/* a field holding len bytes of text in the server encoding */
static void
field_text(StringInfo buf, const char *s, int len)
{
	char	   *utf8 = (char *) s;

	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
	{
		utf8 = pg_server_to_any(s, len, PG_UTF8);
		if (utf8 != s)
			len = strlen(utf8);
	}
	appendStringInfoChar(buf, '\1');
	put_u32(buf, (uint32) len);
	appendBinaryStringInfo(buf, utf8, len);
	if (utf8 != s)
		pfree(utf8);
}

static void
field_cstring(StringInfo buf, const char *s)
{
	field_text(buf, s, strlen(s));
}

static void
field_int(StringInfo buf, int64 v)
{
	char		digits[MAXINT8LEN + 1];
	int			len = pg_lltoa(v, digits);

	appendStringInfoChar(buf, '\1');
	put_u32(buf, (uint32) len);
	appendBinaryStringInfo(buf, digits, len);
}

/* microseconds since 1970-01-01 00:00 UTC */
static int64
unix_usecs(TimestampTz t)
{
	return t + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
}

static void
field_time(StringInfo buf, TimestampTz t)
{
	if (TIMESTAMP_NOT_FINITE(t))
		field_cstring(buf, TIMESTAMP_IS_NOBEGIN(t) ? "-infinity" : "infinity");
	else
		field_int(buf, unix_usecs(t));
}

static void
field_hex(StringInfo buf, const uint8 *bytes, int len)
{
	char		hex[SEAL_HASH_LEN * 2 + 1];

	Assert(len <= SEAL_HASH_LEN);
	hex_encode((const char *) bytes, len, hex);
	field_text(buf, hex, len * 2);
}

/*
 * The canonical encoding of one audit row, in the columns of ROW_COLUMNS
 * (values[i], nulls[i]), into buf.
 */
static void
encode_row(StringInfo buf, Datum *values, bool *nulls)
{
	for (int i = 0; i < NUM_ROW_COLUMNS; i++)
	{
		if (nulls[i])
		{
			field_null(buf);
			continue;
		}
		switch (i)
		{
			case 0:				/* id */
			case 3:				/* actor_user_id */
			case 5:				/* space_id */
				field_int(buf, DatumGetInt64(values[i]));
				break;
			case 1:				/* created_at */
				field_time(buf, DatumGetTimestampTz(values[i]));
				break;
			case 4:				/* actor_role */
				field_cstring(buf, NameStr(*DatumGetName(values[i])));
				break;
			case 9:				/* ip: family (4 or 6), prefix length, address */
				{
					inet	   *ip = DatumGetInetPP(values[i]);
					int			size = ip_addrsize(ip);

					appendStringInfoChar(buf, '\1');
					put_u32(buf, (uint32) (2 + size));
					appendStringInfoChar(buf, ip_family(ip) == PGSQL_AF_INET ? 4 : 6);
					appendStringInfoChar(buf, (char) ip_bits(ip));
					appendBinaryStringInfo(buf, (char *) ip_addr(ip), size);
					break;
				}
			case 11:			/* details */
				{
					Jsonb	   *jb = DatumGetJsonbP(values[i]);
					StringInfoData out;

					initStringInfo(&out);
					(void) JsonbToCString(&out, &jb->root, VARSIZE(jb));
					field_text(buf, out.data, out.len);
					pfree(out.data);
					break;
				}
			default:			/* text */
				{
					text	   *t = DatumGetTextPP(values[i]);

					field_text(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
					break;
				}
		}
	}
}

/* ---- seals ---- */

/* One seal: stored (read from the table), or being computed from rows */
typedef struct Seal
{
	int64		seal_id;
	char	   *kind;
	int64		first_id;
	int64		last_id;
	TimestampTz from_time;
	TimestampTz to_time;
	int64		row_count;
	TimestampTz newest;			/* the latest created_at of its rows */
	StringInfoData blocks;		/* block entries; of a purge, seal numbers */
	uint8		rows_hash[SEAL_HASH_LEN];
	uint8		prev_hash[SEAL_HASH_LEN];
	uint8		hash[SEAL_HASH_LEN];
	TimestampTz sealed_at;
	char	   *sealed_by;
	bool		malformed;		/* stored fields of the wrong size */

	/* computing: the block being hashed */
	int64		block;			/* -1: none yet */
	uint32		block_rows;
	uint32		block_idsum;
	pg_cryptohash_ctx *block_ctx;
	int64		rows_seen;		/* verifying: rows found for it */
} Seal;

static void
seal_init_computing(Seal *seal, int64 first_id, int64 last_id,
					TimestampTz from_time, TimestampTz to_time)
{
	memset(seal, 0, sizeof(Seal));
	seal->kind = "seal";
	seal->first_id = first_id;
	seal->last_id = last_id;
	seal->from_time = from_time;
	seal->to_time = to_time;
	seal->newest = DT_NOBEGIN;
	seal->block = -1;
	initStringInfo(&seal->blocks);
}

static void
seal_close_block(Seal *seal)
{
	uint8		digest[SEAL_HASH_LEN];

	if (seal->block < 0)
		return;
	hash_end(seal->block_ctx, digest);
	seal->block_ctx = NULL;
	put_u64(&seal->blocks, (uint64) seal->block);
	put_u32(&seal->blocks, seal->block_rows);
	put_u32(&seal->blocks, seal->block_idsum);
	appendBinaryStringInfo(&seal->blocks, (char *) digest, SEAL_HASH_LEN);
	seal->block = -1;
}

/* add a row (its id, time, canonical encoding) to the seal being computed */
static void
seal_add_row(Seal *seal, int64 id, TimestampTz created_at, StringInfo encoding)
{
	int64		block = (id - seal->first_id) / SEAL_BLOCK_IDS;
	uint32		len = pg_hton32((uint32) encoding->len);

	if (block != seal->block)
	{
		seal_close_block(seal);
		seal->block = block;
		seal->block_rows = 0;
		seal->block_idsum = 0;
		seal->block_ctx = hash_begin();
	}
	seal->block_rows++;
	seal->block_idsum += (uint32) ((id - seal->first_id) % SEAL_BLOCK_IDS);
	hash_feed(seal->block_ctx, &len, 4);
	hash_feed(seal->block_ctx, encoding->data, encoding->len);
	seal->row_count++;
	if (created_at > seal->newest)
		seal->newest = created_at;
}

static void
rows_hash_of(StringInfo blocks, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = hash_begin();

	hash_feed(ctx, blocks->data, blocks->len);
	hash_end(ctx, digest);
}

/* the hash of a seal, over every field but the hash itself */
static void
seal_hash_of(Seal *seal, uint8 *digest)
{
	StringInfoData buf;
	pg_cryptohash_ctx *ctx;

	initStringInfo(&buf);
	field_cstring(&buf, "plystra-audit-seal:v1");
	field_int(&buf, seal->seal_id);
	field_cstring(&buf, seal->kind);
	field_int(&buf, seal->first_id);
	field_int(&buf, seal->last_id);
	field_time(&buf, seal->from_time);
	field_time(&buf, seal->to_time);
	field_int(&buf, seal->row_count);
	field_time(&buf, seal->newest);
	field_hex(&buf, seal->rows_hash, SEAL_HASH_LEN);
	field_hex(&buf, seal->prev_hash, SEAL_HASH_LEN);
	field_time(&buf, seal->sealed_at);
	field_cstring(&buf, seal->sealed_by);
	ctx = hash_begin();
	hash_feed(ctx, buf.data, buf.len);
	hash_end(ctx, digest);
	pfree(buf.data);
}

static void
seal_finish(Seal *seal)
{
	seal_close_block(seal);
	rows_hash_of(&seal->blocks, seal->rows_hash);
}

static char *
hex_of(const uint8 *bytes, int len)
{
	char	   *hex = palloc(len * 2 + 1);

	hex_encode((const char *) bytes, len, hex);
	hex[len * 2] = '\0';
	return hex;
}

/* ---- the tables ---- */

static Oid
seals_relid(void)
{
	Oid			nspoid = get_namespace_oid(PLYSTRA_DATA_SCHEMA, true);
	Oid			relid = OidIsValid(nspoid) ?
		get_relname_relid("audit_seals", nspoid) : InvalidOid;

	if (!OidIsValid(relid) || !OidIsValid(plystra_audit_logs_relid()))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the audit log has no seals in this version of plystra"),
				 errhint("Update the extension: ALTER EXTENSION plystra UPDATE.")));
	return relid;
}

#define SEAL_COLUMNS \
	"seal_id, kind, first_id, last_id, from_time, to_time, row_count, newest," \
	" blocks, rows_hash, prev_hash, hash, sealed_at, sealed_by"

static void
bytea_into(Datum d, uint8 *dest, bool *malformed)
{
	bytea	   *b = DatumGetByteaPP(d);

	if (VARSIZE_ANY_EXHDR(b) != SEAL_HASH_LEN)
	{
		*malformed = true;
		memset(dest, 0, SEAL_HASH_LEN);
	}
	else
		memcpy(dest, VARDATA_ANY(b), SEAL_HASH_LEN);
}

static bool
is_purge(Seal *seal)
{
	return strcmp(seal->kind, "purge") == 0;
}

/* a stored seal from row i of SPI_tuptable (SEAL_COLUMNS) */
static void
seal_from_tuple(Seal *seal, int i)
{
	HeapTuple	tuple = SPI_tuptable->vals[i];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	bool		isnull;
	bytea	   *blocks;

	memset(seal, 0, sizeof(Seal));
	seal->block = -1;
	seal->seal_id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	seal->kind = SPI_getvalue(tuple, desc, 2);
	seal->first_id = DatumGetInt64(SPI_getbinval(tuple, desc, 3, &isnull));
	seal->last_id = DatumGetInt64(SPI_getbinval(tuple, desc, 4, &isnull));
	seal->from_time = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 5, &isnull));
	seal->to_time = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 6, &isnull));
	seal->row_count = DatumGetInt64(SPI_getbinval(tuple, desc, 7, &isnull));
	seal->newest = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 8, &isnull));
	blocks = DatumGetByteaPP(SPI_getbinval(tuple, desc, 9, &isnull));
	initStringInfo(&seal->blocks);
	appendBinaryStringInfo(&seal->blocks, VARDATA_ANY(blocks), VARSIZE_ANY_EXHDR(blocks));
	if (seal->blocks.len % (is_purge(seal) ? 8 : SEAL_ENTRY_LEN) != 0)
		seal->malformed = true;
	bytea_into(SPI_getbinval(tuple, desc, 10, &isnull), seal->rows_hash, &seal->malformed);
	bytea_into(SPI_getbinval(tuple, desc, 11, &isnull), seal->prev_hash, &seal->malformed);
	bytea_into(SPI_getbinval(tuple, desc, 12, &isnull), seal->hash, &seal->malformed);
	seal->sealed_at = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 13, &isnull));
	seal->sealed_by = SPI_getvalue(tuple, desc, 14);
}

/*
 * Every seal, in order, read as the storage owner with the transaction's
 * snapshot (or the latest one); *nseals set.
 */
static Seal *
read_seals(int *nseals, bool latest)
{
	int			ret;
	Seal	   *seals;

	ret = plystra_execute_as_owner(&seals_plan,
								   "SELECT " SEAL_COLUMNS
								   " FROM plystra_data.audit_seals ORDER BY seal_id",
								   0, NULL, NULL, latest, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the audit seals: %s", SPI_result_code_string(ret));
	*nseals = (int) SPI_processed;
	seals = palloc0(sizeof(Seal) * Max(*nseals, 1));
	for (int i = 0; i < *nseals; i++)
		seal_from_tuple(&seals[i], i);
	return seals;
}

/* ---- streaming rows ---- */

/*
 * Call fn for every audit row with first_id <= id <= last_id, in id order,
 * with the row's id, created_at and canonical encoding.  Rows are read as
 * the storage owner with the latest snapshot (a seal run) or the
 * transaction's (verification), and handed from the executor's slots to a
 * receiver of our own: no copy of any row is kept.
 */
typedef void (*row_fn) (void *arg, int64 id, TimestampTz created_at,
						StringInfo encoding);

typedef struct RowReceiver
{
	DestReceiver pub;
	row_fn		fn;
	void	   *arg;
	StringInfoData encoding;
	MemoryContext rowcxt;		/* a row's encoding, reset per row */
	MemoryContext callercxt;	/* what fn keeps, outliving the query */
	int64		rows;
} RowReceiver;

static bool
receive_row(TupleTableSlot *slot, DestReceiver *self)
{
	RowReceiver *r = (RowReceiver *) self;
	MemoryContext oldcxt;

	CHECK_FOR_INTERRUPTS();
	oldcxt = MemoryContextSwitchTo(r->rowcxt);
	slot_getallattrs(slot);
	resetStringInfo(&r->encoding);
	encode_row(&r->encoding, slot->tts_values, slot->tts_isnull);
	MemoryContextSwitchTo(r->callercxt);
	r->fn(r->arg, DatumGetInt64(slot->tts_values[0]),
		  DatumGetTimestampTz(slot->tts_values[1]), &r->encoding);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(r->rowcxt);
	r->rows++;
	return true;
}

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
receiver_nothing(DestReceiver *self)
{
}

static int64
stream_rows(int64 first_id, int64 last_id, bool latest, row_fn fn, void *arg)
{
	Oid			argtypes[2] = {INT8OID, INT8OID};
	Datum		args[2];
	StorageOwnerContext ctx;
	RowReceiver receiver;
	SPIExecuteOptions options;
	int			ret;

	args[0] = Int64GetDatum(first_id);
	args[1] = Int64GetDatum(last_id);
	memset(&receiver, 0, sizeof(receiver));
	receiver.pub.receiveSlot = receive_row;
	receiver.pub.rStartup = receiver_startup;
	receiver.pub.rShutdown = receiver_nothing;
	receiver.pub.rDestroy = receiver_nothing;
	receiver.pub.mydest = DestNone;
	receiver.fn = fn;
	receiver.arg = arg;
	receiver.callercxt = CurrentMemoryContext;
	receiver.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "plystra seal rows",
											ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&receiver.encoding);

	plystra_become_storage_owner(&ctx);
	if (rows_plan == NULL)
		rows_plan = plystra_keep_plan("SELECT " ROW_COLUMNS
									  " FROM plystra_data.audit_logs"
									  " WHERE id OPERATOR(pg_catalog.>=) $1"
									  " AND id OPERATOR(pg_catalog.<=) $2"
									  " ORDER BY id",
									  2, argtypes);
	memset(&options, 0, sizeof(options));
	options.params = makeParamList(2);
	for (int i = 0; i < 2; i++)
	{
		options.params->params[i].value = args[i];
		options.params->params[i].isnull = false;
		options.params->params[i].pflags = PARAM_FLAG_CONST;
		options.params->params[i].ptype = INT8OID;
	}
	options.read_only = true;
	options.dest = (DestReceiver *) &receiver;
	PushActiveSnapshot(latest ? GetLatestSnapshot() : GetTransactionSnapshot());
	ret = SPI_execute_plan_extended(rows_plan, &options);
	PopActiveSnapshot();
	plystra_restore_user(&ctx);
	/* (a SELECT whose rows go to a receiver of its own reports UTILITY) */
	if (ret != SPI_OK_SELECT && ret != SPI_OK_UTILITY)
		elog(ERROR, "could not read the audit log: %s", SPI_result_code_string(ret));
	MemoryContextDelete(receiver.rowcxt);
	pfree(receiver.encoding.data);
	return receiver.rows;
}

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
	seal_init_computing(seal, run->first_id, run->last_id, start, next);
	run->seals = lappend(run->seals, seal);
	return run->current = seal;
}

static void
seal_row(void *arg, int64 id, TimestampTz created_at, StringInfo encoding)
{
	SealRun    *run = (SealRun *) arg;

	seal_add_row(run_seal_for(run, created_at), id, created_at, encoding);
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
 * Wait until every transaction that holds a lock on the audit log or one
 * of its partitions that an INSERT takes has finished, as CREATE INDEX
 * CONCURRENTLY waits: without taking a lock, so that new writers go on.
 */
static void
wait_for_writers(Oid logs)
{
	List	   *relids = find_all_inheritors(logs, NoLock, NULL);
	List	   *tags = NIL;
	ListCell   *lc;

	foreach(lc, relids)
	{
		LOCKTAG    *tag = palloc(sizeof(LOCKTAG));

		SET_LOCKTAG_RELATION(*tag, MyDatabaseId, lfirst_oid(lc));
		tags = lappend(tags, tag);
	}
	WaitForLockersMultiple(tags, ShareLock, false);
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
	bytea_into(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull), hash, &malformed);
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

	seals_rel = seals_relid();
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
	(void) stream_rows(first_id, horizon, true, seal_row, &run);
	list_sort(run.seals, seal_time_cmp);

	foreach(lc, run.seals)
	{
		Seal	   *seal = lfirst(lc);

		seal_finish(seal);
		seal->seal_id = next_seal++;
		seal->sealed_at = now;
		seal->sealed_by = sealed_by;
		memcpy(seal->prev_hash, prev_hash, SEAL_HASH_LEN);
		seal_hash_of(seal, seal->hash);
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
static bool *
purged_seals(Seal *seals, int nseals)
{
	bool	   *purged = palloc0(sizeof(bool) * Max(nseals, 1));

	for (int i = 0; i < nseals; i++)
	{
		if (!is_purge(&seals[i]) || seals[i].malformed)
			continue;
		for (int pos = 0; pos + 8 <= seals[i].blocks.len; pos += 8)
		{
			uint64		be;
			int64		id;

			memcpy(&be, seals[i].blocks.data + pos, 8);
			id = (int64) pg_ntoh64(be);
			for (int k = 0; k < i; k++)
				if (seals[k].seal_id == id && !is_purge(&seals[k]))
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

		if (!is_purge(s) && !plan->gone[i] && s->from_time < upper && s->to_time > lower)
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
	plan.seals = read_seals(&plan.nseals, true);
	plan.gone = purged_seals(plan.seals, plan.nseals);
	plan.last_sealed = 0;
	now = palloc0(sizeof(bool) * Max(plan.nseals, 1));
	ids = palloc(sizeof(Datum) * Max(plan.nseals, 1));
	seal_init_computing(&marker, PG_INT64_MAX, PG_INT64_MIN, DT_NOEND, cutoff);
	marker.kind = "purge";
	for (int i = 0; i < plan.nseals; i++)
	{
		Seal	   *s = &plan.seals[i];

		if (is_purge(s))
			continue;
		plan.last_sealed = Max(plan.last_sealed, s->last_id);
		if (plan.gone[i] || s->newest >= cutoff)
			continue;
		now[i] = plan.gone[i] = true;
		ids[nids++] = Int64GetDatum(s->seal_id);
		put_u64(&marker.blocks, (uint64) s->seal_id);
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
	rows_hash_of(&marker.blocks, marker.rows_hash);
	memcpy(marker.prev_hash, prev_hash, SEAL_HASH_LEN);
	seal_hash_of(&marker, marker.hash);
	insert_seal(&marker);
	SPI_finish();
}

/* ---- audit_verify() ---- */

typedef struct VerifyState
{
	ReturnSetInfo *rsinfo;
	int			nproblems;
} VerifyState;

static void
problem(VerifyState *state, int64 seal_id, int64 first_id, int64 last_id,
		const char *what, const char *detail)
{
	Datum		values[5];
	bool		nulls[5] = {seal_id == 0, false, false, false, detail == NULL};

	values[0] = Int64GetDatum(seal_id);
	values[1] = Int64GetDatum(first_id);
	values[2] = Int64GetDatum(last_id);
	values[3] = CStringGetTextDatum(what);
	values[4] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	tuplestore_putvalues(state->rsinfo->setResult, state->rsinfo->setDesc, values, nulls);
	state->nproblems++;
}

/*
 * The chain of stored seals: numbers without gaps from 1, each one's
 * prev_hash its predecessor's hash, its hash and rows_hash what its fields
 * give, and the runs contiguous.  Reports through state, or (state NULL)
 * returns the first problem as text; NULL when intact.
 */
static char *
check_chain(Seal *seals, int nseals, VerifyState *state)
{
	uint8		zero[SEAL_HASH_LEN];
	uint8		digest[SEAL_HASH_LEN];
	char	   *first = NULL;
	Seal	   *prev_seal = NULL;	/* the last entry of kind seal */

	memset(zero, 0, SEAL_HASH_LEN);
	for (int i = 0; i < nseals; i++)
	{
		Seal	   *s = &seals[i];
		const uint8 *prev = i == 0 ? zero : seals[i - 1].hash;
		int64		expected = i == 0 ? 1 : seals[i - 1].seal_id + 1;
		char	   *msg = NULL;

		if (s->seal_id != expected)
			msg = psprintf("seal " INT64_FORMAT " follows seal " INT64_FORMAT ": seals are missing",
						   s->seal_id, expected - 1);
		else if (s->malformed)
			msg = psprintf("seal " INT64_FORMAT " has a hash or blocks of the wrong size", s->seal_id);
		else if (memcmp(s->prev_hash, prev, SEAL_HASH_LEN) != 0)
			msg = psprintf("seal " INT64_FORMAT " does not name the hash of the seal before it", s->seal_id);
		else
		{
			rows_hash_of(&s->blocks, digest);
			if (memcmp(digest, s->rows_hash, SEAL_HASH_LEN) != 0)
				msg = psprintf("seal " INT64_FORMAT ": its blocks do not give its rows_hash", s->seal_id);
			else
			{
				seal_hash_of(s, digest);
				if (memcmp(digest, s->hash, SEAL_HASH_LEN) != 0)
					msg = psprintf("seal " INT64_FORMAT ": its fields do not give its hash (the seal was changed)", s->seal_id);
			}
		}
		if (msg == NULL && is_purge(s))
		{
			/* a purge names seals before it */
			for (int pos = 0; msg == NULL && pos + 8 <= s->blocks.len; pos += 8)
			{
				uint64		be;
				int64		id;
				bool		found = false;

				memcpy(&be, s->blocks.data + pos, 8);
				id = (int64) pg_ntoh64(be);
				for (int k = 0; k < i && !found; k++)
					found = seals[k].seal_id == id && !is_purge(&seals[k]);
				if (!found)
					msg = psprintf("purge " INT64_FORMAT " names seal " INT64_FORMAT ", which is not a seal before it",
								   s->seal_id, id);
			}
		}
		else if (msg == NULL)
		{
			if (prev_seal != NULL &&
				!(s->first_id == prev_seal->first_id && s->last_id == prev_seal->last_id) &&
				s->first_id != prev_seal->last_id + 1)
				msg = psprintf("seal " INT64_FORMAT " covers ids from " INT64_FORMAT ", the run before it ended at " INT64_FORMAT,
							   s->seal_id, s->first_id, prev_seal->last_id);
			else if (s->first_id > s->last_id)
				msg = psprintf("seal " INT64_FORMAT " covers no id", s->seal_id);
			prev_seal = s;
		}
		if (msg != NULL)
		{
			if (state == NULL)
				return msg;
			if (first == NULL)
				first = msg;
			problem(state, s->seal_id, s->first_id, s->last_id, "seal chain broken", msg);
		}
	}
	return first;
}

typedef struct VerifyRun
{
	VerifyState *state;
	Seal	   *stored;			/* the run's stored seals */
	Seal	   *computed;		/* and the same computed from the rows */
	int			nseals;
	int			current;
} VerifyRun;

static void
verify_row(void *arg, int64 id, TimestampTz created_at, StringInfo encoding)
{
	VerifyRun  *run = (VerifyRun *) arg;
	Seal	   *c;

	if (run->current < 0 ||
		created_at < run->computed[run->current].from_time ||
		created_at >= run->computed[run->current].to_time)
	{
		run->current = -1;
		for (int i = 0; i < run->nseals; i++)
		{
			if (created_at >= run->computed[i].from_time && created_at < run->computed[i].to_time)
			{
				run->current = i;
				break;
			}
		}
	}
	if (run->current < 0)
	{
		problem(run->state, run->stored[0].seal_id, id, id, "row added",
				psprintf("row " INT64_FORMAT " (created_at %s) lies in the ids of seals " INT64_FORMAT " to " INT64_FORMAT " but in none of their periods",
						 id, timestamptz_to_str(created_at), run->stored[0].seal_id,
						 run->stored[run->nseals - 1].seal_id));
		return;
	}
	c = &run->computed[run->current];
	seal_add_row(c, id, created_at, encoding);
}

typedef struct BlockEntry
{
	int64		block;
	uint32		rows;
	uint32		idsum;
	const uint8 *hash;
} BlockEntry;

static bool
entry_at(StringInfo blocks, int pos, BlockEntry *e)
{
	const char *p;
	uint64		b;
	uint32		v;

	if ((pos + 1) * SEAL_ENTRY_LEN > blocks->len)
		return false;
	p = blocks->data + pos * SEAL_ENTRY_LEN;
	memcpy(&b, p, 8);
	e->block = (int64) pg_ntoh64(b);
	memcpy(&v, p + 8, 4);
	e->rows = pg_ntoh32(v);
	memcpy(&v, p + 12, 4);
	e->idsum = pg_ntoh32(v);
	e->hash = (const uint8 *) p + 16;
	return true;
}

/* compare a stored seal's blocks with those computed from the rows */
static void
compare_blocks(VerifyState *state, Seal *stored, Seal *computed)
{
	int			i = 0;
	int			j = 0;
	BlockEntry	s = {0};
	BlockEntry	c = {0};
	bool		has_s = entry_at(&stored->blocks, 0, &s);
	bool		has_c = entry_at(&computed->blocks, 0, &c);

	while (has_s || has_c)
	{
		int64		block = !has_c ? s.block : !has_s ? c.block : Min(s.block, c.block);
		int64		lo = stored->first_id + block * SEAL_BLOCK_IDS;
		int64		hi = Min(lo + SEAL_BLOCK_IDS - 1, stored->last_id);
		bool		in_s = has_s && s.block == block;
		bool		in_c = has_c && c.block == block;

		if (in_s && !in_c)
			problem(state, stored->seal_id, lo, hi, "row missing",
					psprintf("%u sealed rows of ids " INT64_FORMAT " to " INT64_FORMAT " are gone",
							 s.rows, lo, hi));
		else if (in_c && !in_s)
			problem(state, stored->seal_id, lo, hi, "row added",
					psprintf("%u rows of ids " INT64_FORMAT " to " INT64_FORMAT " were not there when the seal was made",
							 c.rows, lo, hi));
		else if (s.rows != c.rows || s.idsum != c.idsum ||
				 memcmp(s.hash, c.hash, SEAL_HASH_LEN) != 0)
		{
			int64		diff = (int64) s.idsum - (int64) c.idsum;

			if (c.rows < s.rows)
			{
				if (s.rows - c.rows == 1 && diff >= 0 && diff < SEAL_BLOCK_IDS)
					problem(state, stored->seal_id, lo + diff, lo + diff, "row missing",
							psprintf("row " INT64_FORMAT " is gone", lo + diff));
				else
					problem(state, stored->seal_id, lo, hi, "row missing",
							psprintf("%u of the %u sealed rows of ids " INT64_FORMAT " to " INT64_FORMAT " are gone",
									 s.rows - c.rows, s.rows, lo, hi));
			}
			else if (c.rows > s.rows)
			{
				if (c.rows - s.rows == 1 && -diff >= 0 && -diff < SEAL_BLOCK_IDS)
					problem(state, stored->seal_id, lo - diff, lo - diff, "row added",
							psprintf("row " INT64_FORMAT " was not there when the seal was made", lo - diff));
				else
					problem(state, stored->seal_id, lo, hi, "row added",
							psprintf("%u rows of ids " INT64_FORMAT " to " INT64_FORMAT " were not there when the seal was made",
									 c.rows - s.rows, lo, hi));
			}
			else if (diff != 0)
			{
				problem(state, stored->seal_id, lo, hi, "row missing",
						psprintf("sealed rows of ids " INT64_FORMAT " to " INT64_FORMAT " are gone and others with other ids are there instead",
								 lo, hi));
				problem(state, stored->seal_id, lo, hi, "row added",
						psprintf("rows of ids " INT64_FORMAT " to " INT64_FORMAT " are there that were not when the seal was made",
								 lo, hi));
			}
			else
				problem(state, stored->seal_id, lo, hi, "row changed",
						psprintf("a row of ids " INT64_FORMAT " to " INT64_FORMAT " differs from what was sealed",
								 lo, hi));
		}
		if (in_s)
			has_s = entry_at(&stored->blocks, ++i, &s);
		if (in_c)
			has_c = entry_at(&computed->blocks, ++j, &c);
	}
}

Datum
plystra_audit_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VerifyState state;
	Seal	   *seals;
	int			nseals;
	int			ret;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	bool	   *purged;
	int			first = 0;

	InitMaterializedSRF(fcinfo, 0);
	state.rsinfo = rsinfo;
	state.nproblems = 0;
	(void) seals_relid();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seals = read_seals(&nseals, false);
	(void) check_chain(seals, nseals, &state);
	while (first < nseals && is_purge(&seals[first]))
		first++;
	if (first == nseals)
	{
		SPI_finish();
		return (Datum) 0;
	}
	purged = purged_seals(seals, nseals);

	/* rows below the first seal's ids */
	args[0] = Int64GetDatum(seals[first].first_id);
	ret = plystra_execute_as_owner(&below_plan,
								   "SELECT id FROM plystra_data.audit_logs"
								   " WHERE id OPERATOR(pg_catalog.<) $1 ORDER BY id LIMIT 1000",
								   1, argtypes, args, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the audit log");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
													 SPI_tuptable->tupdesc, 1, &isnull));

		problem(&state, seals[first].seal_id, id, id, "row added",
				psprintf("row " INT64_FORMAT " lies below the ids of the first seal, which start at " INT64_FORMAT,
						 id, seals[first].first_id));
	}

	/*
	 * Each run: its rows read once, each one counted in its period's seal;
	 * the seals a purge removed must have none left.
	 */
	for (int i = 0; i < nseals;)
	{
		int			n = 1;
		VerifyRun	run;

		if (is_purge(&seals[i]))
		{
			i++;
			continue;
		}
		while (i + n < nseals && !is_purge(&seals[i + n]) &&
			   seals[i + n].first_id == seals[i].first_id &&
			   seals[i + n].last_id == seals[i].last_id)
			n++;
		run.state = &state;
		run.stored = &seals[i];
		run.nseals = n;
		run.current = -1;
		run.computed = palloc(sizeof(Seal) * n);
		for (int k = 0; k < n; k++)
			seal_init_computing(&run.computed[k], seals[i].first_id, seals[i].last_id,
								seals[i + k].from_time, seals[i + k].to_time);
		if (seals[i].first_id <= seals[i].last_id)
			(void) stream_rows(seals[i].first_id, seals[i].last_id, false, verify_row, &run);
		for (int k = 0; k < n; k++)
		{
			seal_finish(&run.computed[k]);
			if (purged[i + k] && run.computed[k].row_count > 0)
				problem(&state, seals[i + k].seal_id, seals[i + k].first_id, seals[i + k].last_id,
						"row added",
						psprintf(INT64_FORMAT " rows lie in the ids and period of seal " INT64_FORMAT ", which a purge removed",
								 run.computed[k].row_count, seals[i + k].seal_id));
			else if (!purged[i + k] && !seals[i + k].malformed)
				compare_blocks(&state, &seals[i + k], &run.computed[k]);
		}
		i += n;
	}
	SPI_finish();
	return (Datum) 0;
}

/* ---- the head ---- */

/* the highest id the seals up to seals[upto] cover */
static int64
sealed_through(Seal *seals, int upto)
{
	int64		last = 0;

	for (int i = 0; i <= upto; i++)
		if (!is_purge(&seals[i]))
			last = Max(last, seals[i].last_id);
	return last;
}

/* the head of the chain that ends at seals[upto] */
static char *
head_of(Seal *seals, int upto)
{
	return psprintf(HEAD_PREFIX INT64_FORMAT ":" INT64_FORMAT ":%s",
					seals[upto].seal_id, sealed_through(seals, upto),
					hex_of(seals[upto].hash, SEAL_HASH_LEN));
}

Datum
plystra_audit_head(PG_FUNCTION_ARGS)
{
	Seal	   *seals;
	int			nseals;
	char	   *head = NULL;

	(void) seals_relid();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seals = read_seals(&nseals, false);
	if (nseals > 0)
		head = head_of(seals, nseals - 1);
	if (head != NULL)
	{
		text	   *result = cstring_to_text(head);

		/* the result outlives SPI's memory */
		result = (text *) SPI_datumTransfer(PointerGetDatum(result), false, -1);
		SPI_finish();
		PG_RETURN_TEXT_P(result);
	}
	SPI_finish();
	PG_RETURN_NULL();
}

static bool
parse_int64(const char *s, int len, int64 *v)
{
	char	   *copy = pnstrdup(s, len);
	char	   *end;

	if (len == 0 || len > 19 || strspn(copy, "0123456789") != (size_t) len)
		return false;
	errno = 0;
	*v = strtoll(copy, &end, 10);
	return errno == 0 && *end == '\0';
}

/*
 * Does the log extend the head (a line audit_head() gave)?  True when the
 * chain of seals is intact and the head's seal is in it, the same.
 */
Datum
plystra_audit_verify_head(PG_FUNCTION_ARGS)
{
	text	   *head_text;
	char	   *head;
	const char *p;
	const char *colon;
	int64		seal_id;
	int64		last_id;
	uint8		hash[SEAL_HASH_LEN];
	Seal	   *seals;
	int			nseals;
	char	   *broken;
	char	   *why = NULL;
	bool		ok = false;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the audit head must not be null")));
	head_text = PG_GETARG_TEXT_PP(0);
	head = text_to_cstring(head_text);
	/* surrounding white space, as a copy from a ticket may have */
	while (*head == ' ' || *head == '\t' || *head == '\n' || *head == '\r')
		head++;
	for (int n = strlen(head); n > 0 && strchr(" \t\r\n", head[n - 1]); n--)
		head[n - 1] = '\0';

	p = head;
	if (strncmp(p, HEAD_PREFIX, strlen(HEAD_PREFIX)) != 0)
		goto malformed;
	p += strlen(HEAD_PREFIX);
	colon = strchr(p, ':');
	if (colon == NULL || !parse_int64(p, colon - p, &seal_id) || seal_id < 1)
		goto malformed;
	p = colon + 1;
	colon = strchr(p, ':');
	if (colon == NULL || !parse_int64(p, colon - p, &last_id))
		goto malformed;
	p = colon + 1;
	if (strlen(p) != SEAL_HASH_LEN * 2 || strspn(p, "0123456789abcdef") != SEAL_HASH_LEN * 2)
		goto malformed;
	hex_decode(p, SEAL_HASH_LEN * 2, (char *) hash);

	(void) seals_relid();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seals = read_seals(&nseals, false);
	broken = check_chain(seals, nseals, NULL);
	if (nseals == 0)
		why = "the audit log has no seal";
	else if (seals[nseals - 1].seal_id < seal_id)
		why = psprintf("the log ends at seal " INT64_FORMAT ", before the head's seal " INT64_FORMAT " (a restore of an older backup, or seals removed)",
					   seals[nseals - 1].seal_id, seal_id);
	else if (broken != NULL)
		why = psprintf("the chain of seals is broken: %s", broken);
	else
	{
		Seal	   *s = NULL;
		int			at = -1;

		for (int i = 0; i < nseals; i++)
			if (seals[i].seal_id == seal_id)
				at = i;
		if (at >= 0)
			s = &seals[at];
		if (s == NULL)
			why = psprintf("seal " INT64_FORMAT " is not in the log", seal_id);
		else if (sealed_through(seals, at) != last_id || memcmp(s->hash, hash, SEAL_HASH_LEN) != 0)
			why = psprintf("seal " INT64_FORMAT " is not the one the head names: the history up to it was rewritten",
						   seal_id);
		else
			ok = true;
	}
	if (!ok)
		ereport(NOTICE,
				(errmsg("the audit log does not extend the head"),
				 errdetail_internal("%s", why)));
	SPI_finish();
	PG_RETURN_BOOL(ok);

malformed:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid audit head: \"%s\"", text_to_cstring(head_text)),
			 errdetail("An audit head reads plystra-audit-head:v1:<seal>:<last id>:<64 hex digits>, as plystra.audit_head() returns it.")));
	PG_RETURN_NULL();			/* keep the compiler quiet */
}
