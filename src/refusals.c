/*-------------------------------------------------------------------------
 *
 * refusals.c
 *	  What the DDL guard refuses on an append-only table, and how it says so.
 *
 * Both halves of the DDL guard use it: ddl_guard.c, which reads the parse
 * tree at ddl_command_start, and ddl_commands.c, which judges by OID what
 * a command did at ddl_command_end.  plystra_refused_subcommand() is the
 * one list of the ALTER TABLE subcommands an append-only table allows.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/refusals.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"

#include "plystra.h"

/*
 * Refuse what a command would do to an append-only table: "what" names the
 * change, as SQL writes it.
 */
void
plystra_refuse_append_only(const char *nspname, const char *relname,
						   const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
			 errmsg("%s on append-only table \"%s.%s\" is not allowed", what,
					nspname, relname),
			 errdetail("The table is append-only: its guard triggers and its shape stay as they are, for every role."),
			 strcmp(what, "CREATE TRIGGER") == 0 ?
			 errhint("Tools that rebuild a table online through a trigger of their own, such as pg_repack, cannot rebuild an append-only table; VACUUM FULL or CLUSTER rewrite it without changing a row, under an ACCESS EXCLUSIVE lock.") :
			 errhint("Append-only protection cannot be removed with SQL; see the plystra README on what it does and does not stop.")));
}

/* the same, for the relation with OID relid */
void
plystra_refuse_append_only_rel(Oid relid, const char *what)
{
	plystra_refuse_append_only(get_namespace_name(get_rel_namespace(relid)),
							   get_rel_name(relid), what);
}

/*
 * The ALTER TABLE subcommands allowed on an append-only table: what adds
 * to it (columns, constraints, indexes), maintenance and settings that
 * change no stored value.  Everything else is refused; the result names
 * it for the error.  Every subcommand of the version is listed, so that a
 * new version's new one is noticed when plystra is built for it.
 * OWNER TO is allowed here and checked by the caller (superusers only).
 */
const char *
plystra_refused_subcommand(AlterTableCmd *cmd)
{
	switch (cmd->subtype)
	{
		case AT_AddColumn:
#if PG_VERSION_NUM < 160000
		case AT_AddColumnRecurse:
#endif
		case AT_ColumnDefault:
		case AT_CookedColumnDefault:
		case AT_SetNotNull:
		case AT_DropNotNull:
		case AT_SetStatistics:
		case AT_SetOptions:
		case AT_ResetOptions:
		case AT_SetStorage:
#if PG_VERSION_NUM >= 140000
		case AT_SetCompression:
#endif
		case AT_AddIndex:
		case AT_AddConstraint:
#if PG_VERSION_NUM < 160000
		case AT_AddConstraintRecurse:
		case AT_ValidateConstraintRecurse:
		case AT_DropConstraintRecurse:
#endif
		case AT_AlterConstraint:
		case AT_ValidateConstraint:
		case AT_AddIndexConstraint:
		case AT_DropConstraint:
		case AT_ClusterOn:
		case AT_DropCluster:
		case AT_SetLogged:
		case AT_DropOids:
		case AT_SetTableSpace:
		case AT_SetRelOptions:
		case AT_ResetRelOptions:
		case AT_ReplicaIdentity:
		case AT_DisableRowSecurity:
		case AT_NoForceRowSecurity:
		case AT_EnableAlwaysTrig:	/* only makes a trigger fire in more sessions */
		case AT_ChangeOwner:
			return NULL;

		case AT_EnableTrig:
		case AT_EnableReplicaTrig:
		case AT_EnableTrigAll:
		case AT_EnableTrigUser:
			return "ENABLE TRIGGER";
		case AT_DisableTrig:
		case AT_DisableTrigAll:
		case AT_DisableTrigUser:
			return "DISABLE TRIGGER";
		case AT_EnableRule:
		case AT_EnableAlwaysRule:
		case AT_EnableReplicaRule:
		case AT_DisableRule:
			return "ENABLE or DISABLE RULE";
		case AT_EnableRowSecurity:
		case AT_ForceRowSecurity:
			return "ENABLE or FORCE ROW LEVEL SECURITY";
		case AT_AlterColumnType:
			return "ALTER COLUMN TYPE";
		case AT_DropColumn:
#if PG_VERSION_NUM < 160000
		case AT_DropColumnRecurse:
#endif
			return "DROP COLUMN";
		case AT_DropExpression:
			return "ALTER COLUMN DROP EXPRESSION";
#if PG_VERSION_NUM >= 170000
		case AT_SetExpression:
			return "ALTER COLUMN SET EXPRESSION";
#endif
		case AT_SetUnLogged:
			return "SET UNLOGGED";
#if PG_VERSION_NUM >= 150000
		case AT_SetAccessMethod:
			return "SET ACCESS METHOD";
#endif
		case AT_AddInherit:
		case AT_DropInherit:
		case AT_AddOf:
		case AT_DropOf:
			return "INHERIT, NO INHERIT, OF or NOT OF";
		case AT_AttachPartition:
			return "ATTACH PARTITION";
		case AT_DetachPartition:
#if PG_VERSION_NUM >= 140000
		case AT_DetachPartitionFinalize:
#endif
			return "DETACH PARTITION";
		case AT_AddIdentity:
		case AT_SetIdentity:
		case AT_DropIdentity:
			return "ADD, SET or DROP IDENTITY";
		case AT_AlterColumnGenericOptions:
		case AT_GenericOptions:
			/* OPTIONS: foreign tables only, refused rather than judged */
			return "ALTER TABLE";

			/*
			 * Subcommands that ALTER TABLE makes for itself, or other
			 * commands make for views; refused should one ever arrive.
			 */
		case AT_AddColumnToView:
		case AT_ReplaceRelOptions:
#if PG_VERSION_NUM < 180000
		case AT_CheckNotNull:
#endif
		case AT_ReAddIndex:
		case AT_ReAddConstraint:
		case AT_ReAddDomainConstraint:
		case AT_ReAddComment:
		case AT_ReAddStatistics:
			return "ALTER TABLE";

			/*
			 * No default: a subcommand of a new PostgreSQL version is a
			 * compiler warning (-Wswitch), an error in the suite's builds
			 * (-Werror), until it is classified here.
			 */
	}
	return "ALTER TABLE";
}

/*
 * Refuse a foreign key of or onto an append-only table that acts on rows
 * (PLYSTRA_KEY_ACTS_ON_ROWS): "what" is "<constraint> on <table>".  A key
 * of the table would change its rows; a key onto it would run code inside
 * its sanctioned maintenance.
 */
void
plystra_refuse_acting_key(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
			 errmsg("a foreign key of or onto an append-only table must not cascade, set null or set default"),
			 errdetail("The foreign key is %s.", what),
			 errhint("Use ON DELETE RESTRICT ON UPDATE RESTRICT (or NO ACTION).")));
}
