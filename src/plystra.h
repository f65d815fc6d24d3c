/*-------------------------------------------------------------------------
 *
 * plystra.h
 *	  Declarations shared by the C files of the plystra extension, one
 *	  section per file.
 *
 * Copyright (c) 2026, Plystra developers
 *
 * IDENTIFICATION
 *	  src/plystra.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PLYSTRA_H
#define PLYSTRA_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARDATA_ANY and friends, out of postgres.h in 16 */
#endif

#include "plystra_shared.h"	/* checksum.c, names.c: also in plystractl */

#if PG_VERSION_NUM < 130000
#error "plystra requires PostgreSQL 13 or later"
#endif

/* Names fixed by the public contract. */
#define PLYSTRA_EXTENSION_NAME	"plystra"
#define PLYSTRA_SCHEMA			"plystra"
#define PLYSTRA_DATA_SCHEMA		"plystra_data"

/* The role that owns the interface views (row_security.c). */
#define PLYSTRA_INTERFACE_ROLE	"plystra_interface"

/*
 * SQLSTATEs of plystra's own conditions, class PY.  Conditions that a
 * standard SQLSTATE describes well use that instead.
 */
#define ERRCODE_PLYSTRA_CHECKSUM_MISMATCH	MAKE_SQLSTATE('P','Y','0','0','1')
#define ERRCODE_PLYSTRA_MIGRATION_ORDER		MAKE_SQLSTATE('P','Y','0','0','2')
#define ERRCODE_PLYSTRA_INVALID_MIGRATION_NAME	MAKE_SQLSTATE('P','Y','0','0','3')
#define ERRCODE_PLYSTRA_EMPTY_MIGRATION		MAKE_SQLSTATE('P','Y','0','0','4')
#define ERRCODE_PLYSTRA_MIGRATION_HISTORY	MAKE_SQLSTATE('P','Y','0','0','5')
#define ERRCODE_PLYSTRA_APPEND_ONLY			MAKE_SQLSTATE('P','Y','0','1','0')
#define ERRCODE_PLYSTRA_BUILTIN_ROW			MAKE_SQLSTATE('P','Y','0','1','1')
#define ERRCODE_PLYSTRA_RETENTION			MAKE_SQLSTATE('P','Y','0','1','2')
#define ERRCODE_PLYSTRA_RESERVED_EVENT		MAKE_SQLSTATE('P','Y','0','1','3')
#define ERRCODE_PLYSTRA_ROW_POLICY			MAKE_SQLSTATE('P','Y','0','1','4')
#define ERRCODE_PLYSTRA_DROP_DATA			MAKE_SQLSTATE('P','Y','0','2','0')
#define ERRCODE_PLYSTRA_EXTENSION_OBJECT	MAKE_SQLSTATE('P','Y','0','2','1')
#define ERRCODE_PLYSTRA_RESTORE_CONFLICT	MAKE_SQLSTATE('P','Y','0','3','1')

/* One migration shipped with the extension (see ext/assemble.sh). */
typedef struct BuiltinMigration
{
	const char *name;			/* e.g. "001_finance_demo" */
	const char *version;		/* extension version that ships it */
	const char *checksum;		/* "sha256:<hex>" of the shipped bytes */
} BuiltinMigration;

/* One script of the extension this library was built with (ext/assemble.sh). */
typedef struct BuiltScript
{
	const char *file;			/* e.g. "plystra--1.1--1.2.sql" */
	const char *checksum;		/* "sha256:<hex>" of its bytes */
} BuiltScript;

struct FunctionCallInfoBaseData;
struct TriggerData;
struct Trigger;
struct EventTriggerData;
struct RelationData;
struct HeapTupleData;
struct _SPI_plan;
struct AlterTableCmd;

/* calls.c: how a function was called */
#define PLYSTRA_ON_INSERT		(1 << 0)
#define PLYSTRA_ON_UPDATE		(1 << 1)
#define PLYSTRA_ON_DELETE		(1 << 2)
#define PLYSTRA_ON_TRUNCATE		(1 << 3)

extern struct TriggerData *plystra_trigger_call(struct FunctionCallInfoBaseData *fcinfo,
												const char *fname, uint32 timing,
												int ops);
extern struct EventTriggerData *plystra_event_trigger_call(struct FunctionCallInfoBaseData *fcinfo,
														   const char *fname,
														   const char *event);
extern bool plystra_in_own_script(void);
extern void plystra_require_own_script(const char *function);

/* door.c: what the guards let through */
typedef struct PlystraDoor
{
	Oid			relid;			/* relation whose door is open, or invalid */
	TimestampTz cutoff;			/* rows created before it pass; DT_NOEND: all */
} PlystraDoor;

extern PlystraDoor plystra_door_open(Oid relid, TimestampTz cutoff);
extern void plystra_door_restore(PlystraDoor saved);
extern bool plystra_door_lets_through(Oid relid, TimestampTz created_at,
									  bool created_isnull);
extern bool plystra_door_has_cutoff(void);
extern const char *plystra_own_write_begin(const char *key);
extern void plystra_own_write_end(const char *saved);
extern bool plystra_own_write_claim(const char *key);
extern bool plystra_builtin_begin(void);
extern void plystra_builtin_end(bool saved);
extern bool plystra_in_builtin_migration(void);
extern void plystra_note_migration_in_xact(void);
extern bool plystra_migration_in_xact(void);
extern void plystra_door_reset(void);
extern Oid	plystra_attach_door_open(Oid relid);
extern void plystra_attach_door_restore(Oid saved);
extern bool plystra_attach_door_lets_through(Oid relid);

/* storage.c: acting as the owner of plystra_data */
typedef struct StorageOwnerContext
{
	Oid			save_userid;
	int			save_sec_context;
	Oid			save_acting_user;
} StorageOwnerContext;

extern bool plystra_storage_present(void);
extern bool plystra_is_storage_owner(void);
extern void plystra_become_storage_owner(StorageOwnerContext *ctx);
extern void plystra_become_storage_owner_unrestricted(StorageOwnerContext *ctx);
extern void plystra_restore_user(StorageOwnerContext *ctx);
extern Oid	plystra_acting_user(void);
extern void plystra_reset_acting_user(void);
extern Oid	plystra_storage_table(const char *name, const char *trigger);
extern struct Trigger *plystra_trigger_named(struct RelationData *rel, const char *name);
extern Oid *plystra_tables_with_trigger(const char *name, int *ntables);
extern Oid	plystra_audit_logs_relid(void);
extern Oid	plystra_partition_root(Oid relid);
#define PLYSTRA_MAX_PARENTS 4
extern int	plystra_parent_pairs(struct Trigger *trigger, const char *fname);
extern int	plystra_execute_as_owner(struct _SPI_plan **plan, const char *query,
									 int nargs, Oid *argtypes, Datum *values,
									 bool latest, long count);

/* plan_cache.c: the plans (and facts) the triggers keep per relation */
#define PLYSTRA_MAX_PLANS	16

typedef enum PlystraPlanKind
{
	PLYSTRA_PLANS_SOFT_DELETE,	/* soft_delete_trigger(): view, trigger */
	PLYSTRA_PLANS_LIVE_PARENT,	/* live_parent_check(): table, trigger */
	PLYSTRA_PLANS_PARENT_READS, /* parents_live_trigger(): table, trigger */
	PLYSTRA_PLANS_CASCADES,		/* parents_live cascade: parent table */
	PLYSTRA_PLANS_ENTITY_CASCADES,	/* cascading soft delete: parent table */
	PLYSTRA_PLANS_IDENTITY		/* server_id_guard(): table (no plan) */
} PlystraPlanKind;

typedef struct PlystraPlanSetKey
{
	int			kind;			/* PlystraPlanKind */
	Oid			a;
	Oid			b;
} PlystraPlanSetKey;

typedef struct PlystraPlanSet
{
	PlystraPlanSetKey key;		/* hash key */
	bool		valid;			/* false: empty, to be prepared */
	int			nplans;
	struct _SPI_plan *plans[PLYSTRA_MAX_PLANS];
	MemoryContext cxt;			/* what the user keeps with the plans */
	void	   *extra;			/* the user's, allocated in cxt */
	int			pins;			/* callers running its plans (re-entered) */
	struct List *retired;		/* plans invalidated while pinned */
} PlystraPlanSet;

extern PlystraPlanSet *plystra_plan_set(int kind, Oid a, Oid b);
extern void plystra_plan_set_pin(PlystraPlanSet *set);
extern void plystra_plan_set_unpin(PlystraPlanSet *set);
extern struct _SPI_plan *plystra_keep_plan(const char *query, int nargs,
										   Oid *argtypes);

/* cascade.c: the entities that belong to a deleted entity go with it */
extern const char *plystra_cascading_from(void);
extern void plystra_cascade_soft_delete(struct RelationData *parent, Datum id,
										bool deleted, Datum deleted_at);

/* acting.c: the acting context the application sets per transaction */
typedef struct PlystraActing
{
	const char *actor_user_id;	/* a positive bigint, as text */
	const char *request_id;
	const char *client_ip;		/* an inet, as text */
	const char *user_agent;
} PlystraActing;

extern void plystra_define_acting_settings(void);
extern void plystra_acting_context(PlystraActing *acting);

/* row_security.c: the interface views' owner, rows being soft-deleted */
extern void plystra_note_soft_delete(Oid relid, int64 id);
extern void plystra_forget_soft_delete(Oid relid, int64 id);

/* live_parents.c: the flag that hides relationships of deleted parents */
extern bool plystra_refreshing_parents_live(void);
extern void plystra_cascade_parents_live(struct RelationData *parent, Datum id);

/* script.c: running a migration script */
extern int	plystra_run_script(const char *what, const char *script);
extern bool plystra_migration_running(void);

/* history.c: the migration history */
extern char *plystra_migration_key(const char *component, const char *name);
extern char *plystra_history_checksum(const char *component, const char *name);
extern char *plystra_history_latest(const char *component);
extern TimestampTz plystra_history_applied_at(const char *component,
											  const char *name);
extern char *plystra_installed_version(void);
extern void plystra_history_record(const char *component, const char *name,
								   const char *checksum, TimestampTz started,
								   TimestampTz finished, const char *version,
								   const char *applied_by);
extern char *plystra_history_forget(const char *component, const char *name);
extern Oid	plystra_history_relid(void);

/* audit.c: the extension's own audit rows and their details, audit_purge() */
extern int	plystra_audit_min_retention;
extern int	plystra_audit_seal_max_age;
extern char *plystra_audit_row_key(const char *event_type, const char *target_id);
extern void plystra_audit(const char *event_type, const char *actor_role,
						  const char *target_type, const char *target_id,
						  struct StringInfoData *details);
extern void plystra_details_text(struct StringInfoData *details, const char *key,
								 const char *value);
extern void plystra_details_int(struct StringInfoData *details, const char *key,
								int64 value);
extern void plystra_details_time(struct StringInfoData *details, const char *key,
								 TimestampTz value);

/* audit_rows.c: the guard of audit rows */
extern bool plystra_reserved_event_type(text *event_type);

/* row_identity.c: ids are the server's */
extern void plystra_check_server_id(struct RelationData *rel,
									struct HeapTupleData *tuple);
extern int16 plystra_draw_server_id(struct RelationData *rel,
										 struct HeapTupleData *tuple, Datum *id);

/*
 * privileges.c: the privileges that allow LOCK TABLE in any mode, and so
 * could stop every write to an append-only table, are never left granted
 * on one (MAINTAIN exists from PostgreSQL 17 on)
 */
/*
 * The four columns plystra_lock_privileges_text() takes, aggregated over
 * the rows of aclexplode() "a" of one grantee
 */
#define PLYSTRA_LOCK_PRIVILEGES_HELD \
	"pg_catalog.bool_or(a.privilege_type OPERATOR(pg_catalog.=) 'UPDATE')," \
	"pg_catalog.bool_or(a.privilege_type OPERATOR(pg_catalog.=) 'DELETE')," \
	"pg_catalog.bool_or(a.privilege_type OPERATOR(pg_catalog.=) 'TRUNCATE')," \
	"pg_catalog.bool_or(a.privilege_type OPERATOR(pg_catalog.=) 'MAINTAIN')"
extern char *plystra_lock_privileges_text(bool update, bool delete,
										  bool truncate, bool maintain,
										  int *count);
extern void plystra_revoke_lock_grants(const char *qualname,
									   const char *grantees);
/* a GRANT the DDL guard collected (InternalGrant, utils/aclchk_internal.h) */
extern void plystra_check_grant(void *istmt);

/* registry.c: the append-only registry and the DDL guard's catalog queries */
extern bool plystra_allow_drop_data;
extern bool plystra_is_append_only(Oid relid);
extern bool plystra_schema_has_append_only(Oid nspoid);
extern bool plystra_role_owns_append_only(Oid roleid);
extern bool plystra_role_owns_extension(Oid roleid);
extern bool plystra_is_extension_schema(Oid nspoid);
extern bool plystra_is_guard_function(List *funcname);
extern bool plystra_type_used_by_append_only(Oid typoid);
extern bool plystra_lock_blocks_append_only(Oid relid);
extern void plystra_check_drop_extension(const char *command);
extern void plystra_check_touched_relations(List *relids);
extern void plystra_check_dropped_objects(void);

/* refusals.c: what the DDL guard refuses on an append-only table */
#if PG_VERSION_NUM >= 180000
pg_noreturn extern void plystra_refuse_append_only(const char *nspname, const char *relname,
												   const char *what);
#else
extern void plystra_refuse_append_only(const char *nspname, const char *relname,
									   const char *what) pg_attribute_noreturn();
#endif
#if PG_VERSION_NUM >= 180000
pg_noreturn extern void plystra_refuse_append_only_rel(Oid relid, const char *what);
#else
extern void plystra_refuse_append_only_rel(Oid relid, const char *what) pg_attribute_noreturn();
#endif
extern const char *plystra_refused_subcommand(struct AlterTableCmd *cmd);
#if PG_VERSION_NUM >= 180000
pg_noreturn extern void plystra_refuse_acting_key(const char *what);
#else
extern void plystra_refuse_acting_key(const char *what) pg_attribute_noreturn();
#endif

/*
 * The one rule for foreign keys of or onto an append-only table, as a
 * condition on pg_constraint c: a key that cascades, sets null or sets a
 * default acts on rows, which the table may not allow.
 */
#define PLYSTRA_KEY_ACTS_ON_ROWS \
	"(c.confdeltype OPERATOR(pg_catalog.<>) ALL (ARRAY['a', 'r']::pg_catalog.\"char\"[])" \
	" OR c.confupdtype OPERATOR(pg_catalog.<>) ALL (ARRAY['a', 'r']::pg_catalog.\"char\"[]))"

/* append_only.c: the row guard, make_append_only() */
extern void plystra_adopt_partition(Oid relid, Oid parentid);
extern void plystra_protect_audit_partition(Oid relid, Oid parentid);
extern bool plystra_has_truncate_guard(Oid relid);

/* audit_partitions.c: the audit log's time partitions */
extern void plystra_define_audit_partition_settings(void);
extern void plystra_audit_period(TimestampTz t, TimestampTz *start,
								 TimestampTz *next);
extern int	plystra_maintain_audit_partitions(void *state);
typedef bool (*PlystraMayDrop) (Oid relid, TimestampTz lower, TimestampTz upper,
								void *arg);
extern int	plystra_drop_audit_partitions(TimestampTz cutoff, PlystraMayDrop may_drop,
										  void *arg, struct StringInfoData *names,
										  int64 *rows);
/* audit_seals.c: tamper evidence */
typedef struct PlystraSealedPurge
{
	int64		rows;			/* rows of the seals purged, as sealed */
	int64		rows_deleted;	/* of them, deleted row by row */
	int			seals;			/* seals purged */
	int			partitions;		/* partitions dropped */
	int64		partition_rows; /* their rows, estimated */
} PlystraSealedPurge;
extern bool plystra_audit_sealed(void);
extern int64 plystra_audit_seal_run(void);
extern void plystra_audit_purge_sealed(TimestampTz cutoff, PlystraSealedPurge *result,
									   struct StringInfoData *names);

/*
 * The one exception to "no parent, child or partition", as a condition on
 * pg_inherits i: a protected plain table that is a partition of a
 * protected partitioned table (make_append_only() of a partitioned table).
 */
#define PLYSTRA_PROTECTED_PARTITION \
	"(EXISTS (SELECT 1 FROM pg_catalog.pg_class pc, pg_catalog.pg_class cc" \
	"         WHERE pc.oid OPERATOR(pg_catalog.=) i.inhparent" \
	"           AND pc.relkind OPERATOR(pg_catalog.=) 'p'" \
	"           AND cc.oid OPERATOR(pg_catalog.=) i.inhrelid" \
	"           AND cc.relkind OPERATOR(pg_catalog.=) 'r' AND cc.relispartition)" \
	" AND EXISTS (SELECT 1 FROM plystra_data.append_only_relations a" \
	"             WHERE a.relation::pg_catalog.oid OPERATOR(pg_catalog.=) i.inhparent)" \
	" AND EXISTS (SELECT 1 FROM plystra_data.append_only_relations a" \
	"             WHERE a.relation::pg_catalog.oid OPERATOR(pg_catalog.=) i.inhrelid))"

/* ddl_commands.c: what they refuse, by OID, once a command has run */
extern void plystra_check_ddl_commands(void);

/* manifest.c: drift carried across an update */
extern void plystra_remember_drift(void);
extern void plystra_forget_drift(void);

/* builtin_rows.c: the seed rows, dated by their migration */
extern bool plystra_redating_builtin_rows(void);
extern void plystra_date_builtin_rows(TimestampTz from, TimestampTz to);

#endif							/* PLYSTRA_H */
