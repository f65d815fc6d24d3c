/*-------------------------------------------------------------------------
 *
 * builtin_rows.c
 *	  The guard that keeps the extension's seed rows as shipped.
 *
 * Rows the migrations insert (the Finance Reviewer role, its permissions,
 * the audit event types) carry builtin = true.  pg_dump leaves them out,
 * because CREATE EXTENSION writes them again on restore; so they must be
 * exactly what the scripts wrote, or a restore would silently undo a
 * change to them.  plystra.builtin_row_guard() makes them immutable: no
 * UPDATE or DELETE of a built-in row, no INSERT or UPDATE that marks a row
 * built-in, no TRUNCATE, outside the extension's own scripts.  It runs
 * BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW and BEFORE TRUNCATE, ENABLE
 * ALWAYS.
 *
 * Since 1.2 a built-in row is dated by its migration: its created_at (and
 * updated_at) is the applied_at the history keeps for the migration that
 * wrote it, whenever and however the database got it.  _migrate_builtin()
 * dates the rows a migration wrote once it is recorded; a restore, whose
 * CREATE EXTENSION writes the rows and the history anew, dates them again
 * when the dumped history row of their migration replaces the new one
 * (history.c).  So a dump and restore gives back the built-in rows as they
 * were.  The update to 1.2 dates rows that older versions stamped with the
 * time of the transaction that installed them (_date_builtin_rows()).
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/builtin_rows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "plystra.h"

PG_FUNCTION_INFO_V1(plystra_builtin_row_guard);
PG_FUNCTION_INFO_V1(plystra_date_builtin_rows_sql);

/* Is the extension dating built-in rows (the guards of these rows stand aside)? */
static bool redating = false;

bool
plystra_redating_builtin_rows(void)
{
	return redating;
}

static bool
is_builtin(HeapTuple tuple, TupleDesc tupdesc, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, tupdesc, &isnull);

	return !isnull && DatumGetBool(d);
}

/*
 * Do two versions of a row differ in created_at and updated_at alone?
 */
static bool
only_times_differ(HeapTuple oldtup, HeapTuple newtup, TupleDesc tupdesc)
{
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		bool		oldnull;
		bool		newnull;
		Datum		oldval;
		Datum		newval;

		if (att->attisdropped ||
			strcmp(NameStr(att->attname), "created_at") == 0 ||
			strcmp(NameStr(att->attname), "updated_at") == 0)
			continue;
		oldval = heap_getattr(oldtup, i + 1, tupdesc, &oldnull);
		newval = heap_getattr(newtup, i + 1, tupdesc, &newnull);
		if (oldnull != newnull ||
			(!oldnull && !datum_image_eq(oldval, newval, att->attbyval, att->attlen)))
			return false;
	}
	return true;
}

Datum
plystra_builtin_row_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata;
	Relation	rel;
	TupleDesc	tupdesc;
	int			attnum;
	const char *relname;
	HeapTuple	result;

	trigdata = plystra_trigger_call(fcinfo, "builtin_row_guard", TRIGGER_EVENT_BEFORE,
									PLYSTRA_ON_INSERT | PLYSTRA_ON_UPDATE | PLYSTRA_ON_DELETE | PLYSTRA_ON_TRUNCATE);

	rel = trigdata->tg_relation;
	relname = RelationGetRelationName(rel);

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		if (plystra_in_builtin_migration())
			return PointerGetDatum(NULL);
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_BUILTIN_ROW),
				 errmsg("TRUNCATE of \"%s.%s\" is not allowed",
						get_namespace_name(RelationGetNamespace(rel)), relname),
				 errdetail("The table holds built-in rows that ship with the extension."),
				 errhint("Delete the rows that are not built-in instead: DELETE ... WHERE NOT builtin.")));
	}

	tupdesc = RelationGetDescr(rel);
	attnum = SPI_fnumber(tupdesc, "builtin");
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("relation \"%s\" has no column \"builtin\"", relname)));

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		result = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		result = trigdata->tg_newtuple;
	else
		result = trigdata->tg_trigtuple;

	if (plystra_in_builtin_migration())
		return PointerGetDatum(result);

	/* the extension dating built-in rows changes their times, nothing else */
	if (redating && TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		if (!only_times_differ(trigdata->tg_trigtuple, trigdata->tg_newtuple, tupdesc))
			elog(ERROR, "dating the built-in rows of \"%s\" would change more than their times",
				 relname);
		return PointerGetDatum(result);
	}

	/*
	 * The event types of the extension's own audit rows are its own: a row
	 * of somebody else's under their prefixes would be taken for one of
	 * them, or keep the next version from adding it.  The storage owner,
	 * restoring, keeps what it writes.
	 */
	if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) &&
		strcmp(relname, "audit_event_types") == 0 && !plystra_is_storage_owner())
	{
		int			keyatt = SPI_fnumber(tupdesc, "key");
		bool		isnull = true;
		Datum		key = (Datum) 0;

		if (keyatt > 0)
			key = heap_getattr(result, keyatt, tupdesc, &isnull);
		if (!isnull && plystra_reserved_event_type(DatumGetTextPP(key)))
			ereport(ERROR,
					(errcode(ERRCODE_PLYSTRA_RESERVED_EVENT),
					 errmsg("event type \"%s\" is the extension's",
							TextDatumGetCString(key)),
					 errdetail("Event types under migration., audit., entity. and user.password. record what plystra itself did."),
					 errhint("Use an event type of your own.")));
	}

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) &&
		is_builtin(trigdata->tg_trigtuple, tupdesc, attnum))
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_BUILTIN_ROW),
				 errmsg("built-in row of \"%s\" cannot be %s", relname,
						TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? "changed" : "deleted"),
				 errdetail("Built-in rows ship with the extension and stay as shipped, so that a restored dump has them exactly as the original."),
				 errhint("Create a row of your own (builtin = false) and use it instead.")));

	if (!TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) &&
		is_builtin(result, tupdesc, attnum))
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_BUILTIN_ROW),
				 errmsg("only the extension creates built-in rows of \"%s\"", relname),
				 errhint("Leave builtin false for rows of your own.")));

	return PointerGetDatum(result);
}

/*
 * Run one UPDATE that dates built-in rows, as the storage owner, with the
 * guard of built-in rows and the updated_at trigger standing aside.  The
 * caller is connected to SPI.
 */
static uint64
run_dating(const char *sql, int nargs, Oid *argtypes, Datum *values,
		   const char *nulls)
{
	StorageOwnerContext ctx;
	bool		saved = redating;
	uint64		n = 0;
	int			ret;

	plystra_become_storage_owner(&ctx);
	redating = true;
	PG_TRY();
	{
		ret = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "could not run \"%s\": %s", sql, SPI_result_code_string(ret));
		n = SPI_processed;
	}
	PG_FINALLY();
	{
		redating = saved;
		plystra_restore_user(&ctx);
	}
	PG_END_TRY();
	return n;
}

/*
 * The tables of plystra_data that hold built-in rows (a boolean column
 * builtin and a column created_at), each as its quoted name and whether it
 * has updated_at too.  The caller is connected to SPI.
 */
static SPITupleTable *
builtin_tables(uint64 *n)
{
	int			ret;

	ret = SPI_execute("SELECT c.oid::pg_catalog.regclass::pg_catalog.text,"
					  "       EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
					  "                WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
					  "                  AND a.attname OPERATOR(pg_catalog.=) 'updated_at'"
					  "                  AND NOT a.attisdropped)"
					  "  FROM pg_catalog.pg_class c"
					  " WHERE c.relnamespace OPERATOR(pg_catalog.=) 'plystra_data'::pg_catalog.regnamespace"
					  "   AND c.relkind OPERATOR(pg_catalog.=) 'r'"
					  "   AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
					  "                WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
					  "                  AND a.attname OPERATOR(pg_catalog.=) 'builtin'"
					  "                  AND a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.bool'::pg_catalog.regtype"
					  "                  AND NOT a.attisdropped)"
					  "   AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
					  "                WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
					  "                  AND a.attname OPERATOR(pg_catalog.=) 'created_at'"
					  "                  AND NOT a.attisdropped)"
					  " ORDER BY 1",
					  false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not list the tables of built-in rows: %s",
			 SPI_result_code_string(ret));
	*n = SPI_processed;
	return SPI_tuptable;
}

/*
 * Date the built-in rows stamped "from" (created_at, and updated_at apart)
 * with "to": the rows a migration just wrote or changed, stamped with the
 * transaction's start, get the time it was applied; restored rows get the
 * time of the original.  The caller is connected to SPI.
 */
void
plystra_date_builtin_rows(TimestampTz from, TimestampTz to)
{
	SPITupleTable *tables;
	uint64		ntables;
	uint64		i;
	Oid			argtypes[2] = {TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[2];

	if (from == to)
		return;
	values[0] = TimestampTzGetDatum(from);
	values[1] = TimestampTzGetDatum(to);
	tables = builtin_tables(&ntables);
	for (i = 0; i < ntables; i++)
	{
		char	   *table = SPI_getvalue(tables->vals[i], tables->tupdesc, 1);
		char	   *has_updated = SPI_getvalue(tables->vals[i], tables->tupdesc, 2);

		(void) run_dating(psprintf("UPDATE %s SET created_at = $2"
								   " WHERE builtin AND created_at OPERATOR(pg_catalog.=) $1",
								   table),
						  2, argtypes, values, NULL);
		if (strcmp(has_updated, "t") == 0)
			(void) run_dating(psprintf("UPDATE %s SET updated_at = $2"
									   " WHERE builtin AND updated_at OPERATOR(pg_catalog.=) $1",
									   table),
							  2, argtypes, values, NULL);
	}
}

/*
 * plystra._date_builtin_rows(rel regclass, migration text, ids bigint[])
 * returns bigint: the number of rows dated.
 *
 * Dates the built-in rows of rel (those with an id in ids; all of them when
 * ids is null) with the time migration was applied, as the update to 1.2
 * does for rows that older versions stamped with the time of the
 * transaction that installed them.  Scripts of plystra only.
 */
Datum
plystra_date_builtin_rows_sql(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *migration;
	char	   *table;
	Oid			argtypes[2] = {TEXTOID, INT8ARRAYOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	uint64		n;

	plystra_require_own_script("plystra._date_builtin_rows()");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and migration must not be null")));
	relid = PG_GETARG_OID(0);
	migration = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (get_rel_relkind(relid) != RELKIND_RELATION ||
		get_rel_namespace(relid) != get_namespace_oid(PLYSTRA_DATA_SCHEMA, false) ||
		get_attnum(relid, "builtin") == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table of built-in rows",
						get_rel_name(relid) ? get_rel_name(relid) : "?")));
	table = quote_qualified_identifier(PLYSTRA_DATA_SCHEMA, get_rel_name(relid));

	values[0] = CStringGetTextDatum(migration);
	if (PG_ARGISNULL(2))
		nulls[1] = 'n';
	else
		values[1] = PG_GETARG_DATUM(2);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plystra_history_checksum(PLYSTRA_COMPONENT, migration) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PLYSTRA_MIGRATION_HISTORY),
				 errmsg("migration \"%s\" is not recorded in the history", migration)));
	n = run_dating(psprintf("UPDATE %s t SET created_at = h.applied_at%s"
							"  FROM plystra_data.schema_migrations h"
							" WHERE h.component OPERATOR(pg_catalog.=) 'plystra'"
							"   AND h.name OPERATOR(pg_catalog.=) $1"
							"   AND t.builtin"
							"   AND ($2 IS NULL OR t.id OPERATOR(pg_catalog.=) ANY ($2))",
							table,
							get_attnum(relid, "updated_at") != InvalidAttrNumber
							? ", updated_at = h.applied_at" : ""),
				   2, argtypes, values, nulls);
	SPI_finish();
	PG_RETURN_INT64((int64) n);
}
