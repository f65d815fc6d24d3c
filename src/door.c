/*-------------------------------------------------------------------------
 *
 * door.c
 *	  What the guards let through: the door of the sanctioned maintenance
 *	  functions, the extension's own writes, and whether a migration ran in
 *	  the current transaction.
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
#include "utils/timestamp.h"

#include "plystra.h"

/*
 * The relation whose door is open, if any, and the time before which a
 * row's created_at must lie for it to pass (DT_NOEND: any row).  The cutoff
 * keeps deletes nested in the sanctioned one (a trigger it sets off) from
 * removing anything the sanctioned DELETE itself would not.
 */
static PlystraDoor door = {InvalidOid, DT_NOEND};

/* true while the extension writes a history or audit row of its own */
static bool own_write = false;

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
	if (!OidIsValid(door.relid) || door.relid != relid)
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

bool
plystra_own_write_begin(void)
{
	bool		saved = own_write;

	own_write = true;
	return saved;
}

void
plystra_own_write_end(bool saved)
{
	own_write = saved;
}

bool
plystra_own_write(void)
{
	return own_write;
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

/* transaction end: forget everything that lasts for a transaction */
void
plystra_door_reset(void)
{
	door.relid = InvalidOid;
	door.cutoff = DT_NOEND;
	own_write = false;
	builtin_running = false;
	migration_in_xact = false;
}
