/*-------------------------------------------------------------------------
 *
 * script.c
 *	  Running a migration script: split into statements, check, execute.
 *
 * The whole script is parsed first, so that a syntax error anywhere stops
 * it before anything has run, and so that statements that cannot run inside
 * a transaction (a migration always runs inside one) are refused up front
 * with a message that says why, rather than half-way through.  Then each
 * statement is executed through SPI in turn; an error names the migration,
 * the statement's number and the line it starts on.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/script.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"

#include "plystra.h"

/* how many migration scripts are executing (they may nest) */
static int	script_depth = 0;

typedef struct ScriptErrorContext
{
	const char *what;			/* e.g. "plystra migration 001_finance_demo" */
	const char *script;
	int			statement;		/* 1-based; 0 while parsing */
	int			location;		/* byte offset of the statement */
} ScriptErrorContext;

/* byte offset of the 1-based character position pos in script */
static int
char_offset(const char *script, int pos)
{
	const char *p = script;

	while (--pos > 0 && *p != '\0')
		p += pg_mblen(p);
	return p - script;
}

/* 1-based line number of byte offset in script */
static int
line_of(const char *script, int offset)
{
	int			line = 1;
	int			i;

	for (i = 0; i < offset && script[i] != '\0'; i++)
	{
		if (script[i] == '\n')
			line++;
	}
	return line;
}

static void
script_error_callback(void *arg)
{
	ScriptErrorContext *ctx = (ScriptErrorContext *) arg;

	if (ctx->statement == 0)
	{
		/*
		 * A syntax error: its position is an offset into the script, which
		 * is not the query the client sent.  Say the line instead.
		 */
		int			pos = geterrposition();

		if (pos > 0)
		{
			errposition(0);
			errcontext("%s, line %d", ctx->what,
					   line_of(ctx->script, char_offset(ctx->script, pos)));
		}
		else
			errcontext("%s", ctx->what);
	}
	else
		errcontext("%s, statement %d at line %d", ctx->what, ctx->statement,
				   line_of(ctx->script, ctx->location));
}

/*
 * Offset of the first token at or after offset: statements as the parser
 * delimits them start right after the previous semicolon, with the
 * whitespace and comments in between.
 */
static int
skip_blanks(const char *script, int offset, int end)
{
	const char *p = script + offset;
	const char *stop = script + end;

	while (p < stop)
	{
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
			p++;
		else if (p + 1 < stop && p[0] == '-' && p[1] == '-')
		{
			while (p < stop && *p != '\n')
				p++;
		}
		else if (p + 1 < stop && p[0] == '/' && p[1] == '*')
		{
			int			depth = 0;

			/* block comments nest in SQL */
			while (p + 1 < stop)
			{
				if (p[0] == '/' && p[1] == '*')
				{
					depth++;
					p += 2;
				}
				else if (p[0] == '*' && p[1] == '/')
				{
					p += 2;
					if (--depth == 0)
						break;
				}
				else
					p++;
			}
			if (depth > 0)
				p = stop;
		}
		else
			break;
	}
	return p - script;
}

/*
 * If the statement cannot run inside a transaction block, the name of what
 * it does; NULL when it can.  PostgreSQL refuses these anyway inside a
 * function, but only when it reaches them and in words that do not help.
 */
static const char *
nontransactional_statement(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_VacuumStmt:
			return ((VacuumStmt *) stmt)->is_vacuumcmd ? "VACUUM" : NULL;
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->concurrent ? "CREATE INDEX CONCURRENTLY" : NULL;
		case T_DropStmt:
			return ((DropStmt *) stmt)->concurrent ? "DROP INDEX CONCURRENTLY" : NULL;
		case T_ReindexStmt:
			{
				ReindexStmt *r = (ReindexStmt *) stmt;
				ListCell   *lc;

				if (r->kind == REINDEX_OBJECT_SYSTEM ||
					r->kind == REINDEX_OBJECT_DATABASE ||
					r->kind == REINDEX_OBJECT_SCHEMA)
					return "REINDEX SCHEMA, DATABASE or SYSTEM";
#if PG_VERSION_NUM >= 140000
				foreach(lc, r->params)
				{
					DefElem    *opt = (DefElem *) lfirst(lc);

					if (strcmp(opt->defname, "concurrently") == 0)
						return "REINDEX CONCURRENTLY";
				}
#else
				(void) lc;
				if (r->concurrent)
					return "REINDEX CONCURRENTLY";
#endif
				return NULL;
			}
		case T_ClusterStmt:
			return ((ClusterStmt *) stmt)->relation == NULL ? "CLUSTER without a table" : NULL;
#if PG_VERSION_NUM >= 140000
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_DetachPartition &&
						((PartitionCmd *) cmd->def)->concurrent)
						return "DETACH PARTITION CONCURRENTLY";
				}
				return NULL;
			}
#endif
		case T_DiscardStmt:
			return ((DiscardStmt *) stmt)->target == DISCARD_ALL ? "DISCARD ALL" : NULL;
		case T_AlterDatabaseStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
				{
					if (strcmp(lfirst_node(DefElem, lc)->defname, "tablespace") == 0)
						return "ALTER DATABASE SET TABLESPACE";
				}
				return NULL;
			}
		case T_CreateSubscriptionStmt:
		case T_AlterSubscriptionStmt:
		case T_DropSubscriptionStmt:
			return "a subscription command";
		default:
			return NULL;
	}
}

/*
 * Does rv name the migration history, plystra.schema_migrations or
 * plystra_data.schema_migrations, qualified or through the search_path?
 */
static bool
is_history(RangeVar *rv)
{
	Oid			relid;
	char	   *nspname;

	if (rv == NULL || strcmp(rv->relname, "schema_migrations") != 0)
		return false;
	if (rv->schemaname != NULL)
		return strcmp(rv->schemaname, PLYSTRA_SCHEMA) == 0 ||
			strcmp(rv->schemaname, PLYSTRA_DATA_SCHEMA) == 0;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		return false;
	nspname = get_namespace_name(get_rel_namespace(relid));
	return nspname != NULL &&
		(strcmp(nspname, PLYSTRA_SCHEMA) == 0 ||
		 strcmp(nspname, PLYSTRA_DATA_SCHEMA) == 0);
}

/*
 * Does the statement write to or alter the migration history by name?
 * Writes hidden in functions or dynamic SQL are refused when they happen,
 * by the history table's triggers.
 */
static bool
names_history(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_InsertStmt:
			return is_history(((InsertStmt *) stmt)->relation);
		case T_UpdateStmt:
			return is_history(((UpdateStmt *) stmt)->relation);
		case T_DeleteStmt:
			return is_history(((DeleteStmt *) stmt)->relation);
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
			return is_history(((MergeStmt *) stmt)->relation);
#endif
		case T_CopyStmt:
			return ((CopyStmt *) stmt)->is_from &&
				is_history(((CopyStmt *) stmt)->relation);
		case T_AlterTableStmt:
			return is_history(((AlterTableStmt *) stmt)->relation);
		case T_RenameStmt:
			return is_history(((RenameStmt *) stmt)->relation);
		case T_AlterObjectSchemaStmt:
			return is_history(((AlterObjectSchemaStmt *) stmt)->relation);
		case T_CreateTrigStmt:
			return is_history(((CreateTrigStmt *) stmt)->relation);
		case T_RuleStmt:
			return is_history(((RuleStmt *) stmt)->relation);
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
			{
				if (is_history(lfirst_node(RangeVar, lc)))
					return true;
			}
			return false;
		case T_DropStmt:
			{
				DropStmt   *drop = (DropStmt *) stmt;

				if (drop->removeType != OBJECT_TABLE &&
					drop->removeType != OBJECT_VIEW)
					return false;
				foreach(lc, drop->objects)
				{
					if (is_history(makeRangeVarFromNameList((List *) lfirst(lc))))
						return true;
				}
				return false;
			}
		default:
			return false;
	}
}

bool
plystra_migration_running(void)
{
	return script_depth > 0;
}

/*
 * Run script, a string of SQL statements, as part of the current
 * transaction.  "what" names it in errors.  Returns the number of
 * statements run.  The caller is connected to SPI.
 */
int
plystra_run_script(const char *what, const char *script)
{
	ScriptErrorContext ctx;
	ErrorContextCallback errcallback;
	List	   *stmts;
	ListCell   *lc;
	int			n = 0;

	ctx.what = what;
	ctx.script = script;
	ctx.statement = 0;
	ctx.location = 0;
	errcallback.callback = script_error_callback;
	errcallback.arg = &ctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

#if PG_VERSION_NUM >= 140000
	stmts = raw_parser(script, RAW_PARSE_DEFAULT);
#else
	stmts = raw_parser(script);
#endif

	/* refuse what cannot be part of the migration's transaction */
	foreach(lc, stmts)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		const char *kind;

		ctx.statement = ++n;
		ctx.location = skip_blanks(script, Max(raw->stmt_location, 0),
								   raw->stmt_len > 0 ?
								   Max(raw->stmt_location, 0) + raw->stmt_len :
								   (int) strlen(script));

		if (IsA(raw->stmt, TransactionStmt))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
					 errmsg("a migration cannot contain transaction control statements"),
					 errdetail("Each migration runs in one transaction of its own, which BEGIN, COMMIT, ROLLBACK and SAVEPOINT would end or split."),
					 errhint("Remove the transaction control statements; the migration commits or rolls back as a whole.")));
		kind = nontransactional_statement(raw->stmt);
		if (kind != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("%s cannot run inside a migration", kind),
					 errdetail("A migration runs inside a transaction block, and %s cannot.", kind),
					 errhint("Run the statement outside the migration, e.g. with psql after it has been applied, and record it in a migration of its own that checks its effect.")));
		if (IsA(raw->stmt, CopyStmt) &&
			((CopyStmt *) raw->stmt)->filename == NULL &&
			!((CopyStmt *) raw->stmt)->is_program)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("COPY %s cannot run inside a migration",
							((CopyStmt *) raw->stmt)->is_from ? "FROM STDIN" : "TO STDOUT"),
					 errdetail("A migration runs inside the server, where no client is connected to send or receive the data."),
					 errhint("Write the rows as INSERT ... VALUES in the migration, or load them with psql's \\copy after it has been applied.")));
		if (names_history(raw->stmt))
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_MIGRATION_HISTORY),
					 errmsg("a migration cannot change the migration history"),
					 errdetail("plystra.schema_migrations is written by plystra.migrate() alone."),
					 errhint("To make a migration run again, remove its record with plystra.migration_forget().")));
	}

	n = 0;
	script_depth++;
	PG_TRY();
	{
		foreach(lc, stmts)
		{
			RawStmt    *raw = lfirst_node(RawStmt, lc);
			int			start = Max(raw->stmt_location, 0);
			int			end = raw->stmt_len > 0 ? start + raw->stmt_len :
				start + (int) strlen(script + start);
			char	   *sql;
			int			ret;

			start = skip_blanks(script, start, end);
			sql = pnstrdup(script + start, end - start);
			ctx.statement = ++n;
			ctx.location = start;
			ret = SPI_execute(sql, false, 0);
			if (ret < 0)
				elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
			pfree(sql);
		}
	}
	PG_FINALLY();
	{
		script_depth--;
	}
	PG_END_TRY();

	error_context_stack = errcallback.previous;
	return n;
}
