/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  plystractl audit maintain|seal|verify|head: the server's
 *	  audit_maintain() (the partitions of the audit log made ahead of time),
 *	  audit_seal(), audit_verify() and audit_head(), for cron and for the
 *	  DBA who keeps the head outside the database.
 *
 * maintain prints one line per partition made (and the rows it took over
 * from the default partition), or that none was needed; seal the rows
 * sealed and the new head; verify one line per discrepancy (exit 2) or
 * that the log is intact, and with --head whether the log extends that
 * head (exit 2 when not); head the head alone.  All exit 6 when the
 * installed extension predates what they call (1.2).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

#include "common/logging.h"

/*
 * Does the installed extension have the function (e.g. audit_seal())?  An
 * error saying what is missing otherwise.
 */
static int
require_function(PGconn *conn, const Extension *ext, const char *signature,
				 const char *what)
{
	PGresult   *res;
	const char *params[1] = {signature};
	bool		found;

	res = run_query(conn, "SELECT pg_catalog.to_regprocedure($1) IS NOT NULL", 1, params);
	if (res == NULL)
		return EXIT_SERVER;
	found = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!found)
	{
		pg_log_error("database %s: extension plystra %s has no %s; update it to 1.2 or later",
					 PQdb(conn), ext->installed, what);
		return EXIT_EXTENSION;
	}
	return EXIT_OK;
}

static int
maintain(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	PGresult   *res;
	int			n;
	int			i;
	int			rc;

	rc = require_function(conn, ext, "plystra.audit_maintain()", "partitioned audit log");
	if (rc != EXIT_OK)
		return rc;

	res = run_query(conn,
					"SELECT partition, from_time, to_time, rows_moved"
					"  FROM plystra.audit_maintain()", 0, NULL);
	if (res == NULL)
		return EXIT_SERVER;
	n = PQntuples(res);
	if (opts->json)
	{
		PQExpBuffer buf = createPQExpBuffer();
		bool		first = true;

		json_database_open(buf, conn, ext, &first);
		json_key(buf, "partitions_made", &first);
		json_result_rows(buf, res);
		json_key_string(buf, "status", status_word(EXIT_OK), &first);
		appendPQExpBufferStr(buf, "}\n");
		fputs(buf->data, stdout);
		destroyPQExpBuffer(buf);
	}
	else
	{
		for (i = 0; i < n; i++)
		{
			const char *moved = PQgetvalue(res, i, 3);

			printf("made %s for %s to %s%s%s%s\n",
				   PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				   strcmp(moved, "0") == 0 ? "" : ", moved ",
				   strcmp(moved, "0") == 0 ? "" : moved,
				   strcmp(moved, "0") == 0 ? "" : " rows from the default partition");
		}
		printf("audit maintain: %d partition%s made (database %s)\n",
			   n, n == 1 ? "" : "s", PQdb(conn));
	}
	PQclear(res);
	(void) arg;
	return EXIT_OK;
}

int
cmd_audit_maintain(const Options *opts)
{
	return for_each_database(opts, VERSION_WARN, false, maintain, NULL);
}

static int
seal(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	PGresult   *res;
	int			rc;

	rc = require_function(conn, ext, "plystra.audit_seal()", "audit seals");
	if (rc != EXIT_OK)
		return rc;
	res = run_query(conn, "SELECT plystra.audit_seal(), plystra.audit_head()", 0, NULL);
	if (res == NULL)
		return EXIT_SERVER;
	if (opts->json)
	{
		PQExpBuffer buf = createPQExpBuffer();
		bool		first = true;

		json_database_open(buf, conn, ext, &first);
		json_key(buf, "rows_sealed", &first);
		appendPQExpBufferStr(buf, PQgetvalue(res, 0, 0));
		json_key_string(buf, "head", PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1), &first);
		json_key_string(buf, "status", status_word(EXIT_OK), &first);
		appendPQExpBufferStr(buf, "}\n");
		fputs(buf->data, stdout);
		destroyPQExpBuffer(buf);
	}
	else
	{
		printf("audit seal: %s rows sealed (database %s)\n", PQgetvalue(res, 0, 0), PQdb(conn));
		if (!PQgetisnull(res, 0, 1))
			printf("head: %s\n", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	(void) arg;
	return EXIT_OK;
}

int
cmd_audit_seal(const Options *opts)
{
	return for_each_database(opts, VERSION_WARN, false, seal, NULL);
}

/* plystra-audit-head:v1:<digits>:<digits>:<64 lower-case hex digits> */
static bool
head_well_formed(const char *head)
{
	const char *prefix = "plystra-audit-head:v1:";
	const char *p = head;
	size_t		n;

	if (strncmp(p, prefix, strlen(prefix)) != 0)
		return false;
	p += strlen(prefix);
	for (int field = 0; field < 2; field++)
	{
		n = strspn(p, "0123456789");
		if (n == 0 || n > 19 || p[n] != ':')
			return false;
		p += n + 1;
	}
	return strlen(p) == 64 && strspn(p, "0123456789abcdef") == 64;
}

/* the NOTICE audit_verify_head() raises when the log does not extend the head */
static void
keep_notice(void *arg, const PGresult *res)
{
	PQExpBuffer why = (PQExpBuffer) arg;
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

	resetPQExpBuffer(why);
	appendPQExpBufferStr(why, detail ? detail : PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
}

static int
verify(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	PGresult   *res;
	PGresult   *head_res = NULL;
	PQExpBuffer why = createPQExpBuffer();
	int			rc;
	int			n;
	bool		extends = true;

	rc = require_function(conn, ext, "plystra.audit_verify()", "audit seals");
	if (rc != EXIT_OK)
		return rc;
	if (opts->head != NULL && !head_well_formed(opts->head))
	{
		pg_log_error("invalid audit head: \"%s\"", opts->head);
		pg_log_error_detail("An audit head reads plystra-audit-head:v1:<seal>:<last id>:<64 hex digits>, as plystractl audit head prints it.");
		return EXIT_INPUT;
	}
	if (opts->head != NULL)
	{
		const char *params[1] = {opts->head};
		PQnoticeReceiver old = PQsetNoticeReceiver(conn, keep_notice, why);

		head_res = run_query(conn, "SELECT plystra.audit_verify_head($1)", 1, params);
		PQsetNoticeReceiver(conn, old, NULL);
		if (head_res == NULL)
			return EXIT_SERVER;
		extends = strcmp(PQgetvalue(head_res, 0, 0), "t") == 0;
	}
	res = run_query(conn,
					"SELECT seal_id, first_id, last_id, problem, detail"
					"  FROM plystra.audit_verify()", 0, NULL);
	if (res == NULL)
		return EXIT_SERVER;
	n = PQntuples(res);
	rc = (n > 0 || !extends) ? EXIT_FAIL : EXIT_OK;
	if (opts->json)
	{
		PQExpBuffer buf = createPQExpBuffer();
		bool		first = true;

		json_database_open(buf, conn, ext, &first);
		json_key(buf, "discrepancies", &first);
		json_result_rows(buf, res);
		if (opts->head != NULL)
		{
			json_key(buf, "extends_head", &first);
			appendPQExpBufferStr(buf, extends ? "true" : "false");
			if (!extends)
				json_key_string(buf, "why", why->data, &first);
		}
		json_key_string(buf, "status", status_word(rc), &first);
		appendPQExpBufferStr(buf, "}\n");
		fputs(buf->data, stdout);
		destroyPQExpBuffer(buf);
	}
	else
	{
		for (int i = 0; i < n; i++)
			printf("seal %s, ids %s to %s: %s: %s\n",
				   PQgetisnull(res, i, 0) ? "-" : PQgetvalue(res, i, 0),
				   PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				   PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
		if (opts->head != NULL)
			printf(extends ? "the log extends the head\n" : "the log does not extend the head: %s\n",
				   why->data);
		printf("audit verify: %s (database %s)\n",
			   n == 0 ? "every sealed row is as it was sealed" :
			   psprintf("%d discrepanc%s", n, n == 1 ? "y" : "ies"), PQdb(conn));
	}
	PQclear(res);
	if (head_res)
		PQclear(head_res);
	destroyPQExpBuffer(why);
	(void) arg;
	return rc;
}

int
cmd_audit_verify(const Options *opts)
{
	return for_each_database(opts, VERSION_WARN, false, verify, NULL);
}

static int
head(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	PGresult   *res;
	int			rc;
	bool		none;

	rc = require_function(conn, ext, "plystra.audit_head()", "audit seals");
	if (rc != EXIT_OK)
		return rc;
	res = run_query(conn, "SELECT plystra.audit_head()", 0, NULL);
	if (res == NULL)
		return EXIT_SERVER;
	none = PQgetisnull(res, 0, 0);
	if (opts->json)
	{
		PQExpBuffer buf = createPQExpBuffer();
		bool		first = true;

		json_database_open(buf, conn, ext, &first);
		json_key_string(buf, "head", none ? NULL : PQgetvalue(res, 0, 0), &first);
		json_key_string(buf, "status", status_word(none ? EXIT_WARN : EXIT_OK), &first);
		appendPQExpBufferStr(buf, "}\n");
		fputs(buf->data, stdout);
		destroyPQExpBuffer(buf);
	}
	else if (none)
		pg_log_warning("database %s: the audit log has no seal yet; run plystractl audit seal", PQdb(conn));
	else
		printf("%s\n", PQgetvalue(res, 0, 0));
	PQclear(res);
	(void) arg;
	return none ? EXIT_WARN : EXIT_OK;
}

int
cmd_audit_head(const Options *opts)
{
	return for_each_database(opts, VERSION_WARN, false, head, NULL);
}
