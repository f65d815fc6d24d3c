/*-------------------------------------------------------------------------
 *
 * seal_encoding.c
 *	  The canonical encoding (version 1) of audit rows and of seals, the
 *	  bytes the seals of the audit log hash (seal_rows.c).
 *
 * The canonical encoding of a row depends on its values only, not on
 * tuple layout, column order, DateStyle or TimeZone: the columns id,
 * created_at, event_type, actor_user_id, actor_role, space_id, target_type,
 * target_id, request_id, ip, user_agent, details in this order, each as a
 * field: one byte 0 for NULL, or one byte 1, the length of the value as 4
 * bytes big-endian, and the value.  Integers are written in decimal,
 * timestamps as microseconds since 1970-01-01 00:00 UTC in decimal, text in
 * UTF-8, inet as its family (one byte, 4 or 6), prefix length (one byte)
 * and address bytes, jsonb as jsonb_out() writes it (keys in jsonb's order,
 * shorter first, one space after ':' and ','), all independent of the
 * session's settings and of the server's version.  A row's encoding is
 * preceded by its length (4 bytes big-endian), as a block hashes it.  A
 * seal's fields are encoded the same way; README spells them out.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/seal_encoding.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/inet.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "seals.h"

/* is the database's encoding UTF-8 (or SQL_ASCII): text needs no conversion */
static bool server_utf8 = true;

/* read the database's encoding, before encoding rows or a seal */
void
plystra_seal_note_encoding(void)
{
	server_utf8 = GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII;
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

void
plystra_seal_put_u32(StringInfo buf, uint32 v)
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
 * The canonical encoding of one audit row, in the columns of SEAL_ROW_COLUMNS
 * (values[i], nulls[i]), into buf (reset): its length as 4 bytes
 * big-endian, then its fields, as a block hashes it.
 */
void
plystra_seal_encode_row(StringInfo buf, Datum *values, bool *nulls)
{
	uint32		be;

	resetStringInfo(buf);
	room(buf, 4);
	buf->len = 4;
	for (int i = 0; i < SEAL_NUM_ROW_COLUMNS; i++)
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

/*
 * The fields of a seal its hash covers, every one but the hash itself,
 * into buf: the same fields, in the order README gives
 */
void
plystra_seal_encode(StringInfo buf, Seal *seal)
{
	plystra_seal_note_encoding();
	field_cstring(buf, "plystra-audit-seal:v1");
	field_int(buf, seal->seal_id);
	field_cstring(buf, seal->kind);
	field_int(buf, seal->first_id);
	field_int(buf, seal->last_id);
	field_time(buf, seal->from_time);
	field_time(buf, seal->to_time);
	field_int(buf, seal->row_count);
	field_time(buf, seal->newest);
	field_hex(buf, seal->rows_hash, SEAL_HASH_LEN);
	field_hex(buf, seal->prev_hash, SEAL_HASH_LEN);
	field_time(buf, seal->sealed_at);
	field_cstring(buf, seal->sealed_by);
}
