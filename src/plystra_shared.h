/*-------------------------------------------------------------------------
 *
 * plystra_shared.h
 *	  What the extension and plystractl (bin/) compile from the same source:
 *	  the migration checksum (checksum.c) and the grammar of component and
 *	  migration names (names.c).  Included after postgres.h in the server
 *	  and after postgres_fe.h in plystractl, so it names nothing that only
 *	  one of them has.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/plystra_shared.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PLYSTRA_SHARED_H
#define PLYSTRA_SHARED_H

/* The extension's own component of the migration history. */
#define PLYSTRA_COMPONENT		"plystra"

/* Length of "sha256:" followed by 64 hex digits. */
#define PLYSTRA_CHECKSUM_LEN	(7 + 64)

/* Longest component and migration name, in bytes. */
#define PLYSTRA_MAX_COMPONENT_LEN	63
#define PLYSTRA_MAX_NAME_LEN		255

/* checksum.c: sha256 of a migration's normalised bytes */
extern void plystra_checksum(const char *data, size_t len,
							 char result[PLYSTRA_CHECKSUM_LEN + 1]);

/* names.c: what is wrong with a component or migration name, if anything */
typedef enum PlystraNameProblem
{
	PLYSTRA_NAME_OK,
	PLYSTRA_NAME_EMPTY,
	PLYSTRA_NAME_TOO_LONG,
	PLYSTRA_NAME_BAD_START,		/* not an ASCII letter or digit */
	PLYSTRA_NAME_CONTROL,		/* whitespace or a control character */
	PLYSTRA_NAME_SEPARATOR		/* '/' or '\' */
} PlystraNameProblem;

extern PlystraNameProblem plystra_name_problem(const char *value, size_t maxlen,
											   size_t *offset);

#endif							/* PLYSTRA_SHARED_H */
