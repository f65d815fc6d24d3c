/*-------------------------------------------------------------------------
 *
 * seal_rows.c
 *	  How audit rows become hashes, for the seals of the audit log
 *	  (audit_seals.c, audit_verify.c): the canonical encoding of a row, the
 *	  blocks of a seal and its hashes, the seals as stored, and the rows
 *	  read in id order.
 *
 * The canonical encoding of a row (version 1) depends on its values only,
 * not on tuple layout, column order, DateStyle or TimeZone: the columns id,
 * created_at, event_type, actor_user_id, actor_role, space_id, target_type,
 * target_id, request_id, ip, user_agent, details in this order, each as a
 * field: one byte 0 for NULL, or one byte 1, the length of the value as 4
 * bytes big-endian, and the value.  Integers are written in decimal,
 * timestamps as microseconds since 1970-01-01 00:00 UTC in decimal, text in
 * UTF-8, inet as its family (one byte, 4 or 6), prefix length (one byte)
 * and address bytes, jsonb as jsonb_out() writes it (keys in jsonb's order,
 * shorter first, one space after ':' and ','), all independent of the
 * session's settings and of the server's version.  A block hashes each
 * row's encoding preceded by its length (4 bytes big-endian).  README
 * spells out a seal's fields.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/seal_rows.c
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
#include "seals.h"

#define ROW_COLUMNS \
	"id, created_at, event_type, actor_user_id, actor_role, space_id," \
	" target_type, target_id, request_id, ip, user_agent, details"
#define NUM_ROW_COLUMNS 12

/* is the database's encoding UTF-8 (or SQL_ASCII): text needs no conversion */
static bool server_utf8 = true;

static void
note_server_encoding(void)
{
	server_utf8 = GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII;
}

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

/* ---- the canonical encoding ---- */

/*
 * Room for n more bytes in buf.  The check is inline: the encoding of a
 * row calls it a dozen times, and the buffer rarely has to grow.
 */
static inline void
room(StringInfo buf, int n)
{
	if (buf->maxlen - buf->len <= n)
		enlargeStringInfo(buf, n);
}

/* a field's header (its room reserved): byte 1, then len as 4 bytes big-endian */
static inline void
put_header(StringInfo buf, uint32 len)
{
	uint32		be = pg_hton32(len);

	buf->data[buf->len] = '\1';
	memcpy(buf->data + buf->len + 1, &be, 4);
	buf->len += 5;
}

static void
put_u32(StringInfo buf, uint32 v)
{
	uint32		be = pg_hton32(v);

	appendBinaryStringInfo(buf, (char *) &be, 4);
}

void
plystra_seal_put_u64(StringInfo buf, uint64 v)
{
	uint64		be = pg_hton64(v);

	appendBinaryStringInfo(buf, (char *) &be, 8);
}

static void
field_null(StringInfo buf)
{
	appendStringInfoCharMacro(buf, '\0');
}

/* a field holding len bytes of text in the server encoding */
static void
field_text(StringInfo buf, const char *s, int len)
{
	char	   *utf8 = (char *) s;

	if (!server_utf8)
	{
		utf8 = pg_server_to_any(s, len, PG_UTF8);
		if (utf8 != s)
			len = strlen(utf8);
	}
	room(buf, len + 5);
	put_header(buf, (uint32) len);
	memcpy(buf->data + buf->len, utf8, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	if (utf8 != s)
		pfree(utf8);
}

static void
field_cstring(StringInfo buf, const char *s)
{
	field_text(buf, s, strlen(s));
}

/* an integer, in decimal, written in place */
static void
field_int(StringInfo buf, int64 v)
{
	int			len;

	room(buf, 5 + MAXINT8LEN + 1);
	len = pg_lltoa(v, buf->data + buf->len + 5);
	put_header(buf, (uint32) len);
	buf->len += len;
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
 * jsonb as PostgreSQL writes it (JsonbToCString(), which jsonb_out() calls,
 * without indentation), read straight from the container: the same text,
 * without an iterator's state per value.  The layout read is jsonb's on
 * disk format, which pg_upgrade keeps.  The SQL recomputation of a seal in
 * the regression tests compares the two on values of every kind.
 */
static void json_container(StringInfo buf, const JsonbContainer *c);

/* a string as escape_json() writes it: runs that need no escape are copied */
static void
json_string(StringInfo buf, const char *s, uint32 len)
{
	const char *end = s + len;

	room(buf, len + 2);
	buf->data[buf->len++] = '"';
	while (s < end)
	{
		const char *run = s;

		while (s < end && (unsigned char) *s >= ' ' && *s != '"' && *s != '\\')
			s++;
		if (s > run)
			appendBinaryStringInfo(buf, run, s - run);
		if (s == end)
			break;
		switch (*s)
		{
			case '\b':
				appendBinaryStringInfo(buf, "\\b", 2);
				break;
			case '\f':
				appendBinaryStringInfo(buf, "\\f", 2);
				break;
			case '\n':
				appendBinaryStringInfo(buf, "\\n", 2);
				break;
			case '\r':
				appendBinaryStringInfo(buf, "\\r", 2);
				break;
			case '\t':
				appendBinaryStringInfo(buf, "\\t", 2);
				break;
			case '"':
				appendBinaryStringInfo(buf, "\\\"", 2);
				break;
			case '\\':
				appendBinaryStringInfo(buf, "\\\\", 2);
				break;
			default:
				appendStringInfo(buf, "\\u%04x", (int) *s);
				break;
		}
		s++;
	}
	appendStringInfoCharMacro(buf, '"');
}

/* the value of entry e, whose data starts at base + offset and ends at base + end */
static void
json_value(StringInfo buf, JEntry e, const char *base, uint32 offset, uint32 end)
{
	if (JBE_ISSTRING(e))
		json_string(buf, base + offset, end - offset);
	else if (JBE_ISNUMERIC(e))
	{
		char	   *num = DatumGetCString(DirectFunctionCall1(numeric_out,
															  PointerGetDatum(base + INTALIGN(offset))));

		appendStringInfoString(buf, num);
		pfree(num);
	}
	else if (JBE_ISBOOL_TRUE(e))
		appendBinaryStringInfo(buf, "true", 4);
	else if (JBE_ISBOOL_FALSE(e))
		appendBinaryStringInfo(buf, "false", 5);
	else if (JBE_ISNULL(e))
		appendBinaryStringInfo(buf, "null", 4);
	else
		json_container(buf, (const JsonbContainer *) (base + INTALIGN(offset)));
}

static void
json_container(StringInfo buf, const JsonbContainer *c)
{
	uint32		n = JsonContainerSize(c);

	check_stack_depth();
	if (JsonContainerIsObject(c))
	{
		/* the keys' entries, then the values' */
		const char *base = (const char *) &c->children[n * 2];
		uint32		key = 0;
		uint32		value = getJsonbOffset(c, n);

		appendStringInfoCharMacro(buf, '{');
		for (uint32 i = 0; i < n; i++)
		{
			uint32		key_end = key;
			uint32		value_end = value;

			JBE_ADVANCE_OFFSET(key_end, c->children[i]);
			JBE_ADVANCE_OFFSET(value_end, c->children[i + n]);
			if (i > 0)
				appendBinaryStringInfo(buf, ", ", 2);
			json_string(buf, base + key, key_end - key);
			appendBinaryStringInfo(buf, ": ", 2);
			json_value(buf, c->children[i + n], base, value, value_end);
			key = key_end;
			value = value_end;
		}
		appendStringInfoCharMacro(buf, '}');
	}
	else
	{
		/* an array, or the one value of a scalar at the top, written bare */
		const char *base = (const char *) &c->children[n];
		bool		bare = JsonContainerIsScalar(c);
		uint32		offset = 0;

		if (!bare)
			appendStringInfoCharMacro(buf, '[');
		for (uint32 i = 0; i < n; i++)
		{
			uint32		end = offset;

			JBE_ADVANCE_OFFSET(end, c->children[i]);
			if (i > 0)
				appendBinaryStringInfo(buf, ", ", 2);
			json_value(buf, c->children[i], base, offset, end);
			offset = end;
		}
		if (!bare)
			appendStringInfoCharMacro(buf, ']');
	}
}

/*
 * The canonical encoding of one audit row, in the columns of ROW_COLUMNS
 * (values[i], nulls[i]), into buf (reset): its length as 4 bytes
 * big-endian, then its fields, as a block hashes it.
 */
static void
encode_row(StringInfo buf, Datum *values, bool *nulls)
{
	uint32		be;

	resetStringInfo(buf);
	room(buf, 4);
	buf->len = 4;
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

					room(buf, 5 + 2 + size);
					put_header(buf, (uint32) (2 + size));
					buf->data[buf->len++] = ip_family(ip) == PGSQL_AF_INET ? 4 : 6;
					buf->data[buf->len++] = (char) ip_bits(ip);
					memcpy(buf->data + buf->len, ip_addr(ip), size);
					buf->len += size;
					buf->data[buf->len] = '\0';
					break;
				}
			case 11:			/* details */
				{
					Jsonb	   *jb = DatumGetJsonbP(values[i]);
					int			start = buf->len;

					/* written in place, its header filled in after */
					room(buf, 5);
					buf->len += 5;
					json_container(buf, &jb->root);
					if (server_utf8)
					{
						uint32		len = (uint32) (buf->len - start - 5);

						buf->len = start;
						put_header(buf, len);
						buf->len += len;
					}
					else
					{
						char	   *text = pnstrdup(buf->data + start + 5, buf->len - start - 5);

						buf->len = start;
						buf->data[start] = '\0';
						field_text(buf, text, strlen(text));
					}
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
	be = pg_hton32((uint32) (buf->len - 4));
	memcpy(buf->data, &be, 4);
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
	put_u32(&seal->blocks, seal->block_rows);
	put_u32(&seal->blocks, seal->block_idsum);
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

	note_server_encoding();
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

int64
plystra_stream_audit_rows(int64 first_id, int64 last_id, bool latest, PlystraRowFn fn, void *arg)
{
	Oid			argtypes[2] = {INT8OID, INT8OID};
	Datum		args[2];
	StorageOwnerContext ctx;
	RowReceiver receiver;
	SPIExecuteOptions options;
	int			ret;

	note_server_encoding();
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
