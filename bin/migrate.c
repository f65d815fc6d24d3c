/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  plystractl migrate up, migrate status, migrate verify and checksum.
 *
 * migrate up plans before it applies: it reads every file and the history
 * of the component, and refuses to start when a file was edited after it
 * was applied or (without --allow-out-of-order) a pending file sorts before
 * an applied one.  Then each pending file goes through plystra.migrate(),
 * one call and so one transaction each: the server checks everything again
 * under its lock, so that two runs at once apply each file once.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

#include <time.h>

#include "common/logging.h"
#include "fe_utils/cancel.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1000000.0;
}

/*
 * The line of the migration's file that an error's context names:
 * script.c says "migration COMPONENT/NAME, line N" for a syntax error and
 * "migration COMPONENT/NAME, statement K at line N" for a failed statement.
 * 0 when it names none.
 */
static int
error_line(const PGresult *res, const char *component, const char *name)
{
	const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
	char	   *what = psprintf("migration %s/%s, ", component, name);
	const char *p;
	int			line = 0;

	for (p = context; p != NULL && *p != '\0';)
	{
		const char *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);

		if (strncmp(p, what, strlen(what)) == 0)
		{
			const char *l = p + strlen(what);
			const char *at;

			if ((at = strstr(l, "line ")) != NULL && at < p + len)
				line = atoi(at + 5);
			break;
		}
		p = eol ? eol + 1 : NULL;
	}
	free(what);
	return line;
}

static void
json_migration(PQExpBuffer buf, const Migration *m, const char *result,
			   double ms, bool *first)
{
	bool		f = true;

	if (!*first)
		appendPQExpBufferChar(buf, ',');
	*first = false;
	appendPQExpBufferChar(buf, '{');
	json_key_string(buf, "name", m->name, &f);
	json_key_string(buf, "file", m->file, &f);
	json_key_string(buf, "result", result, &f);
	if (ms >= 0)
	{
		json_key(buf, "ms", &f);
		appendPQExpBuffer(buf, "%.1f", ms);
	}
	appendPQExpBufferChar(buf, '}');
}

static void
json_error(PQExpBuffer buf, const PGresult *res, int line, bool *first)
{
	bool		f = true;

	json_key(buf, "error", first);
	appendPQExpBufferChar(buf, '{');
	json_key_string(buf, "sqlstate", PQresultErrorField(res, PG_DIAG_SQLSTATE), &f);
	json_key_string(buf, "message", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), &f);
	json_key_string(buf, "detail", PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL), &f);
	json_key_string(buf, "hint", PQresultErrorField(res, PG_DIAG_MESSAGE_HINT), &f);
	json_key_string(buf, "context", PQresultErrorField(res, PG_DIAG_CONTEXT), &f);
	json_key(buf, "line", &f);
	if (line > 0)
		appendPQExpBuffer(buf, "%d", line);
	else
		appendPQExpBufferStr(buf, "null");
	appendPQExpBufferChar(buf, '}');
}

/*
 * What stops migrate up before it starts: edited files, and pending files
 * out of order unless allowed.  Says each, and returns EXIT_DISAGREE, or
 * EXIT_OK.  Missing files are only a warning here (migrate verify fails on
 * them).
 */
static int
check_plan(const Options *opts, const MigrationSet *set, PQExpBuffer refusals)
{
	int			rc = EXIT_OK;
	int			i;

	for (i = 0; i < set->nall; i++)
	{
		const Migration *m = &set->all[i];
		bool		f = true;

		if (m->recorded_state != NULL && strcmp(m->recorded_state, "applied") != 0)
			pg_log_warning("migration %s of component \"%s\" is recorded, but the server says: %s",
						   m->name, set->component, m->recorded_state);
		if (m->state == MS_EDITED ||
			(m->state == MS_OUT_OF_ORDER && !opts->allow_out_of_order))
		{
			appendPQExpBufferStr(refusals, refusals->len ? ",{" : "{");
			json_key_string(refusals, "name", m->name, &f);
			json_key_string(refusals, "problem", state_key(m->state), &f);
			json_key_string(refusals, "checksum", m->checksum, &f);
			json_key_string(refusals, "recorded_checksum", m->recorded, &f);
			appendPQExpBufferChar(refusals, '}');
		}
		switch (m->state)
		{
			case MS_EDITED:
				pg_log_error("migration %s of component \"%s\" was applied with a different text",
							 m->name, set->component);
				pg_log_error_detail("It was applied with checksum %s; file \"%s\" has checksum %s.",
									m->recorded, m->path, m->checksum);
				pg_log_error_hint("Restore the file's original text and ship the change as a new migration.");
				rc = EXIT_DISAGREE;
				break;
			case MS_OUT_OF_ORDER:
				if (!opts->allow_out_of_order)
				{
					pg_log_error("migration %s of component \"%s\" is pending and sorts before an applied one",
								 m->name, set->component);
					pg_log_error_hint("Rename the file so that it sorts last, or pass --allow-out-of-order if it does not depend on the order.");
					rc = EXIT_DISAGREE;
				}
				break;
			case MS_MISSING:
				pg_log_warning("migration %s of component \"%s\" was applied on %s but has no file in \"%s\"",
							   m->name, set->component, m->applied_at, set->dir);
				break;
			case MS_APPLIED:
			case MS_PENDING:
				break;
		}
	}
	if (rc != EXIT_OK)
		pg_log_error("nothing was applied");
	return rc;
}

static int
migrate_up(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	MigrationSet *set = arg;
	int			rc;
	int			i;
	int			total = 0;
	int			done = 0;
	int			counts[3] = {0, 0, 0};	/* applied, already applied, would */
	const char *to = NULL;
	double		start = now_ms();
	PQExpBuffer json = createPQExpBuffer();
	bool		first = true;
	bool		jfirst = true;
	const Migration *failed = NULL;

	if ((rc = read_history(conn, set)) != EXIT_OK)
		return rc;
	{
		PQExpBuffer refusals = createPQExpBuffer();

		rc = check_plan(opts, set, refusals);
		if (rc != EXIT_OK && opts->json)
		{
			bool		f = true;

			appendPQExpBufferChar(json, '{');
			json_key_string(json, "database", PQdb(conn), &f);
			json_key_string(json, "component", set->component, &f);
			json_key_string(json, "directory", set->dir, &f);
			json_key(json, "refused", &f);
			appendPQExpBuffer(json, "[%s]}\n", refusals->data);
			fputs(json->data, stdout);
		}
		destroyPQExpBuffer(refusals);
		if (rc != EXIT_OK)
		{
			destroyPQExpBuffer(json);
			return rc;
		}
	}

	if (opts->to != NULL)
		for (i = 0; i < set->nfiles; i++)
			if (strcmp(set->files[i].name, opts->to) == 0 ||
				strcmp(set->files[i].file, opts->to) == 0)
				to = set->files[i].name;
	for (i = 0; i < set->nfiles; i++)
		if (to == NULL || strcmp(set->files[i].name, to) <= 0)
			total++;

	appendPQExpBufferChar(json, '{');
	json_key_string(json, "database", PQdb(conn), &jfirst);
	json_key_string(json, "component", set->component, &jfirst);
	json_key_string(json, "directory", set->dir, &jfirst);
	json_key(json, "dry_run", &jfirst);
	appendPQExpBufferStr(json, opts->dry_run ? "true" : "false");
	json_key(json, "migrations", &jfirst);
	appendPQExpBufferChar(json, '[');

	for (i = 0; i < set->nfiles; i++)
	{
		const Migration *m = &set->files[i];
		const char *params[4];
		const char *result;
		PGresult   *res;
		double		t0;
		double		ms;

		if (to != NULL && strcmp(m->name, to) > 0)
			break;
		done++;
		if (m->state == MS_APPLIED)
		{
			counts[1]++;
			if (!opts->json && !opts->quiet)
			{
				progress_clear();
				printf("already applied  %s\n", m->file);
			}
			json_migration(json, m, "already applied", -1, &first);
			continue;
		}
		if (CancelRequested)
		{
			pg_log_error("interrupted: %s and the files after it were not applied", m->name);
			destroyPQExpBuffer(json);
			return EXIT_MIGRATION;
		}
		if (opts->dry_run)
		{
			counts[2]++;
			if (!opts->json)
				printf("would apply      %s\n", m->file);
			json_migration(json, m, "would apply", -1, &first);
			continue;
		}

		progress(opts, done, total, m->file);
		params[0] = set->component;
		params[1] = m->name;
		params[2] = m->script;
		params[3] = m->state == MS_OUT_OF_ORDER ? "true" : "false";
		t0 = now_ms();
		/* Ctrl-C cancels the migration on the server: it is rolled back */
		SetCancelConn(conn);
		res = PQexecParams(conn, "SELECT plystra.migrate($1, $2, $3, $4)",
						   4, NULL, params, NULL, NULL, 0);
		ResetCancelConn();
		ms = now_ms() - t0;
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			int			line = error_line(res, set->component, m->name);
			char	   *where = line > 0 ? psprintf("%s:%d", m->path, line) : pg_strdup(m->path);

			report_error(res, where);
			pg_log_error("migration %s failed and was rolled back; %d after it not attempted",
						 m->name, total - done);
			json_migration(json, m, "failed", ms, &first);
			appendPQExpBufferChar(json, ']');
			json_error(json, res, line, &jfirst);
			failed = m;
			PQclear(res);
			break;
		}
		result = PQgetvalue(res, 0, 0);
		if (strcmp(result, "applied") == 0)
			counts[0]++;
		else
			counts[1]++;
		if (!opts->json)
		{
			progress_clear();
			if (strcmp(result, "applied") == 0)
				printf("applied          %s (%.0f ms)\n", m->file, ms);
			else
				printf("already applied  %s (by another session meanwhile)\n", m->file);
			fflush(stdout);
		}
		json_migration(json, m, result, ms, &first);
		PQclear(res);

		/*
		 * The next file starts from a fresh session, as under a psql loop
		 * (one psql per file): what this one SET, SET ROLE, created as
		 * temporary or prepared does not reach it.
		 */
		if (!reset_session(conn))
		{
			destroyPQExpBuffer(json);
			return EXIT_SERVER;
		}
	}
	progress_clear();

	if (failed == NULL)
		appendPQExpBufferChar(json, ']');
	json_key(json, "applied", &jfirst);
	appendPQExpBuffer(json, "%d", counts[0]);
	json_key(json, "would_apply", &jfirst);
	appendPQExpBuffer(json, "%d", counts[2]);
	json_key(json, "already_applied", &jfirst);
	appendPQExpBuffer(json, "%d", counts[1]);
	json_key(json, "not_attempted", &jfirst);
	appendPQExpBuffer(json, "%d", total - done);
	appendPQExpBufferStr(json, "}\n");

	if (opts->json)
		fputs(json->data, stdout);
	else if (opts->dry_run)
		printf("component %s in database %s: %d to apply, %d already applied (dry run: nothing was applied)\n",
			   set->component, PQdb(conn), counts[2], counts[1]);
	else if (failed != NULL)
		printf("component %s in database %s: %d applied, %d already applied, %s failed, %d not attempted\n",
			   set->component, PQdb(conn), counts[0], counts[1], failed->name, total - done);
	else
		printf("component %s in database %s: %d applied, %d already applied (%.2f s)\n",
			   set->component, PQdb(conn), counts[0], counts[1],
			   (now_ms() - start) / 1000.0);
	destroyPQExpBuffer(json);
	(void) ext;
	return failed != NULL ? EXIT_MIGRATION : EXIT_OK;
}

int
cmd_migrate_up(const Options *opts)
{
	MigrationSet set;
	Options		o = *opts;
	int			rc;

	if ((rc = read_migration_dir(opts, &set)) != EXIT_OK)
		return rc;
	o.keep_search_path = true;
	return for_each_database(&o, VERSION_CURRENT, true, migrate_up, &set);
}

static int
migrate_status(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	MigrationSet *set = arg;
	int			rc;
	int			i;
	int			width = 4;

	if ((rc = read_history(conn, set)) != EXIT_OK)
		return rc;

	if (opts->json)
	{
		PQExpBuffer buf = createPQExpBuffer();
		bool		first = true;

		json_database_open(buf, conn, ext, &first);
		json_key_string(buf, "component", set->component, &first);
		json_key_string(buf, "directory", set->dir, &first);
		json_key(buf, "migrations", &first);
		appendPQExpBufferChar(buf, '[');
		for (i = 0; i < set->nall; i++)
		{
			const Migration *m = &set->all[i];
			bool		f = true;

			appendPQExpBufferStr(buf, i ? ",{" : "{");
			json_key_string(buf, "name", m->name, &f);
			json_key_string(buf, "file", m->file, &f);
			json_key_string(buf, "state", state_key(m->state), &f);
			json_key_string(buf, "checksum", m->file ? m->checksum : NULL, &f);
			json_key_string(buf, "recorded_checksum", m->recorded, &f);
			json_key_string(buf, "applied_at", m->applied_at, &f);
			json_key_string(buf, "applied_by", m->applied_by, &f);
			json_key_string(buf, "recorded_state", m->recorded_state, &f);
			appendPQExpBufferChar(buf, '}');
		}
		appendPQExpBufferStr(buf, "],\"counts\":{");
		for (i = MS_APPLIED; i <= MS_MISSING; i++)
			appendPQExpBuffer(buf, "%s\"%s\":%d", i ? "," : "",
							  state_key(i), set->counts[i]);
		appendPQExpBufferStr(buf, "}}\n");
		fputs(buf->data, stdout);
		destroyPQExpBuffer(buf);
		return EXIT_OK;
	}

	for (i = 0; i < set->nall; i++)
		width = Max(width, (int) strlen(set->all[i].name));
	printf("component %s, directory %s, database %s (extension plystra %s)\n",
		   set->component, set->dir, PQdb(conn), ext->installed);
	printf("%-13s %-*s  %s\n", "state", width, "name", "applied at");
	for (i = 0; i < set->nall; i++)
	{
		const Migration *m = &set->all[i];

		printf("%-13s %-*s  %s\n", state_name(m->state), width, m->name,
			   m->applied_at ? m->applied_at : "");
		if (m->state == MS_EDITED)
			printf("%-13s   recorded checksum %s\n%-13s   file checksum     %s\n",
				   "", m->recorded, "", m->checksum);
		if (m->recorded_state != NULL && strcmp(m->recorded_state, "applied") != 0)
			printf("%-13s   the server says: %s\n", "", m->recorded_state);
	}
	printf("%d migrations: %d applied, %d pending, %d out of order, %d edited, %d missing\n",
		   set->nall, set->counts[MS_APPLIED], set->counts[MS_PENDING],
		   set->counts[MS_OUT_OF_ORDER], set->counts[MS_EDITED], set->counts[MS_MISSING]);
	return EXIT_OK;
}

int
cmd_migrate_status(const Options *opts)
{
	MigrationSet set;
	int			rc;

	if ((rc = read_migration_dir(opts, &set)) != EXIT_OK)
		return rc;
	return for_each_database(opts, VERSION_WARN, false, migrate_status, &set);
}

static int
migrate_verify(const Options *opts, PGconn *conn, const Extension *ext, void *arg)
{
	MigrationSet *set = arg;
	PQExpBuffer buf = createPQExpBuffer();
	bool		first = true;
	bool		pfirst = true;
	int			problems = 0;
	int			rc;
	int			i;

	if ((rc = read_history(conn, set)) != EXIT_OK)
		return rc;

	appendPQExpBufferChar(buf, '{');
	json_key_string(buf, "database", PQdb(conn), &first);
	json_key_string(buf, "component", set->component, &first);
	json_key_string(buf, "directory", set->dir, &first);
	json_key(buf, "problems", &first);
	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < set->nall; i++)
	{
		const Migration *m = &set->all[i];
		char	   *detail;
		bool		f = true;

		switch (m->state)
		{
			case MS_APPLIED:
				if (m->recorded_state == NULL || strcmp(m->recorded_state, "applied") == 0)
					continue;
				/* the history has the row, but not as migrate() writes it */
				detail = psprintf("the server says \"%s\": plystra.migrate_verify() says why",
								  m->recorded_state);
				problems++;
				if (!opts->json)
					printf("%-13s %s: %s\n", m->recorded_state, m->name, detail);
				appendPQExpBufferStr(buf, pfirst ? "{" : ",{");
				pfirst = false;
				json_key_string(buf, "name", m->name, &f);
				json_key_string(buf, "problem", m->recorded_state, &f);
				json_key_string(buf, "detail", detail, &f);
				appendPQExpBufferChar(buf, '}');
				free(detail);
				continue;
			case MS_PENDING:
				if (opts->allow_pending)
					continue;
				detail = psprintf("file %s is not applied", m->path);
				break;
			case MS_OUT_OF_ORDER:
				detail = psprintf("file %s is not applied and sorts before an applied migration", m->path);
				break;
			case MS_EDITED:
				detail = psprintf("applied with checksum %s; file %s has checksum %s",
								  m->recorded, m->path, m->checksum);
				break;
			case MS_MISSING:
			default:
				detail = psprintf("applied on %s by %s; no file in %s",
								  m->applied_at, m->applied_by, set->dir);
				break;
		}
		problems++;
		if (!opts->json)
			printf("%-13s %s: %s\n", state_name(m->state), m->name, detail);
		appendPQExpBufferStr(buf, pfirst ? "{" : ",{");
		pfirst = false;
		json_key_string(buf, "name", m->name, &f);
		json_key_string(buf, "problem", state_key(m->state), &f);
		json_key_string(buf, "detail", detail, &f);
		appendPQExpBufferChar(buf, '}');
		free(detail);
	}
	appendPQExpBufferStr(buf, "]");
	json_key(buf, "ok", &first);
	appendPQExpBuffer(buf, "%s}\n", problems == 0 ? "true" : "false");
	if (opts->json)
		fputs(buf->data, stdout);
	else if (problems == 0)
		printf("ok: component %s in database %s: %d applied, %d pending; every applied migration has its file, unchanged\n",
			   set->component, PQdb(conn), set->counts[MS_APPLIED],
			   set->counts[MS_PENDING]);
	else
		printf("verify failed: component %s in database %s: %d problem%s\n",
			   set->component, PQdb(conn), problems, problems == 1 ? "" : "s");
	destroyPQExpBuffer(buf);
	(void) ext;
	return problems == 0 ? EXIT_OK : EXIT_DISAGREE;
}

int
cmd_migrate_verify(const Options *opts)
{
	MigrationSet set;
	int			rc;

	if ((rc = read_migration_dir(opts, &set)) != EXIT_OK)
		return rc;
	return for_each_database(opts, VERSION_WARN, false, migrate_verify, &set);
}

/*
 * plystractl checksum FILE...: the checksum the server records for each
 * file, computed here by the very code of plystra.migration_checksum().
 */
int
cmd_checksum(int nfiles, char **files)
{
	int			rc = EXIT_OK;
	int			i;

	if (nfiles == 0)
	{
		pg_log_error("no file given");
		pg_log_error_hint("Try \"plystractl --help\" for more information.");
		return EXIT_USAGE;
	}
	for (i = 0; i < nfiles; i++)
	{
		FILE	   *f = fopen(files[i], "rb");
		PQExpBuffer buf = createPQExpBuffer();
		char		chunk[65536];
		size_t		got;
		char		checksum[PLYSTRA_CHECKSUM_LEN + 1];

		if (f == NULL)
		{
			pg_log_error("could not open file \"%s\": %m", files[i]);
			rc = EXIT_INPUT;
			destroyPQExpBuffer(buf);
			continue;
		}
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			appendBinaryPQExpBuffer(buf, chunk, got);
		if (ferror(f) || PQExpBufferBroken(buf))
		{
			pg_log_error("could not read file \"%s\": %m", files[i]);
			rc = EXIT_INPUT;
		}
		else
		{
			plystra_checksum(buf->data, buf->len, checksum);
			printf("%s  %s\n", checksum, files[i]);
		}
		fclose(f);
		destroyPQExpBuffer(buf);
	}
	return rc;
}
