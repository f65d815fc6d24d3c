/*-------------------------------------------------------------------------
 *
 * ddl_commands.c
 *	  ddl_command_end: judging, by OID, every object a command created or
 *	  changed.
 *
 * ddl_command_start sees a command's parse tree, and must resolve the
 * names in it itself, before the command has locked anything: a command
 * that waits on a lock may then act on another relation than the one the
 * guard judged (a decoy of the same name dropped meanwhile from earlier in
 * the search_path).  At ddl_command_end, pg_event_trigger_ddl_commands()
 * says which objects the command really acted on, by OID, with each ALTER
 * TABLE subcommand as it ran, including the commands it ran for others
 * (CREATE SCHEMA ... CREATE TABLE, the index of a constraint).  An error
 * here rolls the whole command back.  So every rule of the DDL guard that
 * concerns an existing object is judged here again:
 *
 * - an append-only table: only the ALTER TABLE subcommands of a short,
 *	 reviewed list (plystra_refused_subcommand()); no renaming of it or its
 *	 columns, constraints, triggers; no SET SCHEMA; no triggers but the
 *	 guard's own, no rules, no policies; OWNER TO superusers only;
 * - a type a column of an append-only table is built from: no ALTER TYPE
 *	 that changes what stored values say (attributes, enum value names);
 * - the relations of the extension's schemas: their triggers are not
 *	 disabled, renamed or moved to another extension; no rules; no new
 *	 triggers on the interface views, nor changes to their options; and
 *	 the extension's functions and views are not replaced or altered;
 * - UPDATE, DELETE and TRUNCATE on an append-only table, its interface
 *	 view, or a table its foreign keys reference (and that table's view) are
 *	 not granted: they would allow LOCK TABLE, stopping every audit write;
 * - a table created as a partition of an append-only table is protected
 *	 as the rest of it (append_only.c);
 * - then, for every relation the command touched: no parent, child or
 *	 partition of an append-only table but the protected partitions of a
 *	 protected partitioned table, no cascading foreign key of or onto one
 *	 (registry.c).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/ddl_commands.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/deparse_utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "plystra.h"

/* The commands collected for this ddl_command_end, from the server. */
static List *
collected_commands(void)
{
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;
	LOCAL_FCINFO(fcinfo, 0);
	TupleTableSlot *slot;
	EState	   *estate = CreateExecutorState();
	List	   *result = NIL;

	fmgr_info(F_PG_EVENT_TRIGGER_DDL_COMMANDS, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL, NULL);
	MemSet(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.allowedModes = SFRM_Materialize;
	rsinfo.econtext = CreateExprContext(estate);
	fcinfo->resultinfo = (Node *) &rsinfo;
	(void) FunctionCallInvoke(fcinfo);

	if (rsinfo.setResult != NULL)
	{
		int			command_att = rsinfo.setDesc->natts;
		int			i;

		/* the column "command" is the collected command itself */
		for (i = 0; i < rsinfo.setDesc->natts; i++)
		{
			if (strcmp(NameStr(TupleDescAttr(rsinfo.setDesc, i)->attname), "command") == 0)
				command_att = i + 1;
		}

		slot = MakeSingleTupleTableSlot(rsinfo.setDesc, &TTSOpsMinimalTuple);
		while (tuplestore_gettupleslot(rsinfo.setResult, true, false, slot))
		{
			bool		isnull;
			Datum		command;

			command = slot_getattr(slot, command_att, &isnull);
			if (!isnull)
				result = lappend(result, DatumGetPointer(command));
		}
		ExecDropSingleTupleTableSlot(slot);
	}
	FreeExprContext(rsinfo.econtext, false);
	FreeExecutorState(estate);
	return result;
}

/* the same, naming the table as the command named it (before a rename) */
static void
refuse_named(RangeVar *rv, Oid relid, const char *what)
{
	if (rv == NULL || rv->schemaname == NULL)
		plystra_refuse_append_only_rel(relid, what);
	plystra_refuse_append_only(rv->schemaname, rv->relname, what);
}

/* errcode, detail and hint of a refused change to the extension's objects */
static int
extension_object_refusal(void)
{
	errcode(ERRCODE_PLYSTRA_EXTENSION_OBJECT);
	errdetail("It is part of what extension \"%s\" guarantees, and changes only with the extension's own scripts.",
			  PLYSTRA_EXTENSION_NAME);
	return errhint("Run ALTER EXTENSION plystra UPDATE to change the extension's objects.");
}

/* Is the relation in one of the extension's two schemas? */
static bool
in_extension_schema(Oid relid)
{
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	return nspname != NULL &&
		(strcmp(nspname, PLYSTRA_SCHEMA) == 0 ||
		 strcmp(nspname, PLYSTRA_DATA_SCHEMA) == 0);
}

static char *
relation_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

static bool
is_interface_view(Oid relid)
{
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));

	return get_rel_relkind(relid) == RELKIND_VIEW && nspname != NULL &&
		strcmp(nspname, PLYSTRA_SCHEMA) == 0;
}

static bool
is_member(Oid classid, Oid objid)
{
	Oid			extoid = get_extension_oid(PLYSTRA_EXTENSION_NAME, true);

	return OidIsValid(extoid) && getExtensionOfObject(classid, objid) == extoid;
}

/* A catalog row by OID: the relation it belongs to (column relcol). */
static Oid
owning_relation(Oid classid, Oid objid, AttrNumber oidcol, AttrNumber relcol,
				Oid *funcid)
{
	Relation	catalog = table_open(classid, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(catalog, oidcol, objid);
	Oid			relid = InvalidOid;
	bool		isnull;

	if (HeapTupleIsValid(tuple))
	{
		relid = DatumGetObjectId(heap_getattr(tuple, relcol,
											  RelationGetDescr(catalog), &isnull));
		if (funcid != NULL)
			*funcid = ((Form_pg_trigger) GETSTRUCT(tuple))->tgfoid;
	}
	table_close(catalog, AccessShareLock);
	return relid;
}

/*
 * Is the trigger one of the append-only guard's two, exactly: the guard
 * function, BEFORE UPDATE OR DELETE FOR EACH ROW or BEFORE TRUNCATE FOR
 * EACH STATEMENT, with no WHEN, no column list, no transition tables, not
 * a constraint trigger?  Judged from the catalog row the command made.
 */
static bool
guard_shaped(Oid trigoid)
{
	Relation	catalog = table_open(TriggerRelationId, AccessShareLock);
	HeapTuple	tuple = get_catalog_object_by_oid(catalog, Anum_pg_trigger_oid, trigoid);
	bool		result = false;

	if (HeapTupleIsValid(tuple))
	{
		Form_pg_trigger trig = (Form_pg_trigger) GETSTRUCT(tuple);
		int16		type = trig->tgtype;
		char	   *fname = get_func_name(trig->tgfoid);
		char	   *nspname = get_namespace_name(get_func_namespace(trig->tgfoid));

		result = fname != NULL && nspname != NULL &&
			strcmp(fname, "append_only_guard") == 0 &&
			strcmp(nspname, PLYSTRA_SCHEMA) == 0 &&
			is_member(ProcedureRelationId, trig->tgfoid) &&
			!OidIsValid(trig->tgconstraint) &&
			trig->tgattr.dim1 == 0 &&
			heap_attisnull(tuple, Anum_pg_trigger_tgqual, NULL) &&
			heap_attisnull(tuple, Anum_pg_trigger_tgoldtable, NULL) &&
			heap_attisnull(tuple, Anum_pg_trigger_tgnewtable, NULL) &&
			(type == (TRIGGER_TYPE_ROW | TRIGGER_TYPE_BEFORE |
					  TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE) ||
			 type == (TRIGGER_TYPE_BEFORE | TRIGGER_TYPE_TRUNCATE));
	}
	table_close(catalog, AccessShareLock);
	return result;
}

/* Does the subcommand change the row type of the relation it alters? */
static bool
changes_row_type(AlterTableType subtype)
{
	switch (subtype)
	{
		case AT_AddColumn:
		case AT_DropColumn:
#if PG_VERSION_NUM < 160000
		case AT_AddColumnRecurse:
		case AT_DropColumnRecurse:
#endif
		case AT_AlterColumnType:
			return true;
		default:
			return false;
	}
}

/*
 * The row type of relid (a table's or a composite type's) may not change
 * while a column of an append-only table is built from it.
 */
static void
check_row_type(Oid relid, const char *detail)
{
	Oid			typid = get_rel_type_id(relid);

	if (OidIsValid(typid) && plystra_type_used_by_append_only(typid))
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("type \"%s\" cannot be altered: a column of an append-only table is built from it",
						format_type_be(typid)),
				 errdetail_internal("%s", detail)));
}

static bool
toggles_triggers_or_rules(AlterTableType subtype)
{
	switch (subtype)
	{
		case AT_EnableTrig:
		case AT_EnableReplicaTrig:
		case AT_DisableTrig:
		case AT_EnableTrigAll:
		case AT_DisableTrigAll:
		case AT_EnableTrigUser:
		case AT_DisableTrigUser:
		case AT_EnableRule:
		case AT_EnableAlwaysRule:
		case AT_EnableReplicaRule:
		case AT_DisableRule:
			return true;
		default:
			return false;
	}
}

/*
 * An ATTACH PARTITION to plystra_data.audit_logs.  A restore attaches each
 * partition it has just created, empty, before its rows come (pg_dump's
 * order), and that is the one ATTACH let through: an empty plain table,
 * protected here as every partition of audit_logs.  A table with rows is
 * refused: rows enter the audit log by INSERT, under its row guard.  The
 * attached table is found as the partition not protected yet (PostgreSQL
 * does not report it to event triggers).
 */
static void
attach_audit_partition(Oid parentid)
{
	ListCell   *lc;

	foreach(lc, find_inheritance_children(parentid, NoLock))
	{
		Oid			partid = lfirst_oid(lc);
		StorageOwnerContext ctx;
		SPIPlanPtr	plan;
		bool		empty;

		if (plystra_is_append_only(partid))
			continue;
		/* audit_maintain() moving rows out of the default partition */
		if (plystra_attach_door_lets_through(partid))
		{
			plystra_protect_audit_partition(partid, parentid);
			continue;
		}
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		plystra_become_storage_owner(&ctx);
		plan = SPI_prepare(psprintf("SELECT 1 FROM ONLY %s LIMIT 1", relation_name(partid)),
						   0, NULL);
		if (plan == NULL)
			elog(ERROR, "could not read %s", relation_name(partid));

		/*
		 * Every row committed (ATTACH holds the table's exclusive lock), not
		 * only those an older snapshot of a REPEATABLE READ transaction sees,
		 * and the command's own.
		 */
		if (SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(),
								 InvalidSnapshot, false, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read %s", relation_name(partid));
		empty = SPI_processed == 0;
		plystra_restore_user(&ctx);
		SPI_finish();
		if (!empty)
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
					 errmsg("table %s cannot be attached to %s: it holds rows",
							relation_name(partid), relation_name(parentid)),
					 errdetail("Rows enter the audit log by INSERT only, under its guard; only an empty table is attached (as pg_restore does)."),
					 errhint("Insert the rows into %s instead.", relation_name(parentid))));
		plystra_protect_audit_partition(partid, parentid);
	}
}

/* ALTER TABLE (and ALTER VIEW, ALTER TYPE of a composite) */
static void
check_altered_relation(CollectedCommand *cmd, List **touched)
{
	Oid			relid = cmd->d.alterTable.objectId;
	char		relkind;
	bool		protected;
	bool		extension_relation;
	bool		interface_view;
	bool		row_type_checked = false;
	ListCell   *lc;

	if (!OidIsValid(relid) || cmd->d.alterTable.classId != RelationRelationId)
		return;
	relkind = get_rel_relkind(relid);
	protected = plystra_is_append_only(relid);
	extension_relation = in_extension_schema(relid);
	interface_view = is_interface_view(relid);
	*touched = lappend_oid(*touched, relid);

	foreach(lc, cmd->d.alterTable.subcmds)
	{
		CollectedATSubcmd *sub = (CollectedATSubcmd *) lfirst(lc);
		AlterTableCmd *atcmd = (AlterTableCmd *) sub->parsetree;
		const char *reason;

		if (sub->address.classId == RelationRelationId &&
			OidIsValid(sub->address.objectId))
			*touched = lappend_oid(*touched, sub->address.objectId);
		if (atcmd == NULL || !IsA(atcmd, AlterTableCmd))
			continue;

		if (protected && atcmd->subtype == AT_AttachPartition &&
			relid == plystra_audit_logs_relid())
		{
			attach_audit_partition(relid);
			continue;
		}
		if (protected && (reason = plystra_refused_subcommand(atcmd)) != NULL)
			plystra_refuse_append_only_rel(relid, reason);
		if (!row_type_checked &&
			(relkind == RELKIND_COMPOSITE_TYPE || changes_row_type(atcmd->subtype)))
		{
			check_row_type(relid, "Adding, dropping or changing an attribute changes what every stored row says.");
			row_type_checked = true;
		}
		/* whoever owns them, the policies of the storage apply to */
		if (atcmd->subtype == AT_ChangeOwner && interface_view)
			ereport(ERROR,
					(errmsg("the owner of interface view %s cannot be changed",
							relation_name(relid)),
					 extension_object_refusal()));
		if (atcmd->subtype == AT_ChangeOwner &&
			(protected || extension_relation) &&
			!superuser_arg(get_rolespec_oid(atcmd->newowner, false)))
		{
			if (protected)
				plystra_refuse_append_only_rel(relid, "OWNER TO a role that is not a superuser");
			ereport(ERROR,
					(errmsg("relation %s of extension \"%s\" can be owned by a superuser only",
							relation_name(relid), PLYSTRA_EXTENSION_NAME),
					 extension_object_refusal()));
		}
		if (extension_relation &&
			(atcmd->subtype == AT_AddIdentity || atcmd->subtype == AT_SetIdentity ||
			 atcmd->subtype == AT_DropIdentity))
			ereport(ERROR,
					(errmsg("identity columns of %s cannot be altered",
							relation_name(relid)),
					 extension_object_refusal()));
		if (extension_relation &&
			(atcmd->subtype == AT_EnableRowSecurity ||
			 atcmd->subtype == AT_DisableRowSecurity ||
			 atcmd->subtype == AT_ForceRowSecurity ||
			 atcmd->subtype == AT_NoForceRowSecurity))
			ereport(ERROR,
					(errmsg("row-level security of %s cannot be switched",
							relation_name(relid)),
					 extension_object_refusal()));
		if (extension_relation && toggles_triggers_or_rules(atcmd->subtype))
			ereport(ERROR,
					(errmsg("triggers and rules of %s cannot be enabled or disabled",
							relation_name(relid)),
					 extension_object_refusal()));
		if (interface_view)
			ereport(ERROR,
					(errmsg("options and column defaults of interface view %s cannot be changed",
							relation_name(relid)),
					 extension_object_refusal()));
	}
}

/*
 * A CREATE TABLE ... PARTITION OF an append-only table: the new partition
 * is protected as the rest of the table.  Only plain, permanent tables
 * qualify (plystra_adopt_partition() refuses the others); a foreign table
 * made a partition is refused as a child of an append-only table.
 */
static void
adopt_partition(Node *node, Oid relid)
{
	Oid			parentid;

	if (!IsA(node, CreateStmt) || ((CreateStmt *) node)->partbound == NULL ||
		!get_rel_relispartition(relid))
		return;
	parentid = get_partition_parent(relid, false);
	if (parentid == plystra_audit_logs_relid())
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
				 errmsg("partitions of %s are made by the extension only",
						relation_name(parentid)),
				 errhint("plystra.audit_maintain() makes the partitions ahead of time.")));
	if (plystra_is_append_only(parentid) && !plystra_is_append_only(relid))
		plystra_adopt_partition(relid, parentid);
}

/* Commands that act on one object, named by its address. */
static void
check_simple(CollectedCommand *cmd, List **touched)
{
	ObjectAddress *address = &cmd->d.simple.address;
	Node	   *node = cmd->parsetree;
	Oid			relid;
	Oid			funcid = InvalidOid;

	if (!OidIsValid(address->objectId))
		return;

	switch (address->classId)
	{
		case RelationRelationId:
			relid = address->objectId;
			*touched = lappend_oid(*touched, relid);
			adopt_partition(node, relid);
			/* the messages name the table as it was before the command */
			if (IsA(node, RenameStmt) && plystra_is_append_only(relid))
				refuse_named(((RenameStmt *) node)->relation, relid, "RENAME");
			if (IsA(node, AlterObjectSchemaStmt) && plystra_is_append_only(relid))
				refuse_named(((AlterObjectSchemaStmt *) node)->relation, relid, "SET SCHEMA");
			/* a renamed attribute or column of a row type */
			if (IsA(node, RenameStmt) && address->objectSubId > 0)
				check_row_type(relid, "Renaming an attribute changes what every stored row says.");
			break;

		case TriggerRelationId:
			relid = owning_relation(TriggerRelationId, address->objectId,
									Anum_pg_trigger_oid, Anum_pg_trigger_tgrelid,
									&funcid);
			if (!OidIsValid(relid))
				break;
			if (plystra_is_append_only(relid))
			{
				if (IsA(node, CreateTrigStmt) &&
					!((CreateTrigStmt *) node)->replace &&
					guard_shaped(address->objectId))
					break;		/* the guard's own, as pg_restore makes it */
				plystra_refuse_append_only_rel(relid, IsA(node, CreateTrigStmt) ? "CREATE TRIGGER" :
					   IsA(node, RenameStmt) ? "RENAME TRIGGER" :
					   "ALTER TRIGGER");
			}
			if (IsA(node, CreateTrigStmt) && is_interface_view(relid))
				ereport(ERROR,
						(errmsg("triggers cannot be created on interface view %s",
								relation_name(relid)),
						 extension_object_refusal()));
			if (!IsA(node, CreateTrigStmt) && in_extension_schema(relid) &&
				is_member(ProcedureRelationId, funcid))
				ereport(ERROR,
						(errmsg("triggers of extension \"%s\" on %s cannot be renamed or altered",
								PLYSTRA_EXTENSION_NAME, relation_name(relid)),
						 extension_object_refusal()));
			break;

		case RewriteRelationId:
			relid = owning_relation(RewriteRelationId, address->objectId,
									Anum_pg_rewrite_oid, Anum_pg_rewrite_ev_class,
									NULL);
			if (!OidIsValid(relid))
				break;
			if (plystra_is_append_only(relid))
				plystra_refuse_append_only_rel(relid, IsA(node, RuleStmt) ? "CREATE RULE" : "RENAME RULE");
			if (in_extension_schema(relid))
				ereport(ERROR,
						(errmsg("rules cannot be created on %s", relation_name(relid)),
						 extension_object_refusal()));
			break;

		case PolicyRelationId:
			relid = owning_relation(PolicyRelationId, address->objectId,
									Anum_pg_policy_oid, Anum_pg_policy_polrelid,
									NULL);
			if (OidIsValid(relid) && plystra_is_append_only(relid))
				plystra_refuse_append_only_rel(relid, "a policy");
			/* they decide what the interface views show */
			if (OidIsValid(relid) && in_extension_schema(relid))
				ereport(ERROR,
						(errmsg("policies of %s cannot be created or changed",
								relation_name(relid)),
						 extension_object_refusal()));
			break;

		case ConstraintRelationId:
			if (IsA(node, RenameStmt))
			{
				relid = owning_relation(ConstraintRelationId, address->objectId,
										Anum_pg_constraint_oid,
										Anum_pg_constraint_conrelid, NULL);
				if (OidIsValid(relid) && plystra_is_append_only(relid))
					plystra_refuse_append_only_rel(relid, "RENAME CONSTRAINT");
			}
			break;

		case NamespaceRelationId:
			if (IsA(node, RenameStmt))
			{
				const char *nspname = get_namespace_name(address->objectId);

				if (plystra_schema_has_append_only(address->objectId))
					ereport(ERROR,
							(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
							 errmsg("schema \"%s\" holds append-only tables and cannot be renamed",
									nspname)));
				if (is_member(NamespaceRelationId, address->objectId) ||
					plystra_is_extension_schema(address->objectId))
					ereport(ERROR,
							(errmsg("schema \"%s\" of extension \"%s\" cannot be renamed",
									nspname, PLYSTRA_EXTENSION_NAME),
							 extension_object_refusal()));
			}
			break;

		case TypeRelationId:
			if (IsA(node, AlterEnumStmt) && ((AlterEnumStmt *) node)->oldVal != NULL &&
				plystra_type_used_by_append_only(address->objectId))
				ereport(ERROR,
						(errcode(ERRCODE_PLYSTRA_APPEND_ONLY),
						 errmsg("type \"%s\" cannot be altered: a column of an append-only table is built from it",
								format_type_be(address->objectId)),
						 errdetail("Renaming an enum value changes what every stored row says.")));
			break;

		default:
			break;
	}

	/* the extension's functions and views change with its scripts only */
	if ((IsA(node, CreateFunctionStmt) || IsA(node, AlterFunctionStmt) ||
		 IsA(node, ViewStmt) || IsA(node, RenameStmt) ||
		 IsA(node, AlterObjectSchemaStmt) || IsA(node, AlterOwnerStmt) ||
		 IsA(node, AlterSeqStmt)) &&
		is_member(address->classId, address->objectId))
		ereport(ERROR,
				(errmsg("%s cannot be replaced or altered",
#if PG_VERSION_NUM >= 140000
						getObjectDescription(address, false)),
#else
						getObjectDescription(address)),
#endif
				 extension_object_refusal()));
}

/*
 * ddl_command_end: judge every collected command of the current one.
 */
void
plystra_check_ddl_commands(void)
{
	List	   *touched = NIL;
	ListCell   *lc;

	foreach(lc, collected_commands())
	{
		CollectedCommand *cmd = (CollectedCommand *) lfirst(lc);

		switch (cmd->type)
		{
			case SCT_AlterTable:
				check_altered_relation(cmd, &touched);
				break;
			case SCT_Simple:
				check_simple(cmd, &touched);
				break;
			case SCT_Grant:
				plystra_check_grant(cmd->d.grant.istmt);
				break;
			default:
				break;
		}
	}
	plystra_check_touched_relations(touched);
}
