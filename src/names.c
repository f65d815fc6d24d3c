/*-------------------------------------------------------------------------
 *
 * names.c
 *	  The grammar of component and migration names, which the server
 *	  (migrate.c) and plystractl (bin/) both check, from this one file.
 *
 * A name is 1 to maxlen bytes, starts with an ASCII letter or digit, and
 * holds no whitespace, no control character and no path separator: it is
 * a file's name without its directory ("0001_init", "V1_2__add_x"), and it
 * must read the same in a log line, a shell and a URL.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/names.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include "plystra_shared.h"

/*
 * What is wrong with value as a name of at most maxlen bytes; for
 * PLYSTRA_NAME_CONTROL and PLYSTRA_NAME_SEPARATOR, *offset receives the
 * 0-based offset of the offending byte.
 */
PlystraNameProblem
plystra_name_problem(const char *value, size_t maxlen, size_t *offset)
{
	size_t		len = strlen(value);
	const unsigned char *p;

	if (len == 0)
		return PLYSTRA_NAME_EMPTY;
	if (len > maxlen)
		return PLYSTRA_NAME_TOO_LONG;
	if (!((value[0] >= 'a' && value[0] <= 'z') ||
		  (value[0] >= 'A' && value[0] <= 'Z') ||
		  (value[0] >= '0' && value[0] <= '9')))
		return PLYSTRA_NAME_BAD_START;
	for (p = (const unsigned char *) value; *p; p++)
	{
		*offset = p - (const unsigned char *) value;
		if (*p <= ' ' || *p == 0x7F)
			return PLYSTRA_NAME_CONTROL;
		if (*p == '/' || *p == '\\')
			return PLYSTRA_NAME_SEPARATOR;
	}
	return PLYSTRA_NAME_OK;
}
