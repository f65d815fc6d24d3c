/*-------------------------------------------------------------------------
 *
 * output.c
 *	  How plystractl prints: JSON (--json, one object per database and
 *	  line), aligned rows of a query, and the progress line it draws on a
 *	  terminal.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/output.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

#include <unistd.h>

/* is a progress line on the terminal, to be erased before other output */
static bool progress_shown = false;

/* value as a JSON string, or null */
void
json_string(PQExpBuffer buf, const char *value)
{
	const unsigned char *p;

	if (value == NULL)
	{
		appendPQExpBufferStr(buf, "null");
		return;
	}
	appendPQExpBufferChar(buf, '"');
	for (p = (const unsigned char *) value; *p; p++)
	{
		switch (*p)
		{
			case '"':
				appendPQExpBufferStr(buf, "\\\"");
				break;
			case '\\':
				appendPQExpBufferStr(buf, "\\\\");
				break;
			case '\n':
				appendPQExpBufferStr(buf, "\\n");
				break;
			case '\r':
				appendPQExpBufferStr(buf, "\\r");
				break;
			case '\t':
				appendPQExpBufferStr(buf, "\\t");
				break;
			default:
				if (*p < 0x20 || *p == 0x7F)
					appendPQExpBuffer(buf, "\\u%04x", *p);
				else
					appendPQExpBufferChar(buf, (char) *p);
		}
	}
	appendPQExpBufferChar(buf, '"');
}

/* "key": after a comma unless it is the first of its object */
void
json_key(PQExpBuffer buf, const char *key, bool *first)
{
	if (!*first)
		appendPQExpBufferChar(buf, ',');
	*first = false;
	json_string(buf, key);
	appendPQExpBufferChar(buf, ':');
}

void
json_key_string(PQExpBuffer buf, const char *key, const char *value, bool *first)
{
	json_key(buf, key, first);
	json_string(buf, value);
}

/* '{' and the members every object of a database starts with */
void
json_database_open(PQExpBuffer buf, PGconn *conn, const Extension *ext, bool *first)
{
	appendPQExpBufferChar(buf, '{');
	json_key_string(buf, "database", PQdb(conn), first);
	json_key_string(buf, "extension_version", ext->installed, first);
}

/* "ok", "warn" or "fail" for EXIT_OK, EXIT_WARN or worse (doctor, drift) */
const char *
status_word(int code)
{
	return code == EXIT_OK ? "ok" : code == EXIT_WARN ? "warn" : "fail";
}

/* the rows of res as an array of objects, column name to text or null */
void
json_result_rows(PQExpBuffer buf, const PGresult *res)
{
	int			i;
	int			j;

	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < PQntuples(res); i++)
	{
		bool		first = true;

		appendPQExpBufferStr(buf, i ? ",{" : "{");
		for (j = 0; j < PQnfields(res); j++)
			json_key_string(buf, PQfname(res, j),
							PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j),
							&first);
		appendPQExpBufferChar(buf, '}');
	}
	appendPQExpBufferChar(buf, ']');
}

/*
 * The rows of res in aligned columns, the last one unpadded (it is the
 * long one: a detail or a definition), the column names above.
 */
void
print_rows(const PGresult *res)
{
	int			nfields = PQnfields(res);
	int		   *width = pg_malloc0(sizeof(int) * nfields);
	int			i;
	int			j;

	for (j = 0; j < nfields; j++)
	{
		width[j] = strlen(PQfname(res, j));
		for (i = 0; i < PQntuples(res); i++)
			width[j] = Max(width[j], PQgetlength(res, i, j));
	}
	for (j = 0; j < nfields; j++)
		printf("%-*s%s", j + 1 < nfields ? width[j] : 0, PQfname(res, j),
			   j + 1 < nfields ? "  " : "\n");
	for (i = 0; i < PQntuples(res); i++)
		for (j = 0; j < nfields; j++)
			printf("%-*s%s", j + 1 < nfields ? width[j] : 0, PQgetvalue(res, i, j),
				   j + 1 < nfields ? "  " : "\n");
	free(width);
}

/*
 * "[done/total] what" on stderr, redrawn in place, when stderr is a
 * terminal and the output is not JSON.
 */
void
progress(const Options *opts, int done, int total, const char *what)
{
	if (opts->json || opts->quiet || !isatty(fileno(stderr)))
		return;
	fflush(stdout);
	fprintf(stderr, "\r\033[K[%d/%d] %s ...", done, total, what);
	fflush(stderr);
	progress_shown = true;
}

/* erase the progress line, if one is shown */
void
progress_clear(void)
{
	if (!progress_shown)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	progress_shown = false;
}
