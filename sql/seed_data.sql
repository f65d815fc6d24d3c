--
-- Seed data shipped by the migrations: 001's Finance Reviewer role and its
-- permissions, the audit event types the extension writes.  Seed rows are
-- marked builtin, have fixed ids below 1000, and are left out of pg_dump
-- (CREATE EXTENSION writes them again on restore).
--
-- in a database of its own, so that nothing earlier files leave in the
-- regression database (rows, append-only tables) counts here
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_seed_data;
\c plystra_regress_seed_data
SET client_min_messages = warning;
CREATE EXTENSION plystra;
RESET client_min_messages;
SELECT r.id, r.key, r.name, r.space_id, r.builtin FROM plystra.roles r ORDER BY r.id;
SELECT p.id, p.key, p.description, p.builtin FROM plystra.permissions p ORDER BY p.id;
SELECT r.key AS role, p.key AS permission, rp.id, rp.builtin, rp.metadata
  FROM plystra.role_permissions rp
  JOIN plystra.roles r ON r.id = rp.role_id
  JOIN plystra.permissions p ON p.id = rp.permission_id
 ORDER BY rp.id;
SELECT id, key, builtin FROM plystra.audit_event_types ORDER BY id;

-- rows added by users get ids after the reserved seed range
INSERT INTO plystra.permissions (key) VALUES ('finance.budgets.read') RETURNING id, builtin;
INSERT INTO plystra.roles (key, name) VALUES ('auditor', 'Auditor') RETURNING id, builtin;
INSERT INTO plystra.audit_event_types (key) VALUES ('custom.event') RETURNING id, builtin;

-- the dump filters registered for the seeded tables leave out exactly
-- the built-in rows
DO $$
DECLARE
	r record;
	dumped bigint;
	total bigint;
	builtins bigint;
BEGIN
	FOR r IN SELECT cfg::regclass AS rel, cond
			   FROM pg_extension, unnest(extconfig, extcondition) AS u(cfg, cond)
			  WHERE extname = 'plystra' AND cond <> '' ORDER BY cfg::regclass::text
	LOOP
		EXECUTE format('SELECT count(*) FROM %s %s', r.rel, r.cond) INTO dumped;
		EXECUTE format('SELECT count(*), count(*) FILTER (WHERE builtin) FROM %s', r.rel)
			INTO total, builtins;
		RAISE NOTICE '%: % rows, % built-in, % dumped', r.rel, total, builtins, dumped;
	END LOOP;
END
$$;

-- built-in rows stay as shipped, for every role, in replica mode too
\set VERBOSITY terse
UPDATE plystra_data.roles SET name = 'Finance Auditor' WHERE key = 'finance_reviewer';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE plystra.roles SET deleted_at = now() WHERE key = 'finance_reviewer';
DELETE FROM plystra_data.role_permissions WHERE builtin;
DELETE FROM plystra.permissions WHERE key = 'finance.invoices.read';
UPDATE plystra_data.audit_event_types SET description = '' WHERE key = 'audit.purged';
INSERT INTO plystra.permissions (key, builtin) VALUES ('finance.fake.read', true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE plystra.permissions SET builtin = true WHERE key = 'finance.budgets.read';
TRUNCATE plystra_data.audit_event_types CASCADE;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET session_replication_role = replica;
DELETE FROM plystra_data.roles WHERE builtin;
RESET session_replication_role;
\set VERBOSITY default
SELECT count(*) FILTER (WHERE builtin) AS builtin_roles,
	   count(*) FILTER (WHERE builtin AND name = 'Finance Reviewer' AND deleted_at IS NULL) AS as_shipped
  FROM plystra_data.roles;
-- rows of one's own next to the built-in ones are free to change
INSERT INTO plystra.role_permissions (role_id, permission_id)
	SELECT r.id, p.id FROM plystra.roles r, plystra.permissions p
	 WHERE r.key = 'finance_reviewer' AND p.key = 'finance.budgets.read'
	RETURNING builtin;
DELETE FROM plystra.role_permissions WHERE NOT builtin;
UPDATE plystra.permissions SET description = 'Budgets' WHERE key = 'finance.budgets.read'
	RETURNING key, description;

DELETE FROM plystra_data.permissions WHERE key = 'finance.budgets.read';
DELETE FROM plystra_data.roles WHERE key = 'auditor';
DELETE FROM plystra_data.audit_event_types WHERE key = 'custom.event';

\c :regress_db
DROP DATABASE plystra_regress_seed_data;
