/*-------------------------------------------------------------------------
 *
 * door.c
 *	  What the guards let through: the door of the sanctioned maintenance
 *	  functions, the extension's own writes, the audit partition the
 *	  extension attaches with rows, and whether a migration ran in the
 *	  current transaction.
 *
 * The row guards refuse changes to append-only tables and writes to the
 * migration history and to reserved audit rows; the extension itself must
 * still write them.  Each permission is a backend-local state set for the
 * duration of one statement of the extension's own and restored afterwards
 * (callers save the previous state and put it back, so that nested use is
 * safe), or, for "a migration ran", kept until the transaction ends.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/door.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/partition.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "plystra.h"

/*
 * The relation whose door is open, if any, and the time before which a
 * row's created_at must lie for it to pass (DT_NOEND: any row).  The cutoff
 * keeps deletes nested in the sanctioned one (a trigger it sets off) from
 * removing anything the sanctioned DELETE itself would not.
 */
static PlystraDoor door = {InvalidOid, DT_NOEND};

/*
 * The one row the extension is writing into the history or the audit log,
 * named by its key (history: "component/name"; audit: the event type and
 * target, see plystra_audit()), or NULL.  The guard of the table lets that
 * row through once, and nothing else: not code that runs inside the
 * extension's own INSERT (a CHECK constraint or a default calling a
 * function), which could otherwise write rows of its own with it.
 */
static const char *own_write_key = NULL;

/*
 * The partition of the audit log that plystra.audit_maintain() is
 * attaching with the rows it has just moved into it, or InvalidOid: the
 * one table with rows the DDL guard lets be attached to audit_logs.
 */
static Oid	attaching_partition = InvalidOid;

/* true while one of the extension's own migrations is applied and recorded */
static bool builtin_running = false;

/* a migration script ran in this transaction (reset at its end) */
static bool migration_in_xact = false;

PlystraDoor
plystra_door_open(Oid relid, TimestampTz cutoff)
{
	PlystraDoor saved = door;

	door.relid = relid;
	door.cutoff = cutoff;
	return saved;
}

void
plystra_door_restore(PlystraDoor saved)
{
	door = saved;
}

/*
 * May this row of rel pass the append-only guard?  Only when the door is
 * open for rel and the row's created_at (when the door has a cutoff) lies
 * before the cutoff.
 */
bool
plystra_door_lets_through(Oid relid, TimestampTz created_at, bool created_isnull)
{
	if (!OidIsValid(door.relid))
		return false;
	/* a partition's rows pass through its partitioned table's door */
	if (door.relid != relid &&
		!(get_rel_relispartition(relid) &&
		  list_member_oid(get_partition_ancestors(relid), door.relid)))
		return false;
	if (door.cutoff == DT_NOEND)
		return true;
	return !created_isnull && created_at < door.cutoff;
}

bool
plystra_door_has_cutoff(void)
{
	return OidIsValid(door.relid) && door.cutoff != DT_NOEND;
}

const char *
plystra_own_write_begin(const char *key)
{
	const char *saved = own_write_key;

	own_write_key = key;
	return saved;
}

void
plystra_own_write_end(const char *saved)
{
	own_write_key = saved;
}

/*
 * Is this row, named by key, the one the extension is writing?  A match
 * uses the permission up.
 */
bool
plystra_own_write_claim(const char *key)
{
	if (own_write_key == NULL || key == NULL || strcmp(own_write_key, key) != 0)
		return false;
	own_write_key = NULL;
	return true;
}

bool
plystra_builtin_begin(void)
{
	bool		saved = builtin_running;

	builtin_running = true;
	return saved;
}

void
plystra_builtin_end(bool saved)
{
	builtin_running = saved;
}

/*
 * The row guards let the extension's own migrations through, and nothing
 * else: not other code that happens to run while plystra's script does.
 */
bool
plystra_in_builtin_migration(void)
{
	return builtin_running && plystra_in_own_script();
}

void
plystra_note_migration_in_xact(void)
{
	migration_in_xact = true;
}

/*
 * Did a migration run in this transaction?  Code it planted (a deferred
 * constraint trigger, say) may still run before the transaction commits,
 * so the history and reserved audit rows stay closed to everything but the
 * extension's own writes until it ends.
 */
bool
plystra_migration_in_xact(void)
{
	return migration_in_xact;
}

Oid
plystra_attach_door_open(Oid relid)
{
	Oid			saved = attaching_partition;

	attaching_partition = relid;
	return saved;
}

void
plystra_attach_door_restore(Oid saved)
{
	attaching_partition = saved;
}

/* Is relid the partition the extension is attaching, rows and all? */
bool
plystra_attach_door_lets_through(Oid relid)
{
	return OidIsValid(attaching_partition) && attaching_partition == relid;
}

/* transaction end: forget everything that lasts for a transaction */
void
plystra_door_reset(void)
{
	attaching_partition = InvalidOid;
	door.relid = InvalidOid;
	door.cutoff = DT_NOEND;
	own_write_key = NULL;
	builtin_running = false;
	migration_in_xact = false;
}
