/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  plystractl audit maintain: the server's audit_maintain(), the
 *	  partitions of the audit log made ahead of time, for cron.
 *
 * Prints one line per partition made (and the rows it took over from the
 * default partition), or that none was needed; exits 0, or 6 when the
 * installed extension predates the partitioned audit log (1.2).
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

static int
maintain(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	PGresult   *res;
	int			n;
	int			i;

	res = run_query(conn,
					"SELECT pg_catalog.to_regprocedure('plystra.audit_maintain()') IS NOT NULL",
					0, NULL);
	if (res == NULL)
		return EXIT_SERVER;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
	{
		PQclear(res);
		pg_log_error("database %s: extension plystra %s has no partitioned audit log; update it to 1.2 or later",
					 PQdb(conn), ext->installed);
		return EXIT_EXTENSION;
	}
	PQclear(res);

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
