/*-------------------------------------------------------------------------
 *
 * migrations.c
 *	  A directory of migration files, read and checked before anything is
 *	  sent, and set against the migration history of its component.
 *
 * Every "*.sql" file of the directory is a migration, but "*.down.sql"
 * (the undo files of golang-migrate and the like) and hidden files; its
 * name is the file's name without ".sql".  Files are read byte for byte;
 * one that cannot be read, holds a NUL byte, is not valid in the database's
 * encoding or whose name breaks the grammar of names.c stops the command
 * before anything is applied.  Migrations sort by name, byte-wise, as the
 * server compares them.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/migrations.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

#include <dirent.h>
#include <sys/stat.h>

#include "common/logging.h"
#include "mb/pg_wchar.h"

/* the largest file a text value holds, with room to spare */
#define MAX_FILE_SIZE	((size_t) 1000 * 1024 * 1024)

static const char *const state_names[] = {
	[MS_APPLIED] = "applied",
	[MS_PENDING] = "pending",
	[MS_OUT_OF_ORDER] = "out of order",
	[MS_EDITED] = "edited",
	[MS_MISSING] = "missing",
};

const char *
state_name(MigrationState state)
{
	return state_names[state];
}

/* the same, as JSON output spells it: "out_of_order" */
const char *
state_key(MigrationState state)
{
	return state == MS_OUT_OF_ORDER ? "out_of_order" : state_names[state];
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		ls = strlen(s);
	size_t		lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(((const Migration *) a)->name, ((const Migration *) b)->name);
}

/* say what is wrong with a name, as the server would; false if anything */
static bool
check_name(const char *what, const char *name, size_t maxlen)
{
	size_t		offset = 0;

	switch (plystra_name_problem(name, maxlen, &offset))
	{
		case PLYSTRA_NAME_OK:
			return true;
		case PLYSTRA_NAME_EMPTY:
			pg_log_error("%s must not be empty", what);
			break;
		case PLYSTRA_NAME_TOO_LONG:
			pg_log_error("%s \"%s\" is too long", what, name);
			pg_log_error_detail("It has %zu bytes; the limit is %zu.", strlen(name), maxlen);
			break;
		case PLYSTRA_NAME_BAD_START:
			pg_log_error("%s \"%s\" must start with an ASCII letter or digit", what, name);
			break;
		case PLYSTRA_NAME_CONTROL:
			pg_log_error("%s \"%s\" must not contain whitespace or control characters", what, name);
			pg_log_error_detail("Byte %zu is 0x%02X.", offset + 1,
								((const unsigned char *) name)[offset]);
			break;
		case PLYSTRA_NAME_SEPARATOR:
			pg_log_error("%s \"%s\" must not contain a path separator", what, name);
			break;
	}
	return false;
}

/* read path whole into m; false, having said why, when it cannot be used */
static bool
read_file(Migration *m)
{
	FILE	   *f;
	struct stat st;
	size_t		got;
	const char *nul;

	/* a FIFO or a device would block or never end: only regular files */
	if (stat(m->path, &st) != 0)
	{
		pg_log_error("could not stat file \"%s\": %m", m->path);
		return false;
	}
	if (!S_ISREG(st.st_mode))
	{
		pg_log_error("\"%s\" is not a regular file", m->path);
		return false;
	}
	f = fopen(m->path, "rb");
	if (f == NULL)
	{
		pg_log_error("could not open file \"%s\": %m", m->path);
		return false;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
	{
		pg_log_error("\"%s\" is not a regular file", m->path);
		fclose(f);
		return false;
	}
	if ((size_t) st.st_size > MAX_FILE_SIZE)
	{
		pg_log_error("file \"%s\" is too large", m->path);
		pg_log_error_detail("It has %lld bytes; a migration holds at most %zu.",
							(long long) st.st_size, MAX_FILE_SIZE);
		fclose(f);
		return false;
	}
	m->script = pg_malloc(st.st_size + 1);
	errno = 0;
	got = fread(m->script, 1, st.st_size, f);
	if (ferror(f))
	{
		pg_log_error("could not read file \"%s\": %m", m->path);
		fclose(f);
		return false;
	}
	if (got != (size_t) st.st_size || fgetc(f) != EOF)
	{
		pg_log_error("file \"%s\" changed while it was read", m->path);
		fclose(f);
		return false;
	}
	fclose(f);
	m->script[got] = '\0';
	m->len = got;

	nul = memchr(m->script, '\0', m->len);
	if (nul != NULL)
	{
		pg_log_error("file \"%s\" contains a NUL byte", m->path);
		pg_log_error_detail("At byte %zu: a migration is text.", (size_t) (nul - m->script) + 1);
		return false;
	}
	plystra_checksum(m->script, m->len, m->checksum);
	return true;
}

/*
 * Read the migration files of opts->dir into set, sorted by name.  Returns
 * EXIT_OK, or EXIT_INPUT having said what is wrong.
 */
int
read_migration_dir(const Options *opts, MigrationSet *set)
{
	DIR		   *d;
	struct dirent *de;
	int			allocated = 64;
	bool		ok = true;
	int			i;

	memset(set, 0, sizeof(*set));
	if (opts->dir == NULL)
	{
		pg_log_error("no migration directory given");
		pg_log_error_hint("Pass --dir DIR, the directory of the migration files.");
		return EXIT_USAGE;
	}
	set->dir = pg_strdup(opts->dir);
	/* "migrations/" names the same directory as "migrations" */
	while (strlen(set->dir) > 1 && set->dir[strlen(set->dir) - 1] == '/')
		set->dir[strlen(set->dir) - 1] = '\0';

	if (opts->component != NULL)
		set->component = pg_strdup(opts->component);
	else
	{
		/*
		 * The directory's name as given: "current" of a symlink current ->
		 * releases/v42 is "current", so that every release has the same
		 * component.  Only "." and ".." are resolved.
		 */
		const char *base = strrchr(set->dir, '/');

		base = base ? base + 1 : set->dir;
		if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		{
			char	   *real = realpath(set->dir, NULL);

			if (real == NULL)
			{
				pg_log_error("could not open directory \"%s\": %m", set->dir);
				return EXIT_INPUT;
			}
			base = strrchr(real, '/');
			set->component = pg_strdup(base && base[1] ? base + 1 : real);
			free(real);
		}
		else
			set->component = pg_strdup(base);
	}
	if (!check_name("component", set->component, PLYSTRA_MAX_COMPONENT_LEN))
	{
		if (opts->component == NULL)
			pg_log_error_hint("The component defaults to the directory's name; pass --component NAME.");
		return EXIT_INPUT;
	}
	if (strcmp(set->component, PLYSTRA_COMPONENT) == 0)
	{
		pg_log_error("component \"%s\" is reserved for the extension itself", PLYSTRA_COMPONENT);
		pg_log_error_hint("Pass --component with your application's name; the extension's own migrations are applied by plystractl upgrade.");
		return EXIT_INPUT;
	}

	d = opendir(set->dir);
	if (d == NULL)
	{
		pg_log_error("could not open directory \"%s\": %m", set->dir);
		return EXIT_INPUT;
	}
	set->files = pg_malloc(sizeof(Migration) * allocated);
	for (;;)
	{
		Migration  *m;
		size_t		len;

		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || !ends_with(de->d_name, ".sql") ||
			ends_with(de->d_name, ".down.sql"))
			continue;
		if (set->nfiles == allocated)
		{
			allocated *= 2;
			set->files = pg_realloc(set->files, sizeof(Migration) * allocated);
		}
		m = &set->files[set->nfiles++];
		memset(m, 0, sizeof(*m));
		m->file = pg_strdup(de->d_name);
		m->name = pnstrdup(de->d_name, len - strlen(".sql"));
		m->path = psprintf("%s/%s", set->dir, de->d_name);
		m->state = MS_PENDING;
	}
	if (errno != 0)
	{
		pg_log_error("could not read directory \"%s\": %m", set->dir);
		closedir(d);
		return EXIT_INPUT;
	}
	closedir(d);

	if (set->nfiles == 0)
	{
		pg_log_error("no migration files in directory \"%s\"", set->dir);
		pg_log_error_detail("Migrations are the files named *.sql (but *.down.sql).");
		return EXIT_INPUT;
	}
	qsort(set->files, set->nfiles, sizeof(Migration), compare_names);

	/* every file is checked, and every problem said, before giving up */
	for (i = 0; i < set->nfiles; i++)
	{
		Migration  *m = &set->files[i];

		if (!check_name("migration name", m->name, PLYSTRA_MAX_NAME_LEN))
		{
			pg_log_error_detail("The name of file \"%s\" is the file's name without \".sql\".", m->path);
			ok = false;
			continue;
		}
		if (!read_file(m))
			ok = false;
	}
	if (opts->to != NULL)
	{
		bool		found = false;

		for (i = 0; i < set->nfiles; i++)
			if (strcmp(set->files[i].name, opts->to) == 0 ||
				strcmp(set->files[i].file, opts->to) == 0)
				found = true;
		if (!found)
		{
			pg_log_error("--to \"%s\" is not a migration of directory \"%s\"", opts->to, set->dir);
			ok = false;
		}
	}
	return ok ? EXIT_OK : EXIT_INPUT;
}

/*
 * Check that every file, every name and the component are valid in the
 * database's encoding, which is the client encoding plystractl sets
 * (connect.c): the server would refuse them half-way, after earlier files
 * were applied.  False, having said where the first bad byte of each is,
 * otherwise.
 */
static bool
check_encoding(PGconn *conn, MigrationSet *set)
{
	int			encoding = PQclientEncoding(conn);
	bool		ok = true;
	int			i;

	if (pg_encoding_verifymbstr(encoding, set->component, strlen(set->component)) !=
		(int) strlen(set->component))
	{
		pg_log_error("component \"%s\" is not valid %s", set->component,
					 pg_encoding_to_char(encoding));
		ok = false;
	}
	for (i = 0; i < set->nfiles; i++)
	{
		Migration  *m = &set->files[i];
		int			valid = pg_encoding_verifymbstr(encoding, m->name, strlen(m->name));

		if ((size_t) valid != strlen(m->name))
		{
			pg_log_error("the name of file \"%s\" is not valid %s", m->path,
						 pg_encoding_to_char(encoding));
			pg_log_error_detail("Byte %d is 0x%02X; the database's encoding is %s.",
								valid + 1, (unsigned char) m->name[valid],
								pg_encoding_to_char(encoding));
			ok = false;
			continue;
		}
		valid = pg_encoding_verifymbstr(encoding, m->script, (int) m->len);

		if ((size_t) valid != m->len)
		{
			pg_log_error("file \"%s\" is not valid %s", m->path,
						 pg_encoding_to_char(encoding));
			pg_log_error_detail("Byte %d is 0x%02X; the database's encoding is %s, and files are sent unconverted.",
								valid + 1, (unsigned char) m->script[valid],
								pg_encoding_to_char(encoding));
			ok = false;
		}
	}
	return ok;
}

/*
 * Read the history of set's component through plystra.migration_status()
 * and give every file its state; recorded migrations without a file join
 * as missing.  Returns EXIT_OK, EXIT_INPUT when a file is not valid in the
 * database's encoding, or EXIT_SERVER when the query fails, having said
 * why.  set may be read again for another database.
 */
int
read_history(PGconn *conn, MigrationSet *set)
{
	const char *params[1] = {set->component};
	PGresult   *res;
	int			nrows;
	int			i;
	int			f;
	char	   *latest = NULL;

	if (!check_encoding(conn, set))
		return EXIT_INPUT;
	/* the files as read from the directory, not as another database saw them */
	for (i = 0; i < set->nfiles; i++)
	{
		set->files[i].state = MS_PENDING;
		set->files[i].recorded = NULL;
		set->files[i].applied_at = NULL;
		set->files[i].applied_by = NULL;
		set->files[i].recorded_state = NULL;
	}
	set->nall = 0;
	res = run_query(conn,
					"SELECT name, checksum, applied_at, applied_by, state"
					"  FROM plystra.migration_status($1)"
					" WHERE component OPERATOR(pg_catalog.=) $1"
					" ORDER BY name COLLATE pg_catalog.\"C\"", 1, params);
	if (res == NULL)
		return EXIT_SERVER;
	nrows = PQntuples(res);
	if (set->all != NULL)
		free(set->all);
	set->all = pg_malloc0(sizeof(Migration) * (set->nfiles + nrows));

	/* merge two lists sorted by name */
	f = 0;
	for (i = 0; i <= nrows; i++)
	{
		const char *name = i < nrows ? PQgetvalue(res, i, 0) : NULL;
		Migration  *m;

		while (f < set->nfiles && (name == NULL || strcmp(set->files[f].name, name) < 0))
			set->all[set->nall++] = set->files[f++];
		if (name == NULL)
			break;
		if (latest)
			free(latest);
		latest = pg_strdup(name);
		if (f < set->nfiles && strcmp(set->files[f].name, name) == 0)
			m = &set->files[f++];
		else
		{
			m = &set->all[set->nall];
			m->name = pg_strdup(name);
			m->state = MS_MISSING;
		}
		m->recorded = pg_strdup(PQgetvalue(res, i, 1));
		m->applied_at = pg_strdup(PQgetvalue(res, i, 2));
		m->applied_by = pg_strdup(PQgetvalue(res, i, 3));
		m->recorded_state = pg_strdup(PQgetvalue(res, i, 4));
		if (m->state != MS_MISSING)
			m->state = strcmp(m->recorded, m->checksum) == 0 ? MS_APPLIED : MS_EDITED;
		set->all[set->nall++] = *m;
	}
	PQclear(res);

	/* a pending file before the latest applied one cannot go in order */
	memset(set->counts, 0, sizeof(set->counts));
	for (i = 0; i < set->nall; i++)
	{
		Migration  *m = &set->all[i];

		if (m->state == MS_PENDING && latest != NULL && strcmp(m->name, latest) < 0)
			m->state = MS_OUT_OF_ORDER;
		set->counts[m->state]++;
	}
	/* the files array shares nothing the merge changed: refresh it */
	for (i = 0, f = 0; i < set->nall; i++)
		if (set->all[i].file != NULL)
			set->files[f++] = set->all[i];
	return EXIT_OK;
}
