/*-------------------------------------------------------------------------
 *
 * checksum.c
 *	  Migration checksums: SHA-256 over a script's normalised text.
 *
 * A migration is identified by the checksum of its text after three
 * normalisations, so that the same file checked out on Windows, on a Mac of
 * old or on Linux checksums the same: CRLF becomes LF, a lone CR becomes LF,
 * and a leading UTF-8 byte order mark is dropped.  The normalisation feeds
 * the hash in place, segment by segment, without copying the script.
 *
 * The result is "sha256:" followed by 64 lower-case hex digits; the prefix
 * names the algorithm so that another one can be introduced later without
 * invalidating the recorded rows.
 *
 * plystractl (bin/) compiles this very file with FRONTEND defined, so that
 * the checksum it computes of a file is the one the server records for it;
 * the SQL function is the server's only.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/checksum.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#if PG_VERSION_NUM >= 140000
#include "common/cryptohash.h"
#endif
#include "common/sha2.h"

#ifdef FRONTEND
#include "common/logging.h"
#include "plystra_shared.h"

/* the hash cannot be computed (out of memory): plystractl gives up */
#define checksum_failure(msg)	pg_fatal("%s", msg)
#else
#include "fmgr.h"
#include "utils/builtins.h"

#include "plystra.h"

#define checksum_failure(msg)	elog(ERROR, "%s", msg)

PG_FUNCTION_INFO_V1(plystra_migration_checksum);
#endif

#if PG_VERSION_NUM >= 140000
typedef pg_cryptohash_ctx *sha256_state;

static void
sha256_begin(sha256_state *state)
{
	*state = pg_cryptohash_create(PG_SHA256);
	if (*state == NULL || pg_cryptohash_init(*state) < 0)
		checksum_failure("could not initialize SHA-256 context");
}

static void
sha256_feed(sha256_state *state, const char *data, size_t len)
{
	if (len > 0 && pg_cryptohash_update(*state, (const uint8 *) data, len) < 0)
		checksum_failure("could not update SHA-256 context");
}

static void
sha256_end(sha256_state *state, uint8 *digest)
{
	if (pg_cryptohash_final(*state, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		checksum_failure("could not finalize SHA-256 context");
	pg_cryptohash_free(*state);
}
#else
typedef pg_sha256_ctx sha256_state;

static void
sha256_begin(sha256_state *state)
{
	pg_sha256_init(state);
}

static void
sha256_feed(sha256_state *state, const char *data, size_t len)
{
	if (len > 0)
		pg_sha256_update(state, (const uint8 *) data, len);
}

static void
sha256_end(sha256_state *state, uint8 *digest)
{
	pg_sha256_final(state, digest);
}
#endif

/*
 * Compute the migration checksum of len bytes at data into result, which
 * receives "sha256:<hex>" and a terminating zero.
 */
void
plystra_checksum(const char *data, size_t len,
				 char result[PLYSTRA_CHECKSUM_LEN + 1])
{
	static const char hexdigits[] = "0123456789abcdef";
	sha256_state state;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	const char *p = data;
	const char *end = data + len;
	char	   *out;
	int			i;

	/* a leading UTF-8 byte order mark is not part of the script */
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;

	sha256_begin(&state);
	while (p < end)
	{
		const char *cr = memchr(p, '\r', end - p);

		if (cr == NULL)
		{
			sha256_feed(&state, p, end - p);
			break;
		}
		sha256_feed(&state, p, cr - p);
		/* CRLF: drop the CR, the LF starts the next segment */
		if (cr + 1 < end && cr[1] == '\n')
			p = cr + 1;
		else
		{
			sha256_feed(&state, "\n", 1);
			p = cr + 1;
		}
	}
	sha256_end(&state, digest);

	memcpy(result, "sha256:", 7);
	out = result + 7;
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		*out++ = hexdigits[digest[i] >> 4];
		*out++ = hexdigits[digest[i] & 0x0F];
	}
	*out = '\0';
}

#ifndef FRONTEND
/*
 * plystra.migration_checksum(script text) returns text
 */
Datum
plystra_migration_checksum(PG_FUNCTION_ARGS)
{
	text	   *script;
	char		result[PLYSTRA_CHECKSUM_LEN + 1];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("migration script must not be null")));

	script = PG_GETARG_TEXT_PP(0);
	plystra_checksum(VARDATA_ANY(script), VARSIZE_ANY_EXHDR(script), result);

	PG_RETURN_TEXT_P(cstring_to_text(result));
}
#endif							/* !FRONTEND */
