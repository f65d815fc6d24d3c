/*-------------------------------------------------------------------------
 *
 * plystractl.c
 *	  plystractl, the command-line client of the plystra extension: the
 *	  command line, --help, and which command runs.
 *
 *	  plystractl migrate up|status|verify --dir DIR   a directory of migrations
 *	  plystractl drift | doctor                       the server's checks
 *	  plystractl audit maintain                       the audit log's partitions
 *	  plystractl audit seal|verify|head               its seals
 *	  plystractl upgrade                              back up, update, check
 *	  plystractl checksum FILE...                     what the server records
 *
 * Every command but checksum connects with libpq, as psql does.  The exit
 * codes are in plystractl.h and README.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  bin/plystractl.c
 *
 *-------------------------------------------------------------------------
 */
#include "plystractl.h"

#include "common/logging.h"
#include "fe_utils/cancel.h"
#include "getopt_long.h"

/* the options each command takes, as bits */
#define O_CONNECT		(1 << 0)
#define O_ALL			(1 << 1)
#define O_JSON			(1 << 2)
#define O_DIR			(1 << 3)	/* --dir, --component */
#define O_UP			(1 << 4)	/* --to, --dry-run, --allow-out-of-order */
#define O_PENDING		(1 << 5)	/* --allow-pending */
#define O_BACKUP		(1 << 6)	/* --backup, --no-backup */
#define O_HEAD			(1 << 7)	/* --head */

typedef struct Command
{
	const char *name;			/* e.g. "migrate up" */
	int			options;		/* what it takes besides -q */
	int			(*run) (const Options *opts);
} Command;

static const Command commands[] = {
	{"migrate up", O_CONNECT | O_JSON | O_DIR | O_UP, cmd_migrate_up},
	{"migrate status", O_CONNECT | O_ALL | O_JSON | O_DIR, cmd_migrate_status},
	{"migrate verify", O_CONNECT | O_ALL | O_JSON | O_DIR | O_PENDING, cmd_migrate_verify},
	{"drift", O_CONNECT | O_ALL | O_JSON, cmd_drift},
	{"ent check", O_CONNECT | O_ALL | O_JSON, cmd_drift},	/* the seed's name */
	{"doctor", O_CONNECT | O_ALL | O_JSON, cmd_doctor},
	{"audit maintain", O_CONNECT | O_ALL | O_JSON, cmd_audit_maintain},
	{"audit seal", O_CONNECT | O_ALL | O_JSON, cmd_audit_seal},
	{"audit verify", O_CONNECT | O_JSON | O_HEAD, cmd_audit_verify},
	{"audit head", O_CONNECT | O_ALL | O_JSON, cmd_audit_head},
	{"upgrade", O_CONNECT | O_ALL | O_BACKUP, cmd_upgrade},
	{NULL, 0, NULL}
};

static void
usage(const char *progname)
{
	printf("%s is the command-line client of the plystra extension.\n\n", progname);
	printf("Usage:\n");
	printf("  %s migrate up --dir DIR [--component NAME] [--to NAME] [--dry-run]\n"
		   "                     [--allow-out-of-order] [OPTION]...\n", progname);
	printf("  %s migrate status --dir DIR [--component NAME] [OPTION]...\n", progname);
	printf("  %s migrate verify --dir DIR [--component NAME] [--allow-pending] [OPTION]...\n", progname);
	printf("  %s drift [OPTION]...\n", progname);
	printf("  %s doctor [OPTION]...\n", progname);
	printf("  %s audit maintain [OPTION]...\n", progname);
	printf("  %s audit seal [OPTION]...\n", progname);
	printf("  %s audit verify [--head HEAD] [OPTION]...\n", progname);
	printf("  %s audit head [OPTION]...\n", progname);
	printf("  %s upgrade [--backup FILE | --no-backup] [OPTION]...\n", progname);
	printf("  %s checksum FILE...\n", progname);
	printf("\nCommands:\n");
	printf("  migrate up      apply DIR's *.sql files (but *.down.sql) not applied yet, in\n"
		   "                  byte-wise order of their names, one transaction each\n");
	printf("  migrate status  every file and every recorded migration: applied, pending,\n"
		   "                  out of order, edited (checksum differs) or missing (no file)\n");
	printf("  migrate verify  exit 0 when every recorded migration has its file, unchanged,\n"
		   "                  and nothing is pending\n");
	printf("  drift           differences between the database and what the installed\n"
		   "                  version of the extension defines (also: ent check)\n");
	printf("  doctor          the checks to run before restarting the application\n");
	printf("  audit maintain  make the audit log's partitions ahead of time and move the\n"
		   "                  rows of its default partition into theirs (daily, from cron)\n");
	printf("  audit seal      seal the audit rows not sealed yet, print the new head\n"
		   "                  (daily or more often, from cron; keep the head elsewhere)\n");
	printf("  audit verify    recompute every seal from the rows; exit 0 when intact, 2 with\n"
		   "                  one line per discrepancy; with --head, also that the log\n"
		   "                  extends a head kept outside the database\n");
	printf("  audit head      print the latest seal as one line to keep outside the database\n");
	printf("  upgrade         pg_dump -Fc backup, ALTER EXTENSION plystra UPDATE, then\n"
		   "                  migrate_verify(), drift_check() and doctor(); stops at the\n"
		   "                  first step that fails\n");
	printf("  checksum        the checksum the server records for each FILE\n");
	printf("\nMigration options:\n");
	printf("      --dir=DIR              directory of the migration files\n");
	printf("      --component=NAME       component of the history (default: DIR's name)\n");
	printf("      --to=NAME              apply up to and including migration NAME\n");
	printf("      --dry-run              say what would be applied, apply nothing\n");
	printf("      --allow-out-of-order   apply pending files that sort before applied ones\n");
	printf("      --allow-pending        verify: pending files are not a problem\n");
	printf("\nUpgrade options:\n");
	printf("      --backup=FILE          backup file (with --all-databases: a directory;\n"
		   "                             default: DB-plystra-VERSION-YYYYMMDDTHHMMSSZ.dump\n"
		   "                             in the current directory)\n");
	printf("      --no-backup            no backup (you have one)\n");
	printf("\nAudit options:\n");
	printf("      --head=HEAD            verify: a line audit head printed before\n");
	printf("\nOther options:\n");
	printf("  -a, --all-databases        every database of the cluster that has the\n"
		   "                             extension (status, verify, drift, doctor,\n"
		   "                             audit maintain, seal and head, upgrade)\n");
	printf("      --json                 one JSON object per database and line\n");
	printf("  -q, --quiet                no line per already applied migration, no progress\n");
	printf("  -V, --version              output version information, then exit\n");
	printf("  -?, --help                 show this help, then exit\n");
	printf("\nConnection options:\n");
	printf("  -d, --dbname=DBNAME        database name, connection string or URI\n"
		   "                             (with --all-databases: where to list databases)\n");
	printf("  -h, --host=HOSTNAME        database server host or socket directory\n");
	printf("  -p, --port=PORT            database server port\n");
	printf("  -U, --username=USERNAME    database user name\n");
	printf("  -w, --no-password          never prompt for password\n");
	printf("  -W, --password             force password prompt\n");
	printf("\nThe PG* environment variables and ~/.pgpass apply, as in psql.\n");
	printf("\nExit status: 0 ok; 1 doctor warned, or drift found only indexes a DBA added;\n"
		   "2 doctor failed or drift found;\n"
		   "3 the directory and the history disagree; 4 a migration failed; 5 an upgrade\n"
		   "step failed; 6 no extension, or too old; 7 connection or query failed;\n"
		   "8 bad directory, file or name; 64 bad command line.\n");
}

static int
usage_error(const char *progname, const char *fmt, const char *arg)
{
	pg_log_error(fmt, arg);
	pg_log_error_hint("Try \"%s --help\" for more information.", progname);
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},
		{"username", required_argument, NULL, 'U'},
		{"no-password", no_argument, NULL, 'w'},
		{"password", no_argument, NULL, 'W'},
		{"all-databases", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, '?'},
		{"json", no_argument, NULL, 1},
		{"dir", required_argument, NULL, 2},
		{"component", required_argument, NULL, 3},
		{"to", required_argument, NULL, 4},
		{"dry-run", no_argument, NULL, 5},
		{"allow-out-of-order", no_argument, NULL, 6},
		{"allow-pending", no_argument, NULL, 7},
		{"backup", required_argument, NULL, 8},
		{"no-backup", no_argument, NULL, 9},
		{"head", required_argument, NULL, 10},
		{NULL, 0, NULL, 0}
	};
	const char *progname;
	Options		opts;
	char	  **words;
	int			nwords = 0;
	int			given = 0;
	int			c;
	const Command *cmd;

	pg_logging_init(argv[0]);
	progname = get_progname(argv[0]);
	memset(&opts, 0, sizeof(opts));
	opts.prompt_password = 1;
	opts.argv0 = argv[0];

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0))
	{
		usage(progname);
		exit(EXIT_OK);
	}
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0))
	{
		printf("plystractl (plystra) %s\n", PLYSTRA_VERSION);
		exit(EXIT_OK);
	}

	/*
	 * Options and words in any order, as psql takes them: getopt_long()
	 * moves the words after the options.
	 */
	words = pg_malloc0(sizeof(char *) * argc);
	while ((c = getopt_long(argc, argv, "ad:h:p:qU:VwW?", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				opts.dbname = pg_strdup(optarg);
				given |= O_CONNECT;
				break;
			case 'h':
				opts.host = pg_strdup(optarg);
				given |= O_CONNECT;
				break;
			case 'p':
				opts.port = pg_strdup(optarg);
				given |= O_CONNECT;
				break;
			case 'U':
				opts.username = pg_strdup(optarg);
				given |= O_CONNECT;
				break;
			case 'w':
				opts.prompt_password = 0;
				given |= O_CONNECT;
				break;
			case 'W':
				opts.prompt_password = 2;
				given |= O_CONNECT;
				break;
			case 'a':
				opts.all_databases = true;
				given |= O_ALL;
				break;
			case 'q':
				opts.quiet = true;
				break;
			case 'V':
				printf("plystractl (plystra) %s\n", PLYSTRA_VERSION);
				exit(EXIT_OK);
			case 1:
				opts.json = true;
				given |= O_JSON;
				break;
			case 2:
				opts.dir = pg_strdup(optarg);
				given |= O_DIR;
				break;
			case 3:
				opts.component = pg_strdup(optarg);
				given |= O_DIR;
				break;
			case 4:
				opts.to = pg_strdup(optarg);
				given |= O_UP;
				break;
			case 5:
				opts.dry_run = true;
				given |= O_UP;
				break;
			case 6:
				opts.allow_out_of_order = true;
				given |= O_UP;
				break;
			case 7:
				opts.allow_pending = true;
				given |= O_PENDING;
				break;
			case 8:
				opts.backup = pg_strdup(optarg);
				given |= O_BACKUP;
				break;
			case 9:
				opts.no_backup = true;
				given |= O_BACKUP;
				break;
			case 10:
				opts.head = pg_strdup(optarg);
				given |= O_HEAD;
				break;
			case '?':
				/* -? is help; anything else getopt already complained of */
				if (optopt == 0 && strcmp(argv[optind - 1], "-?") == 0)
				{
					usage(progname);
					exit(EXIT_OK);
				}
				pg_log_error_hint("Try \"%s --help\" for more information.", progname);
				exit(EXIT_USAGE);
			default:
				pg_log_error_hint("Try \"%s --help\" for more information.", progname);
				exit(EXIT_USAGE);
		}
	}
	while (optind < argc)
		words[nwords++] = argv[optind++];

	if (nwords == 0)
		return usage_error(progname, "no command given%s", "");
	if (strcmp(words[0], "checksum") == 0)
	{
		if (given != 0)
			return usage_error(progname, "%s takes no option but files", "checksum");
		return cmd_checksum(nwords - 1, words + 1);
	}
	for (cmd = commands; cmd->name != NULL; cmd++)
	{
		const char *space = strchr(cmd->name, ' ');

		if (space == NULL ? (nwords == 1 && strcmp(words[0], cmd->name) == 0)
			: (nwords == 2 &&
			   strncmp(words[0], cmd->name, space - cmd->name) == 0 &&
			   words[0][space - cmd->name] == '\0' &&
			   strcmp(words[1], space + 1) == 0))
			break;
	}
	if (cmd->name == NULL)
	{
		PQExpBuffer all = createPQExpBuffer();
		int			i;

		for (i = 0; i < nwords; i++)
			appendPQExpBuffer(all, "%s%s", i ? " " : "", words[i]);
		return usage_error(progname, "unknown command \"%s\"", all->data);
	}
	if ((given & ~cmd->options) != 0)
	{
		static const struct
		{
			int			bit;
			const char *names;
		}			bits[] = {
			{O_ALL, "--all-databases"},
			{O_JSON, "--json"},
			{O_DIR, "--dir and --component"},
			{O_UP, "--to, --dry-run and --allow-out-of-order"},
			{O_PENDING, "--allow-pending"},
			{O_BACKUP, "--backup and --no-backup"},
			{O_HEAD, "--head"},
		};
		int			i;

		for (i = 0; i < lengthof(bits); i++)
			if ((given & ~cmd->options) & bits[i].bit)
			{
				pg_log_error("%s: not an option of \"%s\"", bits[i].names, cmd->name);
				pg_log_error_hint("Try \"%s --help\" for more information.", progname);
				return EXIT_USAGE;
			}
	}
	/* Ctrl-C cancels the query running on the server, as in psql */
	setup_cancel_handler(NULL);

	if ((cmd->options & O_DIR) && opts.dir == NULL)
		return usage_error(progname, "\"%s\" needs --dir DIR, the directory of the migration files",
						   cmd->name);
	return cmd->run(&opts);
}
