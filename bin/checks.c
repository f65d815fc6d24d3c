/*-------------------------------------------------------------------------
 *
 * checks.c
 *	  plystractl drift and plystractl doctor: the server's drift_check()
 *	  and doctor() rows, and an exit code a CI job or a monitoring system
 *	  can act on.
 *
 * drift (the seed's "ent check") exits 0 when the live catalog is what the
 * installed version defines, 1 when the only differences are indexes a DBA
 * added to storage tables, 2 otherwise; doctor exits 0 when every check is
 * ok, 1 when the worst is a warning, 2 when one failed.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/checks.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

/*
 * How bad the drift of conn's database is, as doctor() judges it in its
 * drift_check row: an index a DBA added to a storage table is a warning,
 * any other difference a failure.  One rule, the server's.
 */
int
drift_code(PGconn *conn)
{
	PGresult   *res = run_query(conn,
								"SELECT \"check\", status FROM plystra.doctor()"
								" WHERE \"check\" OPERATOR(pg_catalog.=) 'drift_check'",
								0, NULL);
	int			rc;

	if (res == NULL)
		return EXIT_SERVER;
	rc = doctor_code(res);
	PQclear(res);
	return rc;
}

static int
drift(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	PGresult   *res;
	int			n;
	int			rc;

	res = run_query(conn,
					"SELECT object_type, object, drift, expected, actual"
					"  FROM plystra.drift_check()", 0, NULL);
	if (res == NULL)
		return EXIT_SERVER;
	n = PQntuples(res);
	rc = n == 0 ? EXIT_OK : drift_code(conn);
	if (opts->json)
	{
		PQExpBuffer buf = createPQExpBuffer();
		bool		first = true;

		json_database_open(buf, conn, ext, &first);
		json_key(buf, "differences", &first);
		json_result_rows(buf, res);
		json_key(buf, "ok", &first);
		appendPQExpBuffer(buf, "%s", n == 0 ? "true" : "false");
		json_key_string(buf, "status", status_word(rc), &first);
		appendPQExpBufferStr(buf, "}\n");
		fputs(buf->data, stdout);
		destroyPQExpBuffer(buf);
	}
	else if (n == 0)
		printf("ok: database %s matches what extension plystra %s defines\n",
			   PQdb(conn), ext->installed);
	else
	{
		print_rows(res);
		printf("drift: %d difference%s between database %s and what extension plystra %s defines%s\n",
			   n, n == 1 ? "" : "s", PQdb(conn), ext->installed,
			   rc == EXIT_WARN ? " (indexes added by hand only: a warning)" : "");
	}
	PQclear(res);
	(void) arg;
	return rc;
}

int
cmd_drift(const Options *opts)
{
	return for_each_database(opts, VERSION_WARN, false, drift, NULL);
}

/*
 * The exit code of doctor's rows in res: the worst status.  Also used by
 * upgrade.
 */
int
doctor_code(const PGresult *res)
{
	int			rc = EXIT_OK;
	int			i;

	for (i = 0; i < PQntuples(res); i++)
	{
		const char *status = PQgetvalue(res, i, 1);

		if (strcmp(status, "fail") == 0)
			rc = EXIT_FAIL;
		else if (strcmp(status, "ok") != 0)
			rc = Max(rc, EXIT_WARN);
	}
	return rc;
}

static int
doctor(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	PGresult   *res;
	int			rc;

	res = run_query(conn, "SELECT \"check\", status, detail FROM plystra.doctor()", 0, NULL);
	if (res == NULL)
		return EXIT_SERVER;
	rc = doctor_code(res);
	if (opts->json)
	{
		PQExpBuffer buf = createPQExpBuffer();
		bool		first = true;

		json_database_open(buf, conn, ext, &first);
		json_key(buf, "checks", &first);
		json_result_rows(buf, res);
		json_key_string(buf, "status", status_word(rc), &first);
		appendPQExpBufferStr(buf, "}\n");
		fputs(buf->data, stdout);
		destroyPQExpBuffer(buf);
	}
	else
	{
		print_rows(res);
		printf("doctor: %s (database %s, extension plystra %s)\n",
			   rc == EXIT_OK ? "ok" : rc == EXIT_WARN ? "warnings" : "failed",
			   PQdb(conn), ext->installed);
	}
	PQclear(res);
	(void) arg;
	return rc;
}

int
cmd_doctor(const Options *opts)
{
	return for_each_database(opts, VERSION_WARN, false, doctor, NULL);
}
