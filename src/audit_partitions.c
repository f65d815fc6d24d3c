/*-------------------------------------------------------------------------
 *
 * audit_partitions.c
 *	  The time partitions of plystra_data.audit_logs: their settings, and
 *	  plystra.audit_maintain(), which makes them ahead of time and moves the
 *	  rows the default partition caught into their own.
 *
 * audit_logs is range-partitioned on created_at (migration 018).  Periods
 * are plystra.audit_partition_interval long (a whole number of days, weeks,
 * months or years; superuser setting, for partitions made from now on),
 * aligned in UTC: months on the first of a month (quarters and years on
 * January), days and weeks on Monday 2000-01-03.  A partition is named
 * audit_logs_pYYYYMMDD after the UTC day it starts; it has the primary key
 * on id and the four indexes of audit_logs, its row guards are clones of
 * audit_logs' own, and the DDL guard protects it as it is attached
 * (registry, TRUNCATE guard: append_only.c).
 *
 * audit_maintain() protects again a partition that lost its registry entry
 * or its TRUNCATE guard (pg_upgrade), and makes, for the period holding now
 * and the plystra.audit_partitions_ahead periods after it, the partitions
 * that do not exist yet.  A row whose partition did not exist when it was written
 * went to the default partition; for each period such rows lie in it makes
 * the partition and moves them there in the same transaction: deleted from
 * the default partition through the append-only guard's door, inserted into
 * the new table before it is attached, which the DDL guard lets through for
 * that table alone.  Where the interval changed, a period partly covered by
 * existing partitions gets a partition for the part that is not, unless
 * that part is over already.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/audit_partitions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgtime.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "plystra.h"

/* plystra.audit_partition_interval, as set, and as months or days */
static char *partition_interval_setting = NULL;
static int	interval_months = 1;
static int	interval_days = 0;

/* plystra.audit_partitions_ahead */
static int	partitions_ahead = 3;

/* Monday 2000-01-03 00:00 UTC: where periods of days and weeks start */
#define DAY_PERIODS_ORIGIN	((TimestampTz) 2 * USECS_PER_DAY)

/* The indexes every partition has besides its primary key: name suffix, columns */
static const char *const partition_indexes[][2] = {
	{"created_at_idx", "created_at"},
	{"actor_user_id_created_at_idx", "actor_user_id, created_at"},
	{"target_type_target_id_created_at_idx", "target_type, target_id, created_at"},
	{"event_type_created_at_idx", "event_type, created_at"},
};

/*
 * "N day(s)", "N week(s)", "N month(s)" or "N year(s)", N from 1 to 1000:
 * the periods partitions can be aligned to.
 */
static bool
parse_partition_interval(const char *value, int *months, int *days)
{
	int			n;
	char		unit[16];
	char		extra;

	if (sscanf(value, " %d %15s %c", &n, unit, &extra) != 2 || n < 1 || n > 1000)
		return false;
	if (strcmp(unit, "day") == 0 || strcmp(unit, "days") == 0)
		*months = 0, *days = n;
	else if (strcmp(unit, "week") == 0 || strcmp(unit, "weeks") == 0)
		*months = 0, *days = 7 * n;
	else if (strcmp(unit, "month") == 0 || strcmp(unit, "months") == 0)
		*months = n, *days = 0;
	else if (strcmp(unit, "year") == 0 || strcmp(unit, "years") == 0)
		*months = 12 * n, *days = 0;
	else
		return false;
	return true;
}

static bool
check_partition_interval(char **newval, void **extra, GucSource source)
{
	int			months;
	int			days;

	if (*newval == NULL || !parse_partition_interval(*newval, &months, &days))
	{
		GUC_check_errdetail("The interval is a whole number of days, weeks, months or years, such as \"1 month\" or \"7 days\", from 1 to 1000.");
		return false;
	}
	return true;
}

static void
assign_partition_interval(const char *newval, void *extra)
{
	int			months;
	int			days;

	if (newval != NULL && parse_partition_interval(newval, &months, &days))
	{
		interval_months = months;
		interval_days = days;
	}
}

/* Called from _PG_init(). */
void
plystra_define_audit_partition_settings(void)
{
	DefineCustomStringVariable("plystra.audit_partition_interval",
							   "Length of the time partitions of the audit log that plystra.audit_maintain() makes.",
							   "A whole number of days, weeks, months or years; partitions already made keep their bounds.",
							   &partition_interval_setting,
							   "1 month",
							   PGC_SUSET,
							   0,
							   check_partition_interval, assign_partition_interval, NULL);
	DefineCustomIntVariable("plystra.audit_partitions_ahead",
							"How many partitions of the audit log plystra.audit_maintain() keeps ready after the current one.",
							NULL,
							&partitions_ahead,
							3,
							0, 120,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);
}

/* a / b rounded down, for a possibly negative a */
static int64
floor_div(int64 a, int64 b)
{
	return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

/* The UTC time of the first day of month m, counted from January 1970. */
static TimestampTz
month_start(int64 m)
{
	struct pg_tm tm;
	TimestampTz result;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 1970 + (int) floor_div(m, 12);
	tm.tm_mon = (int) (m - floor_div(m, 12) * 12) + 1;
	tm.tm_mday = 1;
	if (tm2timestamp(&tm, 0, NULL, &result) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

/*
 * The start of the period t lies in, and of the next one (the seals of the
 * audit log use the same periods).
 */
void
plystra_audit_period(TimestampTz t, TimestampTz *start, TimestampTz *next)
{
	if (interval_months > 0)
	{
		struct pg_tm tm;
		fsec_t		fsec;
		int64		m;

		if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		m = (int64) (tm.tm_year - 1970) * 12 + tm.tm_mon - 1;
		m = floor_div(m, interval_months) * interval_months;
		*start = month_start(m);
		*next = month_start(m + interval_months);
	}
	else
	{
		int64		period = (int64) interval_days * USECS_PER_DAY;

		*start = DAY_PERIODS_ORIGIN + floor_div(t - DAY_PERIODS_ORIGIN, period) * period;
		*next = *start + period;
	}
}

/* A ranged partition of audit_logs: [lower, upper), MINVALUE and MAXVALUE as -/+infinity */
typedef struct PartitionRange
{
	Oid			relid;
	TimestampTz lower;
	TimestampTz upper;
} PartitionRange;

static TimestampTz
range_datum(PartitionRangeDatum *datum)
{
	if (datum->kind == PARTITION_RANGE_DATUM_MINVALUE)
		return DT_NOBEGIN;
	if (datum->kind == PARTITION_RANGE_DATUM_MAXVALUE)
		return DT_NOEND;
	return DatumGetTimestampTz(castNode(Const, datum->value)->constvalue);
}

/*
 * The ranged partitions of parentid, and its default partition (or
 * InvalidOid) in *defaultid.
 */
static List *
partition_ranges(Oid parentid, Oid *defaultid)
{
	List	   *ranges = NIL;
	ListCell   *lc;

	*defaultid = InvalidOid;
	foreach(lc, find_inheritance_children(parentid, NoLock))
	{
		Oid			relid = lfirst_oid(lc);
		HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		Datum		datum;
		bool		isnull;
		PartitionBoundSpec *spec;

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for relation %u", relid);
		datum = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_relpartbound, &isnull);
		if (isnull)
			elog(ERROR, "partition %u has no bound", relid);
		spec = castNode(PartitionBoundSpec, stringToNode(TextDatumGetCString(datum)));
		ReleaseSysCache(tuple);
		if (spec->is_default)
			*defaultid = relid;
		else
		{
			PartitionRange *range = palloc(sizeof(PartitionRange));

			range->relid = relid;
			range->lower = range_datum(linitial(spec->lowerdatums));
			range->upper = range_datum(linitial(spec->upperdatums));
			ranges = lappend(ranges, range);
		}
	}
	return ranges;
}

/*
 * The first part of [from, to) no partition in ranges covers, as [*a, *b);
 * false when they cover all of it.
 */
static bool
first_gap(List *ranges, TimestampTz from, TimestampTz to,
		  TimestampTz *a, TimestampTz *b)
{
	bool		moved = true;
	ListCell   *lc;

	/* skip what the partitions cover from the start */
	while (moved && from < to)
	{
		moved = false;
		foreach(lc, ranges)
		{
			PartitionRange *r = lfirst(lc);

			if (r->lower <= from && from < r->upper)
			{
				from = r->upper;
				moved = true;
			}
		}
	}
	if (from >= to)
		return false;
	/* the gap ends where the next partition starts, or at to */
	*a = from;
	*b = to;
	foreach(lc, ranges)
	{
		PartitionRange *r = lfirst(lc);

		if (r->lower > from && r->lower < *b)
			*b = r->lower;
	}
	return true;
}

/* The UTC day a time falls on, as YYYYMMDD. */
static char *
utc_day(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return psprintf("%04d%02d%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
}

/* A time as an expression PostgreSQL reads the same in any session. */
static char *
time_literal(TimestampTz t)
{
	return psprintf("pg_catalog.to_timestamp(%lld::pg_catalog.float8 / 1000000)",
					(long long) (t + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY));
}

static void
run(const char *sql, int expected)
{
	int			ret = SPI_execute(sql, false, 0);

	if (ret != expected)
		elog(ERROR, "%s: %s", sql, SPI_result_code_string(ret));
}

/*
 * Make the partition [a, b) of audit_logs, moving into it the rows of the
 * default partition in that range.  As the storage owner, connected to
 * SPI.  Returns how many rows it moved.
 */
static uint64
make_partition(Oid parentid, Oid defaultid, TimestampTz a, TimestampTz b,
			   char **name)
{
	char	   *relname = psprintf("audit_logs_p%s", utc_day(a));
	char	   *qualname = quote_qualified_identifier(PLYSTRA_DATA_SCHEMA, relname);
	Oid			nspoid = get_rel_namespace(parentid);
	Oid			relid;
	uint64		moved = 0;
	int			i;

	if (OidIsValid(get_relname_relid(relname, nspoid)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s already exists but is not a partition of the audit log", qualname),
				 errdetail("plystra.audit_maintain() names the partition starting on that day so."),
				 errhint("Rename or drop that table, then run plystra.audit_maintain() again.")));

	run(psprintf("CREATE TABLE %s (LIKE plystra_data.audit_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
				 qualname), SPI_OK_UTILITY);
	run(psprintf("ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY (id)",
				 qualname, quote_identifier(psprintf("%s_pkey", relname))), SPI_OK_UTILITY);
	for (i = 0; i < lengthof(partition_indexes); i++)
		run(psprintf("CREATE INDEX %s ON %s (%s)",
					 quote_identifier(psprintf("%s_%s", relname, partition_indexes[i][0])),
					 qualname, partition_indexes[i][1]), SPI_OK_UTILITY);
	run(psprintf("COMMENT ON TABLE %s IS %s", qualname,
				 quote_literal_cstr(psprintf("Partition of the audit trail: rows from %s to %s (UTC)",
											 utc_day(a), utc_day(b)))),
		SPI_OK_UTILITY);
	relid = get_relname_relid(relname, nspoid);

	/* the rows the default partition caught for this range */
	if (OidIsValid(defaultid))
	{
		PlystraDoor saved = plystra_door_open(defaultid, DT_NOEND);

		PG_TRY();
		{
			run(psprintf("WITH moved AS (DELETE FROM ONLY plystra_data.audit_logs_default"
						 " WHERE created_at OPERATOR(pg_catalog.>=) %s"
						 "   AND created_at OPERATOR(pg_catalog.<) %s RETURNING *)"
						 " INSERT INTO %s SELECT * FROM moved",
						 time_literal(a), time_literal(b), qualname),
				SPI_OK_INSERT);
			moved = SPI_processed;
		}
		PG_FINALLY();
		{
			plystra_door_restore(saved);
		}
		PG_END_TRY();
	}

	{
		Oid			saved = plystra_attach_door_open(relid);

		PG_TRY();
		{
			run(psprintf("ALTER TABLE plystra_data.audit_logs ATTACH PARTITION %s"
						 " FOR VALUES FROM (%s) TO (%s)",
						 qualname, time_literal(a), time_literal(b)),
				SPI_OK_UTILITY);
		}
		PG_FINALLY();
		{
			plystra_attach_door_restore(saved);
		}
		PG_END_TRY();
	}

	/* the DDL guard protects it at ddl_command_end; if it stood aside, here */
	if (!plystra_is_append_only(relid) || !plystra_has_truncate_guard(relid))
		plystra_protect_audit_partition(relid, parentid);

	*name = qualname;
	return moved;
}

/*
 * plystra.audit_maintain() returns table (partition regclass, from_time
 * timestamptz, to_time timestamptz, rows_moved bigint)
 *
 * One row per partition it made.
 */
PG_FUNCTION_INFO_V1(plystra_audit_maintain);

typedef struct MaintainState
{
	Tuplestorestate *store;
	TupleDesc	desc;
} MaintainState;

static void
report(MaintainState *state, const char *name, TimestampTz a, TimestampTz b, uint64 moved)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	values[0] = DirectFunctionCall1(regclassin, CStringGetDatum(name));
	values[1] = TimestampTzGetDatum(a);
	values[2] = TimestampTzGetDatum(b);
	values[3] = Int64GetDatum((int64) moved);
	tuplestore_putvalues(state->store, state->desc, values, nulls);
}

/*
 * A range within an hour of now may take rows of statements under way: a
 * row is placed in its partition (here: the default one) before it is
 * written, and one placed before the partition for its time is attached
 * would then no longer fit the default partition, and be refused.
 */
#define HOT_MARGIN		((TimestampTz) USECS_PER_HOUR)

static bool
hot_range(TimestampTz a, TimestampTz b, TimestampTz now)
{
	return a <= now + HOT_MARGIN && b > now - HOT_MARGIN;
}

/*
 * Try to take lockmode on relid for up to 5 s without queueing: a waiting
 * lock request would stop every writer and reader behind it.
 */
static bool
lock_without_queueing(Oid relid, LOCKMODE lockmode)
{
	int			i;

	for (i = 0; i < 500; i++)
	{
		if (ConditionalLockRelationOid(relid, lockmode))
			return true;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(10000L);
	}
	return false;
}

/* Add [a, b) to the plan and to the ranges it is planned against. */
static List *
plan_range(List *plan, List **ranges, TimestampTz a, TimestampTz b)
{
	PartitionRange *r = palloc(sizeof(PartitionRange));

	r->relid = InvalidOid;
	r->lower = a;
	r->upper = b;
	*ranges = lappend(*ranges, r);
	return lappend(plan, r);
}

/*
 * The work of audit_maintain(), also run by audit_purge(); state NULL when
 * nobody reads the rows.  Returns how many partitions it made.
 *
 * It plans first, then locks, then makes the partitions.  audit_logs is
 * locked against other maintenance only (ATTACH's own lock: INSERTs and
 * reads go on); the default partition exclusively, as ATTACH needs it; and
 * when a partition for the time around now is to be made (a new install,
 * maintenance that lapsed), audit_logs against writers too, so that no
 * statement places a row in the default partition that the new partition
 * would then take from it.  Those two locks are taken without queueing
 * behind open transactions (which would stop every write behind them):
 * when one cannot be had within 5 s, what needs it waits for the next run
 * (a NOTICE says so), and rows keep going to the default partition.
 */
int
plystra_maintain_audit_partitions(void *arg)
{
	MaintainState *state = (MaintainState *) arg;
	Oid			parentid = plystra_audit_logs_relid();
	Oid			defaultid;
	List	   *ranges;
	List	   *plan = NIL;
	ListCell   *lc;
	StorageOwnerContext ctx;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz start;
	TimestampTz next;
	TimestampTz until;
	TimestampTz a;
	TimestampTz b;
	bool		hot = false;
	int			made = 0;
	int			i;

	if (!OidIsValid(parentid) || get_rel_relkind(parentid) != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("plystra_data.audit_logs is not partitioned"),
				 errhint("Update the extension: ALTER EXTENSION plystra UPDATE.")));

	/* one maintenance at a time; then the partitions as they are */
	LockRelationOid(parentid, ShareUpdateExclusiveLock);
	ranges = partition_ranges(parentid, &defaultid);

	/*
	 * A partition that lost its protection where SQL does not reach (the
	 * internal TRUNCATE guards are catalog entries pg_upgrade's dump does
	 * not carry) gets it again, and the NOTICE says so.
	 */
	foreach(lc, find_inheritance_children(parentid, NoLock))
	{
		Oid			relid = lfirst_oid(lc);

		if (plystra_is_append_only(relid) && plystra_has_truncate_guard(relid))
			continue;
		plystra_protect_audit_partition(relid, parentid);
		ereport(NOTICE,
				(errmsg("partition %s of the audit log is protected again",
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												   get_rel_name(relid))),
				 errdetail("It was not registered as append-only, or had no TRUNCATE guard firing always.")));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);

	/* rows the default partition caught: a partition for each one's period */
	if (OidIsValid(defaultid))
	{
		TimestampTz cursor = DT_NOBEGIN;

		for (;;)
		{
			Oid			argtypes[1] = {TIMESTAMPTZOID};
			Datum		values[1] = {TimestampTzGetDatum(cursor)};
			bool		isnull;
			TimestampTz t;

			if (SPI_execute_with_args("SELECT pg_catalog.min(created_at) FROM ONLY plystra_data.audit_logs_default"
									  " WHERE created_at OPERATOR(pg_catalog.>=) $1"
									  "   AND pg_catalog.isfinite(created_at)",
									  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
				elog(ERROR, "could not read the default partition of the audit log");
			t = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			if (isnull)
				break;
			plystra_audit_period(t, &start, &next);
			/* the part of its period no partition covers that holds it */
			a = start;
			while (first_gap(ranges, a, next, &a, &b) && b <= t)
				a = b;
			if (a > t || b <= t)
				elog(ERROR, "no gap holds an audit row of the default partition");
			plan = plan_range(plan, &ranges, a, b);
			cursor = b;
		}
	}

	/* the current period and those ahead; a gap wholly in the past takes no row */
	plystra_audit_period(now, &start, &next);
	until = next;
	for (i = 0; i < partitions_ahead; i++)
	{
		TimestampTz s;

		plystra_audit_period(until, &s, &until);
	}
	while (first_gap(ranges, start, until, &a, &b))
	{
		TimestampTz ps;
		TimestampTz pn;

		/* one partition per period at most */
		plystra_audit_period(a, &ps, &pn);
		if (b > pn)
			b = pn;
		if (b > now)
			plan = plan_range(plan, &ranges, a, b);
		start = b;
	}

	foreach(lc, plan)
	{
		PartitionRange *r = lfirst(lc);

		if (hot_range(r->lower, r->upper, now))
			hot = true;
	}
	if (hot && !lock_without_queueing(parentid, ShareRowExclusiveLock))
	{
		List	   *cold = NIL;

		ereport(NOTICE,
				(errmsg("the partition of the audit log for the current time waits for the next maintenance"),
				 errdetail("Transactions writing audit rows stayed open for 5 s; until it is made, rows of this time go to the default partition.")));
		foreach(lc, plan)
		{
			PartitionRange *r = lfirst(lc);

			if (!hot_range(r->lower, r->upper, now))
				cold = lappend(cold, r);
		}
		plan = cold;
	}
	if (plan != NIL && OidIsValid(defaultid) &&
		!lock_without_queueing(defaultid, AccessExclusiveLock))
	{
		ereport(NOTICE,
				(errmsg("the partitions of the audit log wait for the next maintenance"),
				 errdetail("Queries kept the default partition of the audit log in use for 5 s.")));
		plan = NIL;
	}

	foreach(lc, plan)
	{
		PartitionRange *r = lfirst(lc);
		char	   *name;
		uint64		moved;

		moved = make_partition(parentid, defaultid, r->lower, r->upper, &name);
		if (state != NULL)
			report(state, name, r->lower, r->upper, moved);
		made++;
	}

	plystra_restore_user(&ctx);
	SPI_finish();
	return made;
}

Datum
plystra_audit_maintain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MaintainState state;

	InitMaterializedSRF(fcinfo, 0);
	state.store = rsinfo->setResult;
	state.desc = rsinfo->setDesc;
	(void) plystra_maintain_audit_partitions(&state);
	return (Datum) 0;
}

/*
 * plystra.audit_partitions() returns table (partition regclass, from_time
 * timestamptz, to_time timestamptz, is_default boolean)
 *
 * The partitions of the audit log and their bounds (NULL: unbounded), in
 * order of time, the default partition last.
 */
PG_FUNCTION_INFO_V1(plystra_audit_partitions);

static int
partition_range_cmp(const ListCell *a, const ListCell *b)
{
	PartitionRange *ra = lfirst(a);
	PartitionRange *rb = lfirst(b);

	return ra->lower < rb->lower ? -1 : ra->lower > rb->lower ? 1 : 0;
}

Datum
plystra_audit_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			parentid = plystra_audit_logs_relid();
	Oid			defaultid;
	List	   *ranges;
	ListCell   *lc;
	Datum		values[4];
	bool		nulls[4];

	InitMaterializedSRF(fcinfo, 0);
	if (!OidIsValid(parentid) || get_rel_relkind(parentid) != RELKIND_PARTITIONED_TABLE)
		return (Datum) 0;
	LockRelationOid(parentid, AccessShareLock);
	ranges = partition_ranges(parentid, &defaultid);
	list_sort(ranges, partition_range_cmp);
	foreach(lc, ranges)
	{
		PartitionRange *r = lfirst(lc);

		values[0] = ObjectIdGetDatum(r->relid);
		values[1] = TimestampTzGetDatum(r->lower);
		values[2] = TimestampTzGetDatum(r->upper);
		values[3] = BoolGetDatum(false);
		nulls[0] = false;
		nulls[1] = TIMESTAMP_IS_NOBEGIN(r->lower);
		nulls[2] = TIMESTAMP_IS_NOEND(r->upper);
		nulls[3] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (OidIsValid(defaultid))
	{
		values[0] = ObjectIdGetDatum(defaultid);
		values[3] = BoolGetDatum(true);
		nulls[0] = false;
		nulls[1] = true;
		nulls[2] = true;
		nulls[3] = false;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * audit_purge()'s part: drop every partition of the audit log that lies
 * wholly before cutoff (its upper bound at or before it), in time
 * independent of its rows.  Each one's registry entry goes through the
 * registry's door, then the table; PostgreSQL locks audit_logs exclusively
 * to drop a partition, a lock taken here first without queueing for up to
 * 5 s, then waited for (plystra's lock_timeout, or the session's, bounds
 * the wait).  The names of the partitions dropped are appended to names,
 * and the rows they held, as the statistics count them (pg_class.reltuples:
 * exact after VACUUM), added to *rows.  Returns how many it dropped.
 */
int
plystra_drop_audit_partitions(TimestampTz cutoff, PlystraMayDrop may_drop, void *arg,
							  StringInfoData *names, int64 *rows)
{
	Oid			parentid = plystra_audit_logs_relid();
	Oid			defaultid;
	Oid			registry;
	List	   *ranges;
	List	   *old = NIL;
	ListCell   *lc;
	StorageOwnerContext ctx;
	int			dropped = 0;

	if (!OidIsValid(parentid) || get_rel_relkind(parentid) != RELKIND_PARTITIONED_TABLE)
		return 0;
	ranges = partition_ranges(parentid, &defaultid);
	list_sort(ranges, partition_range_cmp);
	foreach(lc, ranges)
	{
		PartitionRange *r = lfirst(lc);

		if (!TIMESTAMP_IS_NOEND(r->upper) && r->upper <= cutoff &&
			(may_drop == NULL || may_drop(r->relid, r->lower, r->upper, arg)))
			old = lappend(old, r);
	}
	if (old == NIL)
		return 0;

	if (!lock_without_queueing(parentid, AccessExclusiveLock))
		LockRelationOid(parentid, AccessExclusiveLock);

	registry = get_relname_relid("append_only_relations", get_rel_namespace(parentid));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plystra_become_storage_owner(&ctx);
	foreach(lc, old)
	{
		PartitionRange *r = lfirst(lc);
		char	   *qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(r->relid)),
														  get_rel_name(r->relid));
		HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(r->relid));
		Oid			argtypes[1] = {OIDOID};
		Datum		values[1] = {ObjectIdGetDatum(r->relid)};
		PlystraDoor saved;
		float4		reltuples;

		if (!HeapTupleIsValid(tuple))
			elog(ERROR, "cache lookup failed for relation %u", r->relid);
		reltuples = ((Form_pg_class) GETSTRUCT(tuple))->reltuples;
		ReleaseSysCache(tuple);
		/* never analyzed (a young partition): counted */
		if (reltuples < 0)
		{
			bool		isnull;

			run(psprintf("SELECT pg_catalog.count(*) FROM ONLY %s", qualname), SPI_OK_SELECT);
			*rows += DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, 1, &isnull));
		}
		else
			*rows += (int64) reltuples;

		saved = plystra_door_open(registry, DT_NOEND);
		PG_TRY();
		{
			if (SPI_execute_with_args("DELETE FROM plystra_data.append_only_relations"
									  " WHERE relation OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
									  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
				elog(ERROR, "could not update the append-only registry");
		}
		PG_FINALLY();
		{
			plystra_door_restore(saved);
		}
		PG_END_TRY();
		run(psprintf("DROP TABLE %s", qualname), SPI_OK_UTILITY);
		appendStringInfo(names, "%s%s", names->len > 0 ? ", " : "", qualname);
		dropped++;
	}
	plystra_restore_user(&ctx);
	SPI_finish();
	return dropped;
}
