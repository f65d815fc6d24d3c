/*-------------------------------------------------------------------------
 *
 * connect.c
 *	  plystractl's connections: libpq options as psql takes them, the
 *	  databases of --all-databases, the extension's state in a database,
 *	  queries and how their errors are shown.
 *
 * Connection options follow psql: -d takes a database name, a conninfo
 * string or a URI, and -h, -p and -U given beside it override it; what is
 * not given comes from the PG* environment variables, and passwords from
 * .pgpass, as libpq does for every client.  plystractl sets no search_path:
 * a migration runs with the caller's, exactly as "psql -f" would run it;
 * its own queries are schema-qualified instead.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/connect.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

#include "common/logging.h"
#include "common/string.h"

static char *password = NULL;

/*
 * Connect to dbname (NULL: the one of -d) with the options of the command
 * line.  Returns NULL, having said why, when the connection fails.
 */
PGconn *
connect_to(const Options *opts, const char *dbname)
{
	for (;;)
	{
		const char *keywords[8];
		const char *values[8];
		int			n = 0;
		PGconn	   *conn;

		/*
		 * -d first: it may be a conninfo string, expanded in place.  Never
		 * NULL: libpq would then expand the first dbname that is not, the
		 * name of a database of --all-databases, which any role with
		 * CREATEDB may make look like a connection string.
		 */
		keywords[n] = "dbname";
		values[n++] = opts->dbname ? opts->dbname : "";
		keywords[n] = "host";
		values[n++] = opts->host;
		keywords[n] = "port";
		values[n++] = opts->port;
		keywords[n] = "user";
		values[n++] = opts->username;
		keywords[n] = "password";
		values[n++] = password;
		keywords[n] = "fallback_application_name";
		values[n++] = "plystractl";
		/* and the database of --all-databases over it */
		if (dbname != NULL)
		{
			keywords[n] = "dbname";
			values[n++] = dbname;
		}
		keywords[n] = NULL;
		values[n] = NULL;

		if (opts->prompt_password == 2 && password == NULL)
			password = simple_prompt("Password: ", false);

		conn = PQconnectdbParams(keywords, values, true);
		if (conn == NULL)
		{
			pg_log_error("out of memory");
			return NULL;
		}
		if (PQstatus(conn) == CONNECTION_BAD &&
			PQconnectionNeedsPassword(conn) && password == NULL &&
			opts->prompt_password != 0)
		{
			PQfinish(conn);
			password = simple_prompt("Password: ", false);
			continue;
		}
		if (PQstatus(conn) == CONNECTION_BAD)
		{
			pg_log_error("%s", PQerrorMessage(conn));
			PQfinish(conn);
			return NULL;
		}

		/*
		 * Files reach the server byte for byte: no conversion, so that the
		 * checksum computed here of a file is the one the server computes
		 * of the text it receives.  The server still checks that the
		 * bytes are valid in its encoding.
		 */
		if (PQsetClientEncoding(conn, PQparameterStatus(conn, "server_encoding")) != 0)
		{
			pg_log_error("could not set the client encoding to \"%s\": %s",
						 PQparameterStatus(conn, "server_encoding"),
						 PQerrorMessage(conn));
			PQfinish(conn);
			return NULL;
		}

		/*
		 * A command that runs no SQL of the user's runs with the search_path
		 * pg_catalog alone: nothing a role planted in its own search_path
		 * (an operator, a collation) can be called in its place.  migrate up
		 * keeps the role's: a migration runs with it, as under psql -f.
		 */
		if (!opts->keep_search_path)
		{
			PGresult   *res = PQexec(conn, "SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)");

			if (PQresultStatus(res) != PGRES_TUPLES_OK)
			{
				report_error(res, NULL);
				PQclear(res);
				PQfinish(conn);
				return NULL;
			}
			PQclear(res);
		}
		return conn;
	}
}

/*
 * The databases of the cluster that accept connections, in name order,
 * read from the database of -d (default: postgres, as vacuumdb --all).
 * NULL, having said why, on failure.
 */
char **
list_databases(const Options *opts, int *count)
{
	Options		o = *opts;
	PGconn	   *conn;
	PGresult   *res;
	char	  **names;
	int			i;

	if (o.dbname == NULL)
		o.dbname = "postgres";
	conn = connect_to(&o, NULL);
	if (conn == NULL)
		return NULL;
	res = run_query(conn,
					"SELECT datname FROM pg_catalog.pg_database"
					" WHERE datallowconn ORDER BY datname COLLATE pg_catalog.\"C\"", 0, NULL);
	if (res == NULL)
	{
		PQfinish(conn);
		return NULL;
	}
	*count = PQntuples(res);
	names = pg_malloc0(sizeof(char *) * (*count + 1));
	for (i = 0; i < *count; i++)
		names[i] = pg_strdup(PQgetvalue(res, i, 0));
	PQclear(res);
	PQfinish(conn);
	return names;
}

/*
 * Whether the extension is installed in conn's database; ext receives its
 * version and the version the server's library offers.  Exits on a failed
 * query.
 */
bool
extension_state(PGconn *conn, Extension *ext)
{
	PGresult   *res;
	bool		installed;

	res = run_query(conn,
					"SELECT e.extversion, a.default_version"
					"  FROM pg_catalog.pg_available_extensions a"
					"  LEFT JOIN pg_catalog.pg_extension e"
					"    ON e.extname OPERATOR(pg_catalog.=) a.name"
					" WHERE a.name OPERATOR(pg_catalog.=) 'plystra'", 0, NULL);
	if (res == NULL)
		exit(EXIT_SERVER);
	ext->installed = NULL;
	ext->available = NULL;
	if (PQntuples(res) == 1)
	{
		if (!PQgetisnull(res, 0, 0))
			ext->installed = pg_strdup(PQgetvalue(res, 0, 0));
		ext->available = pg_strdup(PQgetvalue(res, 0, 1));
	}
	installed = ext->installed != NULL;
	PQclear(res);
	return installed;
}

/*
 * The extension must be installed in conn's database, and with
 * VERSION_CURRENT at the version the server's library offers (what migrate
 * up needs: the extension's own migrations come before the application's).
 * Returns EXIT_OK, or EXIT_EXTENSION having said why.
 */
int
require_extension(PGconn *conn, Extension *ext, VersionNeed need)
{
	if (!extension_state(conn, ext))
	{
		pg_log_error("database \"%s\" does not have the extension plystra", PQdb(conn));
		if (ext->available != NULL)
			pg_log_error_hint("Install it with CREATE EXTENSION plystra, as a superuser.");
		else
			pg_log_error_hint("The server has no plystra extension to install: run \"make install\" of plystra for the PostgreSQL of this server.");
		return EXIT_EXTENSION;
	}
	if (need != VERSION_ANY && strcmp(ext->installed, ext->available) != 0)
	{
		if (need == VERSION_CURRENT)
		{
			pg_log_error("extension plystra in database \"%s\" is at version %s; the server's library is version %s",
						 PQdb(conn), ext->installed, ext->available);
			pg_log_error_hint("Update the extension first (the extension's own migrations come before the application's): plystractl upgrade.");
			return EXIT_EXTENSION;
		}
		pg_log_warning("extension plystra in database \"%s\" is at version %s; the server's library is version %s",
					   PQdb(conn), ext->installed, ext->available);
		pg_log_warning_hint("Run plystractl upgrade.");
	}
	return EXIT_OK;
}

/*
 * Run query with text parameters; NULL, having shown the server's error,
 * when it fails.
 */
PGresult *
run_query(PGconn *conn, const char *query, int nparams, const char *const *params)
{
	PGresult   *res;

	res = PQexecParams(conn, query, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
		return res;
	if (PQresultStatus(res) == PGRES_FATAL_ERROR)
		report_error(res, NULL);
	else
		pg_log_error("%s", PQerrorMessage(conn));
	PQclear(res);
	return NULL;
}

/*
 * Show a server error as psql does with VERBOSITY verbose, on stderr:
 * "[prefix: ]ERROR:  SQLSTATE: message", then its detail, hint and
 * context.
 */
void
report_error(const PGresult *res, const char *prefix)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);

	progress_clear();
	if (message == NULL)
	{
		/* not from the server: the connection was lost */
		fprintf(stderr, "%s%s%s", prefix ? prefix : "", prefix ? ": " : "",
				PQresultErrorMessage(res));
		return;
	}
	fprintf(stderr, "%s%s%s:  %s%s%s\n",
			prefix ? prefix : "", prefix ? ": " : "",
			severity ? severity : "ERROR",
			sqlstate ? sqlstate : "", sqlstate ? ": " : "", message);
	if (detail)
		fprintf(stderr, "DETAIL:  %s\n", detail);
	if (hint)
		fprintf(stderr, "HINT:  %s\n", hint);
	if (context)
		fprintf(stderr, "CONTEXT:  %s\n", context);
}

/*
 * Run command in the database of -d, or with --all-databases in every
 * database of the cluster that has the extension, in name order.  Returns
 * the highest exit code of any database.  With stop_at_failure, the
 * databases after one where the command failed (more than warnings) are
 * left alone.
 */
int
for_each_database(const Options *opts, VersionNeed need, bool stop_at_failure,
				  DatabaseCommand command, void *arg)
{
	char	  **names;
	int			count;
	int			i;
	int			rc = EXIT_OK;
	int			done = 0;
	int			connected = 0;

	if (!opts->all_databases)
	{
		PGconn	   *conn = connect_to(opts, NULL);
		Extension	ext;

		if (conn == NULL)
			return EXIT_SERVER;
		rc = require_extension(conn, &ext, need);
		if (rc == EXIT_OK)
			rc = command(opts, conn, &ext, arg);
		PQfinish(conn);
		return rc;
	}

	names = list_databases(opts, &count);
	if (names == NULL)
		return EXIT_SERVER;
	for (i = 0; i < count; i++)
	{
		PGconn	   *conn = connect_to(opts, names[i]);
		Extension	ext;
		int			r;

		if (conn == NULL)
		{
			rc = Max(rc, EXIT_SERVER);
			if (stop_at_failure)
			{
				pg_log_error("stopped at database \"%s\": it and the databases after it were not changed",
							 names[i]);
				break;
			}
			continue;
		}
		connected++;
		if (!extension_state(conn, &ext))
		{
			PQfinish(conn);
			continue;
		}
		if (!opts->json)
			printf("%s== database %s\n", done > 0 ? "\n" : "", names[i]);
		fflush(stdout);
		done++;
		r = require_extension(conn, &ext, need);
		if (r == EXIT_OK)
			r = command(opts, conn, &ext, arg);
		rc = Max(rc, r);
		PQfinish(conn);
		if (stop_at_failure && r > EXIT_WARN && i + 1 < count)
		{
			pg_log_error("stopped after database \"%s\": the databases after it were not changed",
						 names[i]);
			break;
		}
	}
	if (done == 0 && connected > 0 && rc == EXIT_OK)
	{
		pg_log_error("no database of the cluster has the extension plystra");
		return EXIT_EXTENSION;
	}
	return rc;
}

/*
 * Bring conn back to the state of a new session (DISCARD ALL: settings,
 * role, temporary tables, prepared statements, advisory locks), with the
 * client encoding plystractl sets.  False, having said why, on failure.
 */
bool
reset_session(PGconn *conn)
{
	PGresult   *res = PQexec(conn, "DISCARD ALL");

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		report_error(res, NULL);
		PQclear(res);
		return false;
	}
	PQclear(res);
	if (PQsetClientEncoding(conn, PQparameterStatus(conn, "server_encoding")) != 0)
	{
		pg_log_error("could not set the client encoding: %s", PQerrorMessage(conn));
		return false;
	}
	return true;
}
