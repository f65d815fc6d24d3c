/*-------------------------------------------------------------------------
 *
 * seals.h
 *	  The seals of the audit log, shared by seal_rows.c, audit_seals.c and
 *	  audit_verify.c: a seal in memory, and how rows become its hashes.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/seals.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PLYSTRA_SEALS_H
#define PLYSTRA_SEALS_H

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"

#define SEAL_HASH_LEN	PG_SHA256_DIGEST_LENGTH
#define SEAL_BLOCK_IDS	256
/* a block entry: block number (8 bytes), rows (4), id offset sum (4), hash */
#define SEAL_ENTRY_LEN	(8 + 4 + 4 + SEAL_HASH_LEN)

/* the columns of plystra_data.audit_seals, in the order seal_rows.c reads them */
/* the columns of an audit row the canonical encoding holds, in its order */
#define SEAL_ROW_COLUMNS \
	"id, created_at, event_type, actor_user_id, actor_role, space_id," \
	" target_type, target_id, request_id, ip, user_agent, details"
#define SEAL_NUM_ROW_COLUMNS 12

#define SEAL_COLUMNS \
	"seal_id, kind, first_id, last_id, from_time, to_time, row_count, newest," \
	" blocks, rows_hash, prev_hash, hash, sealed_at, sealed_by"

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
	StringInfoData block_rows_buf;	/* its rows not hashed yet */
} Seal;

/* a block's rows are hashed when it ends, or when this much is buffered */
#define SEAL_BLOCK_BUFFER	(64 * 1024)

/*
 * What plystra_stream_audit_rows() calls for each row: its id, created_at,
 * and canonical encoding preceded by its length (4 bytes big-endian)
 */
typedef void (*PlystraRowFn) (void *arg, int64 id, TimestampTz created_at,
						StringInfo encoding);

/* seal_encoding.c */
extern void plystra_seal_note_encoding(void);
extern void plystra_seal_put_u32(StringInfo buf, uint32 v);
extern void plystra_seal_put_u64(StringInfo buf, uint64 v);
extern void plystra_seal_encode_row(StringInfo buf, Datum *values, bool *nulls);
extern void plystra_seal_encode(StringInfo buf, Seal *seal);

/* seal_rows.c */
extern void plystra_seal_init(Seal *seal, int64 first_id, int64 last_id,
							  TimestampTz from_time, TimestampTz to_time);
extern void plystra_seal_add_row(Seal *seal, int64 id, TimestampTz created_at,
								 StringInfo encoding);
extern void plystra_seal_rows_hash(StringInfo blocks, uint8 *digest);
extern void plystra_seal_hash(Seal *seal, uint8 *digest);
extern void plystra_seal_finish(Seal *seal);
extern char *plystra_seal_hex(const uint8 *bytes, int len);
extern Oid	plystra_seals_relid(void);
extern void plystra_seal_bytea(Datum d, uint8 *dest, bool *malformed);
extern bool plystra_seal_is_purge(Seal *seal);
extern Seal *plystra_read_seals(int *nseals, bool latest);
extern int64 plystra_stream_audit_rows(int64 first_id, int64 last_id, bool latest,
									   PlystraRowFn fn, void *arg);
extern bool *plystra_purged_seals(Seal *seals, int nseals);

#endif							/* PLYSTRA_SEALS_H */
