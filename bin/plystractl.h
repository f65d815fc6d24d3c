/*-------------------------------------------------------------------------
 *
 * plystractl.h
 *	  Declarations shared by the files of plystractl, the command-line
 *	  client of the plystra extension, one section per file.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/plystractl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PLYSTRACTL_H
#define PLYSTRACTL_H

#include "postgres_fe.h"

#include "libpq-fe.h"
#include "pqexpbuffer.h"

#include "plystra_shared.h"		/* ../src: the checksum and name grammar */

/*
 * Exit codes (README, "plystractl").  0, 1 and 2 are those of monitoring
 * plugins (ok, warning, critical); with --all-databases the highest code
 * of any database is the program's.
 */
#define EXIT_OK				0	/* everything ok */
#define EXIT_WARN			1	/* doctor, drift: warnings only */
#define EXIT_FAIL			2	/* doctor: a failed check; drift found */
#define EXIT_DISAGREE		3	/* the directory and the history disagree */
#define EXIT_MIGRATION		4	/* a migration failed; earlier ones stay */
#define EXIT_UPGRADE		5	/* a step of upgrade failed */
#define EXIT_EXTENSION		6	/* no extension, or too old for the command */
#define EXIT_SERVER			7	/* cannot connect, or a query failed */
#define EXIT_INPUT			8	/* bad directory, file or name */
#define EXIT_USAGE			64	/* bad command line */

/* The command line (plystractl.c). */
typedef struct Options
{
	/* connection */
	const char *dbname;			/* -d: a database name, conninfo or URI */
	const char *host;
	const char *port;
	const char *username;
	int			prompt_password;	/* -w: 0 never, -W: 2 always, else 1 */
	bool		all_databases;
	bool		keep_search_path;	/* migrate up: the role's search_path */
	/* output */
	bool		json;
	bool		quiet;
	/* migrate */
	const char *dir;
	const char *component;
	const char *to;
	bool		dry_run;
	bool		allow_out_of_order;
	bool		allow_pending;
	/* upgrade */
	const char *backup;
	bool		no_backup;
	/* audit verify */
	const char *head;
	/* the program's path, to find pg_dump next to it */
	const char *argv0;
} Options;

/* connect.c: connections, the databases of --all-databases, the extension */
typedef struct Extension
{
	char	   *installed;		/* version installed in the database */
	char	   *available;		/* default_version the server offers */
} Extension;

extern PGconn *connect_to(const Options *opts, const char *dbname);
extern char **list_databases(const Options *opts, int *count);
extern bool extension_state(PGconn *conn, Extension *ext);
/* what a command needs of the installed version (require_extension) */
typedef enum VersionNeed
{
	VERSION_ANY,				/* any: upgrade */
	VERSION_WARN,				/* any, with a warning when not current */
	VERSION_CURRENT				/* the library's: migrate up */
} VersionNeed;

extern int	require_extension(PGconn *conn, Extension *ext, VersionNeed need);
extern PGresult *run_query(PGconn *conn, const char *query, int nparams,
						   const char *const *params);
extern void report_error(const PGresult *res, const char *prefix);
extern bool reset_session(PGconn *conn);

typedef int (*DatabaseCommand) (const Options *opts, PGconn *conn,
								const Extension *ext, void *arg);
extern int	for_each_database(const Options *opts, VersionNeed need,
							  bool stop_at_failure, DatabaseCommand command,
							  void *arg);

/* migrations.c: a directory of migration files against the history */
typedef enum MigrationState
{
	MS_APPLIED,
	MS_PENDING,
	MS_OUT_OF_ORDER,			/* pending, sorts before the latest applied */
	MS_EDITED,					/* applied with another checksum */
	MS_MISSING					/* recorded, no file */
} MigrationState;

typedef struct Migration
{
	char	   *name;			/* file name without ".sql" */
	char	   *file;			/* file name, NULL when missing */
	char	   *path;			/* DIR/file */
	char	   *script;			/* the file's bytes, NUL-terminated */
	size_t		len;
	char		checksum[PLYSTRA_CHECKSUM_LEN + 1]; /* of the file */
	char	   *recorded;		/* recorded checksum, NULL if none */
	char	   *applied_at;
	char	   *applied_by;
	char	   *recorded_state; /* migration_status()'s state */
	MigrationState state;
} Migration;

typedef struct MigrationSet
{
	char	   *dir;
	char	   *component;
	Migration  *files;			/* sorted by name */
	int			nfiles;
	Migration  *all;			/* files and missing ones, sorted by name */
	int			nall;
	int			counts[MS_MISSING + 1];
} MigrationSet;

extern int	read_migration_dir(const Options *opts, MigrationSet *set);
extern int	read_history(PGconn *conn, MigrationSet *set);
extern const char *state_name(MigrationState state);
extern const char *state_key(MigrationState state);

/* migrate.c: migrate up, status, verify */
extern int	cmd_migrate_up(const Options *opts);
extern int	cmd_migrate_status(const Options *opts);
extern int	cmd_migrate_verify(const Options *opts);
extern int	cmd_checksum(int nfiles, char **files);

/* checks.c: drift, doctor */
extern int	cmd_drift(const Options *opts);
extern int	cmd_doctor(const Options *opts);

/* audit.c: the audit log */
extern int	cmd_audit_maintain(const Options *opts);
extern int	cmd_audit_seal(const Options *opts);
extern int	cmd_audit_verify(const Options *opts);
extern int	cmd_audit_head(const Options *opts);
extern int	doctor_code(const PGresult *res);
extern int	drift_code(PGconn *conn);

/* upgrade.c: upgrade */
extern int	cmd_upgrade(const Options *opts);

/* output.c: JSON and text output */
extern void json_string(PQExpBuffer buf, const char *value);
extern void json_key(PQExpBuffer buf, const char *key, bool *first);
extern void json_key_string(PQExpBuffer buf, const char *key,
							const char *value, bool *first);
extern void json_result_rows(PQExpBuffer buf, const PGresult *res);
extern void json_database_open(PQExpBuffer buf, PGconn *conn,
							   const Extension *ext, bool *first);
extern const char *status_word(int code);
extern void print_rows(const PGresult *res);
extern void progress(const Options *opts, int done, int total, const char *what);
extern void progress_clear(void);

#endif							/* PLYSTRACTL_H */
