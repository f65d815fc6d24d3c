/*-------------------------------------------------------------------------
 *
 * plystra.h
 *	  Declarations shared by the C files of the plystra extension.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/plystra.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PLYSTRA_H
#define PLYSTRA_H

#include "postgres.h"

#if PG_VERSION_NUM < 130000
#error "plystra requires PostgreSQL 13 or later"
#endif

/* Names fixed by the public contract. */
#define PLYSTRA_EXTENSION_NAME	"plystra"
#define PLYSTRA_SCHEMA			"plystra"
#define PLYSTRA_DATA_SCHEMA		"plystra_data"
#define PLYSTRA_COMPONENT		"plystra"

/*
 * SQLSTATEs of plystra's own conditions, class PY.  Conditions that a
 * standard SQLSTATE describes well use that instead.
 */
#define ERRCODE_PLYSTRA_CHECKSUM_MISMATCH	MAKE_SQLSTATE('P','Y','0','0','1')
#define ERRCODE_PLYSTRA_MIGRATION_ORDER		MAKE_SQLSTATE('P','Y','0','0','2')

/* Length of "sha256:" followed by 64 hex digits. */
#define PLYSTRA_CHECKSUM_LEN	(7 + 64)

/* One migration shipped with the extension (see ext/assemble.sh). */
typedef struct BuiltinMigration
{
	const char *name;			/* e.g. "001_finance_demo" */
	const char *version;		/* extension version that ships it */
	const char *checksum;		/* "sha256:<hex>" of the shipped bytes */
} BuiltinMigration;

/* checksum.c */
extern void plystra_checksum(const char *data, size_t len,
							 char result[PLYSTRA_CHECKSUM_LEN + 1]);

/* install.c */
extern bool plystra_in_own_script(void);

/* script.c */
extern void plystra_run_script(const char *what, const char *script);

/* builtin_migrations.c */
extern const BuiltinMigration *plystra_builtin_migrations(int *count);
extern const char *plystra_library_version(void);

#endif							/* PLYSTRA_H */
