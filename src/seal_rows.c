/*-------------------------------------------------------------------------
 *
 * seal_rows.c
 *	  How audit rows become hashes, for the seals of the audit log
 *	  (audit_seals.c, audit_verify.c): the blocks of a seal and its hashes,
 *	  the seals as stored, and the rows read in id order, each in its
 *	  canonical encoding (seal_encoding.c).
 *
 * A block hashes the encodings of its rows, each preceded by its length,
 * in id order.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/seal_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "nodes/params.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "plystra.h"
#include "seals.h"

static SPIPlanPtr rows_plan = NULL;
static SPIPlanPtr seals_plan = NULL;

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

/* ---- seals ---- */


void
plystra_seal_init(Seal *seal, int64 first_id, int64 last_id,
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
	initStringInfo(&seal->block_rows_buf);
}

/* hash what the block has buffered */
static void
seal_flush_block(Seal *seal)
{
	hash_feed(seal->block_ctx, seal->block_rows_buf.data, seal->block_rows_buf.len);
	resetStringInfo(&seal->block_rows_buf);
}

static void
seal_close_block(Seal *seal)
{
	uint8		digest[SEAL_HASH_LEN];

	if (seal->block < 0)
		return;
	seal_flush_block(seal);
	hash_end(seal->block_ctx, digest);
	seal->block_ctx = NULL;
	plystra_seal_put_u64(&seal->blocks, (uint64) seal->block);
	plystra_seal_put_u32(&seal->blocks, seal->block_rows);
	plystra_seal_put_u32(&seal->blocks, seal->block_idsum);
	appendBinaryStringInfo(&seal->blocks, (char *) digest, SEAL_HASH_LEN);
	seal->block = -1;
}

/*
 * Add a row (its id, time, and canonical encoding preceded by its length)
 * to the seal being computed.  A block's rows are buffered and hashed
 * together: one call into the hash a block, not two a row.
 */
void
plystra_seal_add_row(Seal *seal, int64 id, TimestampTz created_at, StringInfo encoding)
{
	int64		block = (id - seal->first_id) / SEAL_BLOCK_IDS;

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
	if (seal->block_rows_buf.len + encoding->len > SEAL_BLOCK_BUFFER)
		seal_flush_block(seal);
	appendBinaryStringInfo(&seal->block_rows_buf, encoding->data, encoding->len);
	seal->row_count++;
	if (created_at > seal->newest)
		seal->newest = created_at;
}

void
plystra_seal_rows_hash(StringInfo blocks, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = hash_begin();

	hash_feed(ctx, blocks->data, blocks->len);
	hash_end(ctx, digest);
}

/* the hash of a seal, over every field but the hash itself */
void
plystra_seal_hash(Seal *seal, uint8 *digest)
{
	StringInfoData buf;
	pg_cryptohash_ctx *ctx;

	initStringInfo(&buf);
	plystra_seal_encode(&buf, seal);
	ctx = hash_begin();
	hash_feed(ctx, buf.data, buf.len);
	hash_end(ctx, digest);
	pfree(buf.data);
}

void
plystra_seal_finish(Seal *seal)
{
	seal_close_block(seal);
	plystra_seal_rows_hash(&seal->blocks, seal->rows_hash);
}

char *
plystra_seal_hex(const uint8 *bytes, int len)
{
	char	   *hex = palloc(len * 2 + 1);

	hex_encode((const char *) bytes, len, hex);
	hex[len * 2] = '\0';
	return hex;
}

/* ---- the tables ---- */

Oid
plystra_seals_relid(void)
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


void
plystra_seal_bytea(Datum d, uint8 *dest, bool *malformed)
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

bool
plystra_seal_is_purge(Seal *seal)
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
	if (seal->blocks.len % (plystra_seal_is_purge(seal) ? 8 : SEAL_ENTRY_LEN) != 0)
		seal->malformed = true;
	plystra_seal_bytea(SPI_getbinval(tuple, desc, 10, &isnull), seal->rows_hash, &seal->malformed);
	plystra_seal_bytea(SPI_getbinval(tuple, desc, 11, &isnull), seal->prev_hash, &seal->malformed);
	plystra_seal_bytea(SPI_getbinval(tuple, desc, 12, &isnull), seal->hash, &seal->malformed);
	seal->sealed_at = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 13, &isnull));
	seal->sealed_by = SPI_getvalue(tuple, desc, 14);
}

/*
 * Every seal, in order, read as the storage owner with the transaction's
 * snapshot (or the latest one); *nseals set.
 */
Seal *
plystra_read_seals(int *nseals, bool latest)
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

typedef struct RowReceiver
{
	DestReceiver pub;
	PlystraRowFn		fn;
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
	plystra_seal_encode_row(&r->encoding, slot->tts_values, slot->tts_isnull);
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

int64
plystra_stream_audit_rows(int64 first_id, int64 last_id, bool latest, PlystraRowFn fn, void *arg)
{
	Oid			argtypes[2] = {INT8OID, INT8OID};
	Datum		args[2];
	StorageOwnerContext ctx;
	RowReceiver receiver;
	SPIExecuteOptions options;
	int			ret;

	plystra_seal_note_encoding();
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
		rows_plan = plystra_keep_plan("SELECT " SEAL_ROW_COLUMNS
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
