/*-------------------------------------------------------------------------
 *
 * upgrade.c
 *	  plystractl upgrade: README's upgrade procedure as one command.
 *
 * For each database: a backup with pg_dump -Fc (unless --no-backup), then
 * ALTER EXTENSION plystra UPDATE (one transaction: it updates or changes
 * nothing), audit_maintain() (the audit log's partitions ahead), then
 * migrate_verify(), drift_check() and doctor().  The first
 * step that fails stops everything, with what to do next; with
 * --all-databases the databases after it are left alone.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/upgrade.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/logging.h"
#include "fe_utils/cancel.h"

/* value quoted for a conninfo string */
static void
append_conninfo_value(PQExpBuffer buf, const char *value)
{
	const char *p;

	appendPQExpBufferChar(buf, '\'');
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendPQExpBufferChar(buf, '\\');
		appendPQExpBufferChar(buf, *p);
	}
	appendPQExpBufferChar(buf, '\'');
}

/*
 * The connection string of conn, for pg_dump to reach the very same
 * database; the password, if one was used, goes through the environment
 * rather than the command line.
 */
static char *
conninfo_of(PGconn *conn)
{
	PQconninfoOption *options = PQconninfo(conn);
	PQconninfoOption *o;
	PQExpBuffer buf = createPQExpBuffer();
	char	   *result;

	for (o = options; o && o->keyword; o++)
	{
		const char *val = o->val;

		/* no secret on a command line (password, sslpassword, ...) */
		if (val == NULL || val[0] == '\0' ||
			o->dispchar[0] == '*' || o->dispchar[0] == 'D' ||
			strcmp(o->keyword, "fallback_application_name") == 0 ||
			strcmp(o->keyword, "client_encoding") == 0)
			continue;
		/* the server this connection reached, not the list it chose from */
		if (strcmp(o->keyword, "host") == 0)
			val = PQhost(conn);
		else if (strcmp(o->keyword, "hostaddr") == 0 && PQhostaddr(conn) != NULL)
			val = PQhostaddr(conn);
		else if (strcmp(o->keyword, "port") == 0)
			val = PQport(conn);
		appendPQExpBuffer(buf, "%s%s=", buf->len ? " " : "", o->keyword);
		append_conninfo_value(buf, val);
	}
	PQconninfoFree(options);
	result = pg_strdup(buf->data);
	destroyPQExpBuffer(buf);
	return result;
}

/* pg_dump next to plystractl (both are in the PostgreSQL bindir), or PATH's */
static const char *
pg_dump_path(const Options *opts)
{
	static char path[MAXPGPATH];

	if (find_my_exec(opts->argv0, path) == 0)
	{
		get_parent_directory(path);
		join_path_components(path, path, "pg_dump");
		if (access(path, X_OK) == 0)
			return path;
	}
	return "pg_dump";
}

/*
 * Run pg_dump -Fc of conn's database into file, which is created here, mode
 * 0600 (a backup holds password hashes), and only if nothing is there yet,
 * not even a symbolic link; pg_dump writes to it as its standard output.
 * True when it succeeded; on failure the file is removed.
 */
static bool
backup(const Options *opts, PGconn *conn, const char *file)
{
	const char *pg_dump = pg_dump_path(opts);
	char	   *conninfo = conninfo_of(conn);
	const char *pass = PQpass(conn);
	pid_t		pid;
	int			status;
	int			fd;
	struct stat st;

	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | PG_BINARY, 0600);
	if (fd < 0)
	{
		if (errno == EEXIST)
		{
			pg_log_error("backup file \"%s\" already exists", file);
			pg_log_error_hint("Name another one with --backup FILE; plystractl does not overwrite a backup.");
		}
		else
			pg_log_error("could not create backup file \"%s\": %m", file);
		return false;
	}
	printf("backup: %s -Fc of database %s into %s\n", pg_dump, PQdb(conn), file);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
	{
		pg_log_error("could not fork: %m");
		close(fd);
		unlink(file);
		return false;
	}
	if (pid == 0)
	{
		if (dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		close(fd);
		if (pass != NULL && pass[0] != '\0' && PQconnectionUsedPassword(conn))
			setenv("PGPASSWORD", pass, 1);
		if (opts->prompt_password == 0)
			execlp(pg_dump, "pg_dump", "-Fc", "-w", "-d", conninfo, (char *) NULL);
		else
			execlp(pg_dump, "pg_dump", "-Fc", "-d", conninfo, (char *) NULL);
		fprintf(stderr, "plystractl: error: could not execute \"%s\": %s\n",
				pg_dump, strerror(errno));
		_exit(127);
	}
	close(fd);
	while (waitpid(pid, &status, 0) != pid)
	{
		if (errno != EINTR)
		{
			pg_log_error("could not wait for pg_dump: %m");
			unlink(file);
			return false;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		pg_log_error("the backup failed: pg_dump %s %d",
					 WIFEXITED(status) ? "exited with status" : "was terminated by signal",
					 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		unlink(file);
		return false;
	}
	if (stat(file, &st) == 0)
		printf("backup: %lld bytes written\n", (long long) st.st_size);
	return true;
}

/* name, with every byte but [A-Za-z0-9_.-] made '_', and no leading '.' */
static char *
file_name_part(const char *name)
{
	char	   *result = pg_strdup(name);
	char	   *p;

	for (p = result; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
			  (*p == '.' && p != result)))
			*p = '_';
	return result;
}

/* word quoted for sh, when it needs to be */
static char *
shell_quote(const char *word)
{
	PQExpBuffer buf = createPQExpBuffer();
	const char *p;
	char	   *result;

	if (strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@+=,") == strlen(word))
		return pg_strdup(word);
	appendPQExpBufferChar(buf, '\'');
	for (p = word; *p; p++)
	{
		if (*p == '\'')
			appendPQExpBufferStr(buf, "'\\''");
		else
			appendPQExpBufferChar(buf, *p);
	}
	appendPQExpBufferChar(buf, '\'');
	result = pg_strdup(buf->data);
	destroyPQExpBuffer(buf);
	return result;
}

/*
 * The shell command that restores file, a backup of a database at
 * version, into a new database NEW with the extension at that version.
 * pg_dump writes "CREATE EXTENSION IF NOT EXISTS plystra WITH SCHEMA
 * plystra;" without a version, which would install the newest one and then
 * fail to load the older version's rows: the command adds the version.
 */
static char *
restore_command(const char *version, const char *file)
{
	/* extension versions are words like 1.2; anything else is not quoted here */
	if (strspn(version, "abcdefghijklmnopqrstuvwxyz0123456789.") != strlen(version))
		return psprintf("restore %s into a new database in which CREATE EXTENSION plystra VERSION '%s' ran first (pg_dump writes the CREATE EXTENSION without a version)",
						shell_quote(file), version);
	return psprintf("createdb NEW && pg_restore -f - %s | "
					"sed \"s/^\\(CREATE EXTENSION IF NOT EXISTS plystra WITH SCHEMA plystra\\);\\$/\\1 VERSION '%s';/\" | "
					"psql -X -q -o /dev/null -v ON_ERROR_STOP=1 --single-transaction -d NEW",
					shell_quote(file), version);
}

/*
 * The rows of a check of the server, printed; EXIT_OK when there are none.
 * With is_drift, rows doctor() calls a warning (indexes a DBA added) are
 * printed as one and do not fail the step.
 */
static int
check_rows(PGconn *conn, const char *step, const char *query, bool is_drift)
{
	PGresult   *res = run_query(conn, query, 0, NULL);
	int			n;
	int			rc;

	if (res == NULL)
		return EXIT_SERVER;
	n = PQntuples(res);
	rc = n == 0 ? EXIT_OK : is_drift ? drift_code(conn) : EXIT_FAIL;
	if (n == 0)
		printf("%s: ok\n", step);
	else
	{
		print_rows(res);
		if (rc == EXIT_WARN)
			pg_log_warning("%s: indexes added to storage tables by hand, which are yours: no problem", step);
		else
			pg_log_error("%s: %d problem%s", step, n, n == 1 ? "" : "s");
	}
	PQclear(res);
	return rc == EXIT_WARN ? EXIT_OK : rc;
}

static int
upgrade(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	char	   *file;
	PGresult   *res;
	int			rc;
	const char *undo;

	printf("database %s: extension plystra %s, the server's library %s\n",
		   PQdb(conn), ext->installed, ext->available);

	/* 1. back up */
	if (!opts->no_backup)
	{
		char		stamp[32];
		time_t		now = time(NULL);

		/* named as tools/upgrade.sh names it: database, version, UTC time */
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
		if (opts->backup != NULL && !opts->all_databases)
			file = pg_strdup(opts->backup);
		else
			file = psprintf("%s%s%s-plystra-%s-%s.dump",
							opts->backup ? opts->backup : "",
							opts->backup ? "/" : "",
							file_name_part(PQdb(conn)),
							file_name_part(ext->installed), stamp);
		if (!backup(opts, conn, file))
		{
			pg_log_error_hint("Nothing was changed.  Fix the backup, or pass --no-backup if you have one already.");
			return EXIT_UPGRADE;
		}

		/*
		 * pg_dump writes CREATE EXTENSION without a version: a restore
		 * must create the extension at the backup's version (as
		 * tools/restore-backup.sh does), in one transaction.
		 */
		undo = psprintf("To go back, restore the backup at version %s into a new database: %s",
						ext->installed, restore_command(ext->installed, file));
		printf("backup: to go back to it: %s\n", restore_command(ext->installed, file));
	}
	else
		undo = "No backup was taken (--no-backup): go back with the one you have.";

	/* 2. update */
	if (strcmp(ext->installed, ext->available) == 0)
		printf("update: already at version %s\n", ext->installed);
	else
	{
		SetCancelConn(conn);
		res = PQexec(conn, "ALTER EXTENSION plystra UPDATE");
		ResetCancelConn();
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			report_error(res, NULL);
			PQclear(res);
			pg_log_error("the update failed and was rolled back: extension plystra is still at version %s",
						 ext->installed);
			pg_log_error_hint("Fix what the error says and run plystractl upgrade again.");
			return EXIT_UPGRADE;
		}
		PQclear(res);
		printf("update: extension plystra %s -> %s\n", ext->installed, ext->available);
	}

	/* the audit log's partitions ready (1.2 on), before doctor() looks */
	res = run_query(conn,
					"SELECT pg_catalog.count(*) FROM plystra.audit_maintain()",
					0, NULL);
	if (res == NULL)
	{
		pg_log_error_hint("The extension is updated, but its audit partitions could not be made: run plystractl audit maintain, then plystractl doctor.  %s",
						  undo);
		return EXIT_UPGRADE;
	}
	printf("audit partitions: %s made\n", PQgetvalue(res, 0, 0));
	PQclear(res);

	/* 3. verify, 4. drift, 5. doctor */
	if (check_rows(conn, "migrate_verify",
				   "SELECT component, name, problem, detail FROM plystra.migrate_verify()", false) != EXIT_OK ||
		check_rows(conn, "drift_check",
				   "SELECT object_type, object, drift, expected, actual FROM plystra.drift_check()", true) != EXIT_OK)
	{
		pg_log_error_hint("The extension is updated, but the database is not what it should be: the application must not be restarted on it.  Fix what the rows above say, then run plystractl doctor.  %s",
						  undo);
		return EXIT_UPGRADE;
	}
	res = run_query(conn, "SELECT \"check\", status, detail FROM plystra.doctor()", 0, NULL);
	if (res == NULL)
	{
		pg_log_error_hint("The extension is updated, but doctor() could not run: do not restart the application before it reports no failure.  %s",
						  undo);
		return EXIT_UPGRADE;
	}
	print_rows(res);
	rc = doctor_code(res);
	PQclear(res);
	if (rc == EXIT_FAIL)
	{
		pg_log_error("doctor: a check failed");
		pg_log_error_hint("Fix what the failed check says before the application is restarted.  %s", undo);
		return EXIT_UPGRADE;
	}
	printf("upgrade of database %s done%s: restart the application\n", PQdb(conn),
		   rc == EXIT_WARN ? ", with warnings (above)" : "");
	(void) arg;
	return rc;
}

int
cmd_upgrade(const Options *opts)
{
	if (opts->json)
	{
		pg_log_error("--json is for the commands that only read");
		return EXIT_USAGE;
	}
	if (opts->backup != NULL && opts->no_backup)
	{
		pg_log_error("--backup and --no-backup contradict each other");
		return EXIT_USAGE;
	}
	if (opts->backup != NULL && opts->all_databases)
	{
		struct stat st;

		if (stat(opts->backup, &st) != 0 || !S_ISDIR(st.st_mode))
		{
			pg_log_error("with --all-databases, --backup names a directory, and \"%s\" is not one", opts->backup);
			return EXIT_USAGE;
		}
	}
	return for_each_database(opts, VERSION_ANY, true, upgrade, NULL);
}
