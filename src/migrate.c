/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  Applications' migrations: plystra.migrate() and
 *	  plystra.migration_forget().
 *
 * plystra.migrate(component, name, script, allow_out_of_order) applies one
 * migration exactly once.  It runs as the caller, with the caller's
 * search_path, exactly as "psql -1 -f file" would: it is not SECURITY
 * DEFINER, so a migration gains no privilege, and it pins no search_path,
 * so unqualified names in the script land where the caller's would.  Its
 * own reads and writes of the history are schema-qualified and run as the
 * history table's owner (history.c).
 *
 * Migrations of one component are serialised by a transaction-scoped
 * advisory lock, which cannot go stale: it goes with the transaction,
 * whether that commits, aborts or its backend dies.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_migrate);
PG_FUNCTION_INFO_V1(plystra_migration_forget);

/*
 * The advisory lock of a component: "plys" and a hash of its name, with a
 * fourth field that pg_advisory_lock() never uses (it uses 1 and 2), so
 * that no role can take the lock from SQL and hold every deployer of a
 * component back.
 */
#define PLYSTRA_LOCK_CLASS	0x706C7973
#define PLYSTRA_LOCK_FIELD4	0x7079

/*
 * Check the argument argname, a component or migration name, against the
 * grammar of names.c (shared with plystractl).
 */
static void
check_name(const char *argname, const char *value, int maxlen)
{
	size_t		offset = 0;

	switch (plystra_name_problem(value, maxlen, &offset))
	{
		case PLYSTRA_NAME_OK:
			break;
		case PLYSTRA_NAME_EMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_INVALID_MIGRATION_NAME),
					 errmsg("argument \"%s\" must not be empty", argname)));
			break;
		case PLYSTRA_NAME_TOO_LONG:
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_INVALID_MIGRATION_NAME),
					 errmsg("argument \"%s\" is too long", argname),
					 errdetail("It has %zu bytes; the limit is %d.", strlen(value), maxlen)));
			break;
		case PLYSTRA_NAME_BAD_START:
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_INVALID_MIGRATION_NAME),
					 errmsg("argument \"%s\" must start with an ASCII letter or digit", argname),
					 errdetail("It is \"%s\".", value)));
			break;
		case PLYSTRA_NAME_CONTROL:
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_INVALID_MIGRATION_NAME),
					 errmsg("argument \"%s\" must not contain whitespace or control characters",
							argname),
					 errdetail("Byte %ld is 0x%02X.", (long) offset + 1,
							   ((const unsigned char *) value)[offset])));
			break;
		case PLYSTRA_NAME_SEPARATOR:
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_INVALID_MIGRATION_NAME),
					 errmsg("argument \"%s\" must not contain a path separator", argname),
					 errdetail("It is \"%s\".", value),
					 errhint("Pass the file's name without its directory, e.g. \"0001_init\".")));
			break;
	}
}

/*
 * A migration must not apply or forget migrations: the history it would
 * write is not its own to write.
 */
static void
refuse_inside_migration(const char *function)
{
	if (plystra_migration_running())
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_MIGRATION_HISTORY),
				 errmsg("%s cannot be called from a migration", function),
				 errdetail("A migration changes the schema; the history is written by plystra.migrate() alone, around it.")));
}

/* Serialise the migrations of one component until the transaction ends. */
static void
lock_component(const char *component)
{
	LOCKTAG		tag;
	uint32		key = hash_bytes((const unsigned char *) component,
								 (int) strlen(component));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, PLYSTRA_LOCK_CLASS, key, PLYSTRA_LOCK_FIELD4);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * plystra.migrate(component text, name text, script text,
 *				   allow_out_of_order boolean DEFAULT false) returns text
 */
Datum
plystra_migrate(PG_FUNCTION_ARGS)
{
	char	   *component;
	char	   *name;
	text	   *script;
	const char *sql;
	bool		allow_out_of_order;
	char		checksum[PLYSTRA_CHECKSUM_LEN + 1];
	char	   *recorded;
	char	   *latest;
	TimestampTz started;
	TimestampTz finished;
	int			nstatements;
	char	   *applied_by;
	StringInfoData details;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("migration component must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("migration name must not be null")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("migration script must not be null")));
	allow_out_of_order = PG_ARGISNULL(3) ? false : PG_GETARG_BOOL(3);
	refuse_inside_migration("plystra.migrate()");

	component = text_to_cstring(PG_GETARG_TEXT_PP(0));
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	script = PG_GETARG_TEXT_PP(2);

	check_name("component", component, PLYSTRA_MAX_COMPONENT_LEN);
	check_name("name", name, PLYSTRA_MAX_NAME_LEN);
	if (strcmp(component, PLYSTRA_COMPONENT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("migration component \"%s\" is reserved for the extension itself",
						PLYSTRA_COMPONENT),
				 errhint("Use your application's own component name; the extension's migrations are applied by ALTER EXTENSION plystra UPDATE.")));

	plystra_checksum(VARDATA_ANY(script), VARSIZE_ANY_EXHDR(script), checksum);

	lock_component(component);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	recorded = plystra_history_checksum(component, name);
	if (recorded != NULL)
	{
		if (strcmp(recorded, checksum) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_CHECKSUM_MISMATCH),
					 errmsg("migration \"%s\" of component \"%s\" was applied with a different text",
							name, component),
					 errdetail("It was applied with checksum %s; this script has checksum %s.  An applied migration must not change: the database keeps what the recorded one did.",
							   recorded, checksum),
					 errhint("Restore the migration's original text and ship the change as a new migration.  If the recorded migration has to run again, remove its record with plystra.migration_forget() first.")));
		SPI_finish();
		PG_RETURN_TEXT_P(cstring_to_text("already applied"));
	}

	latest = plystra_history_latest(component);
	if (latest != NULL && strcmp(name, latest) < 0 && !allow_out_of_order)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_MIGRATION_ORDER),
				 errmsg("migration \"%s\" of component \"%s\" sorts before \"%s\", which is already applied",
						name, component, latest),
				 errdetail("Migrations of a component are applied in byte-wise lexicographic order of their names."),
				 errhint("Rename the migration so that it sorts last, or apply it with allow_out_of_order => true if it does not depend on the order.")));

	/* a leading byte order mark is not SQL; the checksum ignores it too */
	sql = text_to_cstring(script);
	if (strncmp(sql, "\xEF\xBB\xBF", 3) == 0)
		sql += 3;

	/* the role applying it, before the script can SET ROLE */
	applied_by = GetUserNameFromId(GetUserId(), false);
	/* what the script leaves to run at commit may not write history either */
	plystra_note_migration_in_xact();
	started = GetCurrentTimestamp();
	nstatements = plystra_run_script(psprintf("migration %s/%s", component, name), sql);
	finished = GetCurrentTimestamp();
	if (nstatements == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_EMPTY_MIGRATION),
				 errmsg("migration \"%s\" of component \"%s\" contains no statement",
						name, component),
				 errhint("An empty migration is usually a file that was not saved or not found.")));

	plystra_history_record(component, name, checksum, started, finished,
						   plystra_installed_version(), applied_by);
	initStringInfo(&details);
	plystra_details_text(&details, "component", component);
	plystra_details_text(&details, "name", name);
	plystra_details_text(&details, "checksum", checksum);
	plystra_audit("migration.applied", applied_by, "migration",
				  plystra_migration_key(component, name), &details);

	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text("applied"));
}

/*
 * plystra.migration_forget(component text, name text, reason text)
 * returns boolean
 *
 * The one repair path of the history: removes the record of an
 * application's migration, so that migrate() applies it again, and writes
 * an audit row saying who removed which record, with which checksum, and
 * why.  Returns false when there was no such record.  The extension's own
 * history cannot be forgotten.
 */
Datum
plystra_migration_forget(PG_FUNCTION_ARGS)
{
	char	   *component;
	char	   *name;
	char	   *reason;
	char	   *checksum;
	PlystraDoor saved;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("component, name and reason must not be null")));
	refuse_inside_migration("plystra.migration_forget()");
	component = text_to_cstring(PG_GETARG_TEXT_PP(0));
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	reason = text_to_cstring(PG_GETARG_TEXT_PP(2));

	check_name("component", component, PLYSTRA_MAX_COMPONENT_LEN);
	check_name("name", name, PLYSTRA_MAX_NAME_LEN);
	if (strcmp(component, PLYSTRA_COMPONENT) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_RESERVED_NAME),
				 errmsg("the history of component \"%s\" cannot be forgotten",
						PLYSTRA_COMPONENT),
				 errdetail("It is the extension's own history, written by CREATE and ALTER EXTENSION.")));
	if (reason[strspn(reason, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a reason is required to forget a migration"),
				 errhint("Say why, e.g. the ticket of the repair; it is kept in the audit log.")));

	lock_component(component);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	saved = plystra_door_open(plystra_history_relid(), DT_NOEND);
	PG_TRY();
	{
		checksum = plystra_history_forget(component, name);
	}
	PG_FINALLY();
	{
		plystra_door_restore(saved);
	}
	PG_END_TRY();

	if (checksum != NULL)
	{
		StringInfoData details;

		initStringInfo(&details);
		plystra_details_text(&details, "component", component);
		plystra_details_text(&details, "name", name);
		plystra_details_text(&details, "checksum", checksum);
		plystra_details_text(&details, "reason", reason);
		plystra_audit("migration.forgotten", NULL, "migration",
					  plystra_migration_key(component, name), &details);
	}

	SPI_finish();
	PG_RETURN_BOOL(checksum != NULL);
}
