/*-------------------------------------------------------------------------
 *
 * audit_verify.c
 *	  Verification of the audit log's seals (audit_verify()), and the head a
 *	  DBA keeps outside the database (audit_head(), audit_verify_head()).
 *
 * audit_verify() checks the chain of seals, then reads the rows of each
 * sealing run once, in id order, counting each in the seal of its period,
 * and compares block by block what it computed with what was sealed; the
 * seals a purge removed must have no rows left.  The head names the latest
 * entry of the chain, the highest id sealed and its hash.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/audit_verify.c
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

PG_FUNCTION_INFO_V1(plystra_audit_verify);
PG_FUNCTION_INFO_V1(plystra_audit_head);
PG_FUNCTION_INFO_V1(plystra_audit_verify_head);

#define HEAD_PREFIX		"plystra-audit-head:v1:"

static SPIPlanPtr below_plan = NULL;

/* ---- audit_verify() ---- */

typedef struct VerifyState
{
	ReturnSetInfo *rsinfo;
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
			plystra_seal_rows_hash(&s->blocks, digest);
			if (memcmp(digest, s->rows_hash, SEAL_HASH_LEN) != 0)
				msg = psprintf("seal " INT64_FORMAT ": its blocks do not give its rows_hash", s->seal_id);
			else
			{
				plystra_seal_hash(s, digest);
				if (memcmp(digest, s->hash, SEAL_HASH_LEN) != 0)
					msg = psprintf("seal " INT64_FORMAT ": its fields do not give its hash (the seal was changed)", s->seal_id);
			}
		}
		if (msg == NULL && plystra_seal_is_purge(s))
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
					found = seals[k].seal_id == id && !plystra_seal_is_purge(&seals[k]);
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
	plystra_seal_add_row(c, id, created_at, encoding);
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
	(void) plystra_seals_relid();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seals = plystra_read_seals(&nseals, false);
	(void) check_chain(seals, nseals, &state);
	while (first < nseals && plystra_seal_is_purge(&seals[first]))
		first++;
	if (first == nseals)
	{
		SPI_finish();
		return (Datum) 0;
	}
	purged = plystra_purged_seals(seals, nseals);

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

		if (plystra_seal_is_purge(&seals[i]))
		{
			i++;
			continue;
		}
		while (i + n < nseals && !plystra_seal_is_purge(&seals[i + n]) &&
			   seals[i + n].first_id == seals[i].first_id &&
			   seals[i + n].last_id == seals[i].last_id)
			n++;
		run.state = &state;
		run.stored = &seals[i];
		run.nseals = n;
		run.current = -1;
		run.computed = palloc(sizeof(Seal) * n);
		for (int k = 0; k < n; k++)
			plystra_seal_init(&run.computed[k], seals[i].first_id, seals[i].last_id,
								seals[i + k].from_time, seals[i + k].to_time);
		if (seals[i].first_id <= seals[i].last_id)
			(void) plystra_stream_audit_rows(seals[i].first_id, seals[i].last_id, false, verify_row, &run);
		for (int k = 0; k < n; k++)
		{
			plystra_seal_finish(&run.computed[k]);
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
		if (!plystra_seal_is_purge(&seals[i]))
			last = Max(last, seals[i].last_id);
	return last;
}

/* the head of the chain that ends at seals[upto] */
static char *
head_of(Seal *seals, int upto)
{
	return psprintf(HEAD_PREFIX INT64_FORMAT ":" INT64_FORMAT ":%s",
					seals[upto].seal_id, sealed_through(seals, upto),
					plystra_seal_hex(seals[upto].hash, SEAL_HASH_LEN));
}

Datum
plystra_audit_head(PG_FUNCTION_ARGS)
{
	Seal	   *seals;
	int			nseals;
	char	   *head = NULL;

	(void) plystra_seals_relid();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seals = plystra_read_seals(&nseals, false);
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

	(void) plystra_seals_relid();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	seals = plystra_read_seals(&nseals, false);
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
