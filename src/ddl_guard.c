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
 * plystra.ddl_guard() (ddl_command_start) reads the parse tree and refuses
 * early what is certainly refused, before a long command runs: on an
 * append-only relation, every ALTER TABLE subcommand outside a short,
 * reviewed list (plystra_refused_subcommand()), renaming it, SET SCHEMA,
 * triggers but the guard's own, rules and policies, and dropping it or its
 * schema.  It refuses ALTER EXTENSION plystra ADD/DROP, and dropping the
 * extension (directly, with its schema, or with DROP OWNED) while
 * plystra_data holds rows, unless plystra.allow_drop_data is on, and always
 * while tables of one's own are append-only.  Names are resolved here
 * before the command locks anything, so this is not where the guard is
 * decided: plystra.ddl_guard_end() (ddl_command_end, ddl_commands.c)
 * judges again by OID what the command really did.
 *
 * plystra.drop_guard() (sql_drop) refuses drops that reach an append-only
 * relation, a column or trigger of one, or a trigger of the extension, by
 * cascade from another object.
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
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
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
		const char *reason;

		/* partitions are named by the command, not by the statement */
		if (cmd->subtype == AT_AttachPartition || cmd->subtype == AT_DetachPartition)
		{
			Oid			part = protected_rangevar(((PartitionCmd *) cmd->def)->name);

			if (OidIsValid(part))
				plystra_refuse_append_only_rel(part, cmd->subtype == AT_AttachPartition ?
					   "ATTACH PARTITION" : "DETACH PARTITION");
		}
		if (!OidIsValid(relid))
			continue;
		/* judged at ddl_command_end, once the table is locked */
		if (cmd->subtype == AT_AttachPartition && relid == plystra_audit_logs_relid())
			continue;
		if ((reason = plystra_refused_subcommand(cmd)) != NULL)
			plystra_refuse_append_only_rel(relid, reason);
		if (cmd->subtype == AT_ChangeOwner &&
			!superuser_arg(get_rolespec_oid(cmd->newowner, false)))
			plystra_refuse_append_only_rel(relid, "OWNER TO a role that is not a superuser");
	}
}

/* Does the current role own the object (superusers own everything)? */
static bool
owns(Oid classid, Oid objid)
{
	if (superuser())
		return true;
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(classid, objid, GetUserId());
#else
	if (classid == ExtensionRelationId)
		return pg_extension_ownercheck(objid, GetUserId());
	return pg_namespace_ownercheck(objid, GetUserId());
#endif
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
					plystra_refuse_append_only_rel(relid, "DROP TABLE");
				break;
			case OBJECT_TRIGGER:
				relid = protected_name_prefix((List *) object, 1);
				if (OidIsValid(relid))
					plystra_refuse_append_only_rel(relid, "DROP TRIGGER");
				break;
			case OBJECT_RULE:
				relid = protected_name_prefix((List *) object, 1);
				if (OidIsValid(relid))
					plystra_refuse_append_only_rel(relid, "DROP RULE");
				break;
			case OBJECT_SCHEMA:
				{
					const char *nspname = strVal(object);
					Oid			nspoid = get_namespace_oid(nspname, true);

					if (OidIsValid(nspoid) && plystra_is_extension_schema(nspoid))
					{
						/* PostgreSQL refuses a role that may not drop it */
						if (!owns(NamespaceRelationId, nspoid))
							break;
						plystra_check_drop_extension(psprintf("DROP SCHEMA %s", nspname));
					}
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
				{
					Oid			extoid = get_extension_oid(PLYSTRA_EXTENSION_NAME, true);

					/* PostgreSQL refuses a role that may not drop it */
					if (!OidIsValid(extoid) || !owns(ExtensionRelationId, extoid))
						break;
					plystra_check_drop_extension("DROP EXTENSION plystra");
				}
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

		/* PostgreSQL refuses a role without the privileges of roleid */
		if (!has_privs_of_role(GetUserId(), roleid))
			continue;
		if (plystra_role_owns_append_only(roleid))
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
					 errmsg("DROP OWNED BY %s would drop append-only tables",
							GetUserNameFromId(roleid, false)),
					 errhint("Give the role's other objects away with REASSIGN OWNED, or drop them one by one.")));
		if (plystra_role_owns_extension(roleid))
			plystra_check_drop_extension("DROP OWNED");
	}
}

/*
 * The guards stand aside for plystra's own scripts, and where the
 * extension's storage is gone (DROP EXTENSION is under way).
 */
static bool
guard_stands_aside(void)
{
	return plystra_in_own_script() || !plystra_storage_present();
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

	trigdata = plystra_event_trigger_call(fcinfo, "ddl_guard", "ddl_command_start");

	/* plystra's own script passes; an update first remembers the drift */
	if (plystra_in_own_script())
		plystra_remember_drift();
	if (guard_stands_aside())
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
					plystra_refuse_append_only_rel(relid, "RENAME");
				break;
			}
		case T_AlterObjectSchemaStmt:
			{
				AlterObjectSchemaStmt *stmt = (AlterObjectSchemaStmt *) parsetree;

				if (OidIsValid(relid = protected_rangevar(stmt->relation)))
					plystra_refuse_append_only_rel(relid, "SET SCHEMA");
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
					plystra_refuse_append_only_rel(relid, "CREATE TRIGGER");
				break;
			}
		case T_CreatePolicyStmt:
			{
				CreatePolicyStmt *stmt = (CreatePolicyStmt *) parsetree;

				if (OidIsValid(relid = protected_rangevar(stmt->table)))
					plystra_refuse_append_only_rel(relid, "CREATE POLICY");
				break;
			}
		case T_AlterObjectDependsStmt:
			{
				AlterObjectDependsStmt *stmt = (AlterObjectDependsStmt *) parsetree;

				if (stmt->objectType == OBJECT_TRIGGER &&
					OidIsValid(relid = protected_rangevar(stmt->relation)))
					plystra_refuse_append_only_rel(relid, "ALTER TRIGGER DEPENDS ON EXTENSION");
				break;
			}
		case T_RuleStmt:
			{
				RuleStmt   *stmt = (RuleStmt *) parsetree;

				if (OidIsValid(relid = protected_rangevar(stmt->relation)))
					plystra_refuse_append_only_rel(relid, "CREATE RULE");
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
	(void) plystra_event_trigger_call(fcinfo, "ddl_guard_end", "ddl_command_end");
	if (guard_stands_aside())
		PG_RETURN_VOID();

	plystra_check_ddl_commands();
	PG_RETURN_VOID();
}

/*
 * plystra.drop_guard() returns event_trigger, on sql_drop
 */
Datum
plystra_drop_guard(PG_FUNCTION_ARGS)
{
	(void) plystra_event_trigger_call(fcinfo, "drop_guard", "sql_drop");
	if (guard_stands_aside())
		PG_RETURN_VOID();

	plystra_check_dropped_objects();
	PG_RETURN_VOID();
}
