/*-------------------------------------------------------------------------
 *
 * ddl_guard.c
 *	  Event triggers that keep DDL from switching the append-only guard off
 *	  and from dropping the extension's data.
 *
 * Row triggers stop UPDATE, DELETE and TRUNCATE of an append-only table,
 * but a table owner or superuser could disable or drop them, or change the
 * table under them.  Event triggers fire for every DDL command in every
 * session, so no library preload is needed; they are created ENABLE ALWAYS
 * so that session_replication_role = replica does not silence them.
 *
 * plystra.ddl_guard() (ddl_command_start) reads the parse tree and refuses,
 * on an append-only relation: disabling or re-enabling triggers or rules,
 * dropping or creating triggers and rules (but the guard's own), changing
 * column types, dropping columns, renaming the table or its columns,
 * triggers and rules, moving it to another schema, SET UNLOGGED, partition
 * and inheritance changes, giving it to a non-superuser, and dropping it or
 * its schema.  It also refuses ALTER EXTENSION plystra ADD/DROP, and
 * dropping the extension (directly, with its schema, or with DROP OWNED)
 * while plystra_data holds rows, unless plystra.allow_drop_data is on.
 *
 * plystra.ddl_guard_end() (ddl_command_end) refuses foreign keys of an
 * append-only table that would cascade, set null or set a default in its
 * rows, and any CREATE OR REPLACE / ALTER of the extension's functions.
 *
 * plystra.drop_guard() (sql_drop) refuses drops that reach an append-only
 * relation, or a column of one, by cascade from another object.
 *
 * The extension's own scripts pass: creating_extension alone is true during
 * any extension's script, so the extension being created must be plystra.
 * An event trigger cannot guard ALTER EVENT TRIGGER, DROP EVENT TRIGGER or
 * REASSIGN OWNED (those fire no event triggers); doctor() reports a
 * disabled event trigger.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/ddl_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/user.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_ddl_guard);
PG_FUNCTION_INFO_V1(plystra_ddl_guard_end);
PG_FUNCTION_INFO_V1(plystra_drop_guard);

bool		plystra_allow_drop_data = false;

static void
refuse(Oid relid, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
			 errmsg("%s on append-only table \"%s.%s\" is not allowed", what,
					get_namespace_name(get_rel_namespace(relid)),
					get_rel_name(relid)),
			 errdetail("The table is append-only: its guard triggers and its shape stay as they are, for every role."),
			 errhint("Append-only protection cannot be removed with SQL; see the plystra README on what it does and does not stop.")));
}

/* The relation a RangeVar names, if it exists and is append-only. */
static Oid
protected_rangevar(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return InvalidOid;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid) && plystra_is_append_only(relid))
		return relid;
	return InvalidOid;
}

/* The relation named by the leading elements of a qualified name list. */
static Oid
protected_name_prefix(List *names, int drop_last)
{
	List	   *relnames;

	if (list_length(names) <= drop_last)
		return InvalidOid;
	relnames = list_truncate(list_copy(names), list_length(names) - drop_last);
	return protected_rangevar(makeRangeVarFromNameList(relnames));
}

/* Does a schema (by name) hold an append-only relation? */
static bool
schema_holds_protected(const char *nspname)
{
	Oid			nspoid = get_namespace_oid(nspname, true);

	return OidIsValid(nspoid) && plystra_schema_has_append_only(nspoid);
}

static void
check_alter_table(AlterTableStmt *stmt)
{
	Oid			relid = protected_rangevar(stmt->relation);
	ListCell   *lc;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		/* partitions are named by the command, not by the statement */
		if (cmd->subtype == AT_AttachPartition || cmd->subtype == AT_DetachPartition)
		{
			Oid			part = protected_rangevar(((PartitionCmd *) cmd->def)->name);

			if (OidIsValid(part))
				refuse(part, cmd->subtype == AT_AttachPartition ?
					   "ATTACH PARTITION" : "DETACH PARTITION");
			if (OidIsValid(relid))
				refuse(relid, cmd->subtype == AT_AttachPartition ?
					   "ATTACH PARTITION" : "DETACH PARTITION");
			continue;
		}
		if (!OidIsValid(relid))
			continue;

		switch (cmd->subtype)
		{
			case AT_EnableAlwaysTrig:
				/* makes a trigger fire in more sessions; pg_restore needs it */
				break;
			case AT_EnableTrig:
			case AT_EnableReplicaTrig:
			case AT_EnableTrigAll:
			case AT_EnableTrigUser:
				refuse(relid, "ENABLE TRIGGER");
				break;
			case AT_EnableRowSecurity:
			case AT_ForceRowSecurity:
				refuse(relid, "ROW LEVEL SECURITY");
				break;
			case AT_DisableTrig:
			case AT_DisableTrigAll:
			case AT_DisableTrigUser:
				refuse(relid, "DISABLE TRIGGER");
				break;
			case AT_EnableRule:
			case AT_EnableAlwaysRule:
			case AT_EnableReplicaRule:
			case AT_DisableRule:
				refuse(relid, "ENABLE or DISABLE RULE");
				break;
			case AT_AlterColumnType:
				refuse(relid, "ALTER COLUMN TYPE");
				break;
			case AT_DropColumn:
				refuse(relid, "DROP COLUMN");
				break;
			case AT_SetUnLogged:
				refuse(relid, "SET UNLOGGED");
				break;
			case AT_AddInherit:
			case AT_DropInherit:
			case AT_AddOf:
			case AT_DropOf:
				refuse(relid, "changing inheritance");
				break;
			case AT_ChangeOwner:
				{
					Oid			newowner = get_rolespec_oid(cmd->newowner, false);

					if (!superuser_arg(newowner))
						refuse(relid, "OWNER TO a role that is not a superuser");
					break;
				}
			default:
				break;
		}
	}
}

static void
check_drop(DropStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->objects)
	{
		Node	   *object = (Node *) lfirst(lc);
		Oid			relid;

		switch (stmt->removeType)
		{
			case OBJECT_TABLE:
			case OBJECT_FOREIGN_TABLE:
			case OBJECT_VIEW:
			case OBJECT_MATVIEW:
				relid = protected_name_prefix((List *) object, 0);
				if (OidIsValid(relid))
					refuse(relid, "DROP TABLE");
				break;
			case OBJECT_TRIGGER:
				relid = protected_name_prefix((List *) object, 1);
				if (OidIsValid(relid))
					refuse(relid, "DROP TRIGGER");
				break;
			case OBJECT_RULE:
				relid = protected_name_prefix((List *) object, 1);
				if (OidIsValid(relid))
					refuse(relid, "DROP RULE");
				break;
			case OBJECT_SCHEMA:
				{
					const char *nspname = strVal(object);
					Oid			nspoid = get_namespace_oid(nspname, true);

					if (OidIsValid(nspoid) && plystra_is_extension_schema(nspoid))
						plystra_check_drop_data(psprintf("DROP SCHEMA %s", nspname));
					else if (schema_holds_protected(nspname))
						ereport(ERROR,
								(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
								 errmsg("schema \"%s\" holds append-only tables and cannot be dropped",
										nspname),
								 errdetail("Dropping it would drop the tables and their rows.")));
					break;
				}
			case OBJECT_EXTENSION:
				if (strcmp(strVal(object), PLYSTRA_EXTENSION_NAME) == 0)
					plystra_check_drop_data("DROP EXTENSION plystra");
				break;
			default:
				break;
		}
	}
}

/*
 * A CREATE TRIGGER for an append-only table that only adds the guard:
 * the guard function, BEFORE UPDATE OR DELETE FOR EACH ROW or BEFORE
 * TRUNCATE FOR EACH STATEMENT, no WHEN, no OR REPLACE, no transition
 * tables, no constraint trigger.
 */
static bool
is_guard_trigger(CreateTrigStmt *stmt)
{
	if (!plystra_is_guard_function(stmt->funcname))
		return false;
	if (stmt->replace || stmt->whenClause != NULL || stmt->isconstraint ||
		stmt->transitionRels != NIL || stmt->columns != NIL ||
		stmt->timing != TRIGGER_TYPE_BEFORE)
		return false;
	if (stmt->row)
		return stmt->events == (TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE);
	return stmt->events == TRIGGER_TYPE_TRUNCATE;
}

static void
check_drop_owned(DropOwnedStmt *stmt)
{
	List	   *roles = roleSpecsToIds(stmt->roles);
	ListCell   *lc;

	foreach(lc, roles)
	{
		Oid			roleid = lfirst_oid(lc);

		if (plystra_role_owns_append_only(roleid))
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
					 errmsg("DROP OWNED BY %s would drop append-only tables",
							GetUserNameFromId(roleid, false)),
					 errhint("Give the role's other objects away with REASSIGN OWNED, or drop them one by one.")));
		if (plystra_role_owns_extension(roleid))
			plystra_check_drop_data("DROP OWNED");
	}
}

/*
 * plystra.ddl_guard() returns event_trigger, on ddl_command_start
 */
Datum
plystra_ddl_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *parsetree;
	Oid			relid;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager",
						"ddl_guard")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (strcmp(trigdata->event, "ddl_command_start") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired on ddl_command_start",
						"ddl_guard")));

	if (plystra_in_own_script() || !plystra_storage_present())
		PG_RETURN_VOID();

	parsetree = trigdata->parsetree;
	switch (nodeTag(parsetree))
	{
		case T_AlterTableStmt:
			check_alter_table((AlterTableStmt *) parsetree);
			break;
		case T_DropStmt:
			check_drop((DropStmt *) parsetree);
			break;
		case T_DropOwnedStmt:
			check_drop_owned((DropOwnedStmt *) parsetree);
			break;

		case T_RenameStmt:
			{
				RenameStmt *stmt = (RenameStmt *) parsetree;

				if (stmt->renameType == OBJECT_SCHEMA)
				{
					Oid			nspoid = get_namespace_oid(stmt->subname, true);

					if (OidIsValid(nspoid) && plystra_is_extension_schema(nspoid))
						ereport(ERROR,
								(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
								 errmsg("schema \"%s\" of extension plystra cannot be renamed",
										stmt->subname)));
					if (schema_holds_protected(stmt->subname))
						ereport(ERROR,
								(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
								 errmsg("schema \"%s\" holds append-only tables and cannot be renamed",
										stmt->subname)));
				}
				else if (OidIsValid(relid = protected_rangevar(stmt->relation)))
					refuse(relid, "RENAME");
				break;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) parsetree;

				if (OidIsValid(relid = protected_rangevar(stmt->relation)))
					refuse(relid, "SET SCHEMA");
				break;
			}
		case T_CreateTrigStmt:
			{
				CreateTrigStmt *stmt = (CreateTrigStmt *) parsetree;

				/*
				 * The guard's own triggers may be created (pg_restore does),
				 * in their two shapes only, never replacing a trigger.
				 */
				if (OidIsValid(relid = protected_rangevar(stmt->relation)) &&
					!is_guard_trigger(stmt))
					refuse(relid, "CREATE TRIGGER");
				break;
			}
		case T_CreatePolicyStmt:
			{
				CreatePolicyStmt *stmt = (CreatePolicyStmt *) parsetree;

				if (OidIsValid(relid = protected_rangevar(stmt->table)))
					refuse(relid, "CREATE POLICY");
				break;
			}
		case T_AlterObjectDependsStmt:
			{
				AlterObjectDependsStmt *stmt = (AlterObjectDependsStmt *) parsetree;

				if (stmt->objectType == OBJECT_TRIGGER &&
					OidIsValid(relid = protected_rangevar(stmt->relation)))
					refuse(relid, "ALTER TRIGGER DEPENDS ON EXTENSION");
				break;
			}
		case T_RuleStmt:
			{
				RuleStmt   *stmt = (RuleStmt *) parsetree;

				if (OidIsValid(relid = protected_rangevar(stmt->relation)))
					refuse(relid, "CREATE RULE");
				break;
			}
		case T_AlterExtensionContentsStmt:
			{
				AlterExtensionContentsStmt *stmt = (AlterExtensionContentsStmt *) parsetree;

				if (strcmp(stmt->extname, PLYSTRA_EXTENSION_NAME) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
							 errmsg("the members of extension \"%s\" cannot be changed by hand",
									PLYSTRA_EXTENSION_NAME),
							 errdetail("Its objects are added and removed by its own scripts only.")));
				break;
			}
		default:
			break;
	}

	PG_RETURN_VOID();
}

/*
 * plystra.ddl_guard_end() returns event_trigger, on ddl_command_end
 */
Datum
plystra_ddl_guard_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager",
						"ddl_guard_end")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (strcmp(trigdata->event, "ddl_command_end") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired on ddl_command_end",
						"ddl_guard_end")));

	if (plystra_in_own_script() || !plystra_storage_present())
		PG_RETURN_VOID();

	switch (trigdata->tag)
	{
		case CMDTAG_CREATE_TABLE:
		case CMDTAG_ALTER_TABLE:
		case CMDTAG_CREATE_TABLE_AS:
			plystra_check_cascading_keys();
			break;
		case CMDTAG_CREATE_FUNCTION:
		case CMDTAG_ALTER_FUNCTION:
		case CMDTAG_CREATE_PROCEDURE:
		case CMDTAG_ALTER_PROCEDURE:
		case CMDTAG_ALTER_ROUTINE:
			plystra_check_member_functions();
			break;
		default:
			break;
	}
	PG_RETURN_VOID();
}

/*
 * plystra.drop_guard() returns event_trigger, on sql_drop
 */
Datum
plystra_drop_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager",
						"drop_guard")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (strcmp(trigdata->event, "sql_drop") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired on sql_drop", "drop_guard")));

	if (plystra_in_own_script() || !plystra_storage_present())
		PG_RETURN_VOID();

	plystra_check_dropped_objects();
	PG_RETURN_VOID();
}
