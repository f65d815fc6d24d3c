--
-- The Plystra Core v1.0 schema (and 1.1's user_allowed_groups): every
-- entity is stored in plystra_data and reachable as plystra.<name>.
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
CREATE TEMP TABLE entity (name text PRIMARY KEY, soft_delete boolean NOT NULL);
INSERT INTO entity VALUES
	-- Identity
	('users', true), ('members', true), ('user_members', false), ('sessions', false),
	-- Admin control plane
	('admin_grants', false),
	-- Tenant structure
	('spaces', true), ('groups', true),
	-- Authorization
	('roles', true), ('member_roles', false), ('permissions', false),
	('role_permissions', false),
	-- Resources
	('resources', true), ('resource_types', false), ('resource_actions', false),
	('resource_mappings', false),
	-- Audit
	('audit_logs', false), ('audit_event_types', false),
	-- Plugin metadata
	('plugins', false), ('plugin_admin_menus', false),
	('plugin_settings_definitions', false), ('plugin_settings_values', false),
	-- Templates and jobs
	('template_installations', false), ('background_jobs', false),
	-- 1.1
	('user_allowed_groups', false);

-- each entity: an interface view and a storage table
SELECT e.name,
	   to_regclass('plystra.' || e.name) IS NOT NULL AS interface,
	   (SELECT relkind FROM pg_class WHERE oid = to_regclass('plystra.' || e.name)) AS kind,
	   (SELECT relkind FROM pg_class WHERE oid = to_regclass('plystra_data.' || e.name)) AS storage
  FROM entity e ORDER BY e.name;
-- and nothing else: the interface is these views and schema_migrations
SELECT c.relname AS unexpected_relation
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'plystra'
   AND c.relname NOT IN (SELECT name FROM entity UNION ALL SELECT 'schema_migrations')
 ORDER BY c.relname COLLATE "C";
-- storage also holds the extension's own bookkeeping
SELECT c.relname AS unexpected_table
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
   AND c.relname NOT IN (SELECT name FROM entity
						 UNION ALL SELECT 'schema_migrations'
						 UNION ALL SELECT 'append_only_relations'
						 UNION ALL SELECT 'manifest'
						 UNION ALL SELECT 'reference_policies')
   AND NOT c.relispartition;
-- the audit log is partitioned by time: the table it was before 1.2 holds
-- every row before the start of next month, a default partition any row no
-- other takes; only the default is a member (the others are dumped whole)
SELECT c.relname, c.relkind, c.relispartition,
	   pg_get_expr(c.relpartbound, c.oid)
	   = format('FOR VALUES FROM (MINVALUE) TO (%L)',
				(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC')
	   AS until_next_month,
	   pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS is_default,
	   EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
				  AND d.objid = c.oid AND d.deptype = 'e') AS member
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'plystra_data' AND c.relname LIKE 'audit\_logs%' AND c.relkind IN ('r', 'p')
 ORDER BY c.relname COLLATE "C";

-- every interface view can be read (and is simply updatable, for now)
DO $$
DECLARE
	e record;
	n bigint;
BEGIN
	FOR e IN SELECT name FROM entity ORDER BY name LOOP
		EXECUTE format('SELECT count(*) FROM plystra.%I', e.name) INTO n;
	END LOOP;
END
$$;
SELECT table_name, is_insertable_into, is_updatable
  FROM information_schema.views
 WHERE table_schema = 'plystra' AND (is_insertable_into = 'NO' OR is_updatable = 'NO')
 ORDER BY 1;

-- soft-deletable entities carry deleted_at, the others do not
SELECT e.name, e.soft_delete,
	   EXISTS (SELECT 1 FROM pg_attribute
				WHERE attrelid = ('plystra_data.' || e.name)::regclass
				  AND attname = 'deleted_at' AND NOT attisdropped) AS has_deleted_at
  FROM entity e
 WHERE e.soft_delete <> EXISTS (SELECT 1 FROM pg_attribute
								WHERE attrelid = ('plystra_data.' || e.name)::regclass
								  AND attname = 'deleted_at' AND NOT attisdropped);
-- their views show live rows only
SELECT e.name AS view_without_live_filter
  FROM entity e
 WHERE e.soft_delete
   -- (15 prints the column with its table, 16 and later without)
   AND pg_get_viewdef(('plystra.' || e.name)::regclass) !~ ('WHERE \((' || e.name || '\.)?deleted_at IS NULL\)');

-- every table has a primary key, created_at, and identity ids
SELECT c.relname AS table_without_pkey
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
   AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = c.oid AND contype = 'p');
SELECT c.relname AS table_without_created_at
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
   AND c.relname NOT IN ('schema_migrations', 'append_only_relations', 'manifest',
						 'reference_policies')
   AND NOT EXISTS (SELECT 1 FROM pg_attribute
					WHERE attrelid = c.oid AND attname = 'created_at' AND attnotnull);
SELECT c.relname, a.attname, a.atttypid::regtype, a.attidentity
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id'
 WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
   AND (a.atttypid <> 'bigint'::regtype OR a.attidentity <> 'd')
   AND NOT c.relispartition;
-- but audit_logs, whose id the guard of audit rows draws from a sequence
-- the column owns
SELECT a.attidentity, pg_get_expr(d.adbin, d.adrelid) AS default_expr,
	   pg_get_serial_sequence('plystra_data.audit_logs', 'id') AS sequence
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'plystra_data.audit_logs'::regclass AND a.attname = 'id';

-- the seed's explicit relationship entities
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute WHERE attrelid = 'plystra.role_permissions'::regclass AND attnum > 0
 ORDER BY attnum;
SELECT attname, format_type(atttypid, atttypmod)
  FROM pg_attribute WHERE attrelid = 'plystra.member_roles'::regclass AND attnum > 0
 ORDER BY attnum;
-- (NOT NULL, which PostgreSQL 18 also catalogs as constraints, is in the
-- columns above)
SELECT pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'plystra_data.user_allowed_groups'::regclass AND contype <> 'n' ORDER BY conname;

-- password_hash is stored but never part of the interface; sessions store
-- a token's hash, never a token
SELECT attname FROM pg_attribute
 WHERE attrelid = 'plystra_data.users'::regclass AND attname LIKE 'password%' ORDER BY 1;
SELECT attname FROM pg_attribute
 WHERE attrelid = 'plystra.users'::regclass AND attname LIKE 'password%' ORDER BY 1;
SELECT attname FROM pg_attribute
 WHERE attrelid = 'plystra_data.sessions'::regclass AND attname LIKE '%token%';
-- 014's login-audit fields; 015 removed the array
SELECT attname FROM pg_attribute
 WHERE attrelid = 'plystra.users'::regclass AND attnum > 0 ORDER BY attnum;

-- no foreign key cascades or nulls anything; none points at audit rows
SELECT conrelid::regclass, conname, confdeltype, confupdtype
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname = 'plystra_data' AND contype = 'f'
   AND (confdeltype NOT IN ('a', 'r') OR confupdtype NOT IN ('a', 'r'));
SELECT conrelid::regclass AS references_audit_logs FROM pg_constraint
 WHERE contype = 'f' AND confrelid = 'plystra_data.audit_logs'::regclass;

-- every foreign key has an index that leads with its columns (a
-- partitioned table's key is each partition's, checked there)
SELECT c.conrelid::regclass AS fk_table, c.conname AS fk_without_index
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname = 'plystra_data' AND c.contype = 'f'
   AND (SELECT relkind FROM pg_class WHERE oid = c.conrelid) <> 'p'
   AND NOT EXISTS (SELECT 1 FROM pg_index i
					WHERE i.indrelid = c.conrelid AND i.indpred IS NULL
					  AND (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey);

-- every table and sequence of plystra_data is registered for pg_dump, but
-- the manifest and the policies of references, which CREATE EXTENSION
-- writes again
SELECT c.oid::regclass AS not_dumped
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'plystra_data' AND c.relkind IN ('r', 'S')
   AND c.relname NOT IN ('manifest', 'reference_policies')
   AND c.oid NOT IN (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'plystra')
   -- (a partition of audit_logs that is not a member is dumped whole)
   AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
				  AND d.objid = c.oid AND d.deptype = 'e');
SELECT cfg::regclass AS seeded_table, cond
  FROM pg_extension, unnest(extconfig, extcondition) AS u(cfg, cond)
 WHERE extname = 'plystra' AND cond <> '' ORDER BY cfg::regclass::text;

-- unique keys hold among live rows only
INSERT INTO plystra.users (email) VALUES ('reuse@example.test');
INSERT INTO plystra.users (email) VALUES ('reuse@example.test');
UPDATE plystra_data.users SET deleted_at = now() WHERE email = 'reuse@example.test';
INSERT INTO plystra.users (email) VALUES ('reuse@example.test');
SELECT count(*) AS stored, count(*) FILTER (WHERE deleted_at IS NULL) AS live
  FROM plystra_data.users WHERE email = 'reuse@example.test';
SELECT count(*) AS visible FROM plystra.users WHERE email = 'reuse@example.test';
INSERT INTO plystra.users (email) VALUES ('reuse@example.test')
	ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING;

-- relationship rows of a soft-deleted parent are hidden
INSERT INTO plystra.spaces (id, slug, name) VALUES (101, 'rel', 'Rel');
INSERT INTO plystra.groups (id, space_id, slug, name) VALUES (101, 101, 'g', 'G');
INSERT INTO plystra.user_allowed_groups (user_id, group_id)
	SELECT id, 101 FROM plystra.users WHERE email = 'reuse@example.test';
SELECT count(*) AS visible FROM plystra.user_allowed_groups WHERE group_id = 101;
UPDATE plystra_data.groups SET deleted_at = now() WHERE id = 101;
SELECT count(*) AS visible FROM plystra.user_allowed_groups WHERE group_id = 101;
SELECT count(*) AS stored FROM plystra_data.user_allowed_groups WHERE group_id = 101;

-- constraints reject what the application model would
\set VERBOSITY terse
INSERT INTO plystra.users (email) VALUES ('Upper@Example.test');
INSERT INTO plystra.users (email) VALUES ('not-an-email');
INSERT INTO plystra.spaces (slug, name) VALUES ('Bad Slug', 'x');
INSERT INTO plystra.permissions (key) VALUES ('nodot');
INSERT INTO plystra.admin_grants (user_id, scope, space_id)
	SELECT id, 'platform', 101 FROM plystra.users WHERE email = 'reuse@example.test';
INSERT INTO plystra.sessions (user_id, token_hash, expires_at)
	SELECT id, 'short'::bytea, now() + interval '1 hour'
	  FROM plystra.users WHERE email = 'reuse@example.test';
INSERT INTO plystra.background_jobs (kind, attempts, max_attempts) VALUES ('k', 6, 5);

\set VERBOSITY default

-- defaults restored by 008
INSERT INTO plystra.background_jobs (kind) VALUES ('defaults')
	RETURNING status, payload, attempts, max_attempts, run_after = now() AS run_now;
INSERT INTO plystra.plugins (key, name, version) VALUES ('p', 'P', '1')
	RETURNING status, official, manifest;

DELETE FROM plystra_data.background_jobs;
DELETE FROM plystra_data.plugins;
DELETE FROM plystra_data.user_allowed_groups;
DELETE FROM plystra_data.groups WHERE id = 101;
DELETE FROM plystra_data.spaces WHERE id = 101;
DELETE FROM plystra_data.users WHERE email = 'reuse@example.test';
