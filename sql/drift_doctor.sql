--
-- drift_check() and doctor(), in a database of their own: clean on a fresh
-- install, then every kind of drift introduced by hand is reported, and
-- each warn and fail of doctor() is set off.
--
SELECT current_database() AS regress_db \gset
CREATE DATABASE plystra_regress_drift;
\c plystra_regress_drift
SET client_min_messages = warning;
CREATE EXTENSION plystra;
SELECT count(*) AS drift FROM plystra.drift_check();
SELECT "check", status FROM plystra.doctor();
-- a new install has no time partition of the audit log yet: doctor warns
-- until audit_maintain() made them (the current month and three ahead)
SELECT count(*) AS partitions_made FROM plystra.audit_maintain();
SELECT "check", status FROM plystra.doctor() WHERE status <> 'ok';

-- what a DBA does to tables without changing what they are is no drift
ALTER TABLE plystra_data.users SET (fillfactor = 80);
ALTER TABLE plystra_data.audit_logs_default SET (autovacuum_vacuum_scale_factor = 0.01);
ALTER INDEX plystra_data.users_pkey SET (fillfactor = 70);
COMMENT ON TABLE plystra_data.members IS 'our members';
ANALYZE plystra_data.users;
SELECT count(*) AS drift FROM plystra.drift_check();

-- an index a DBA adds to a storage table: drift_check() reports it, and
-- doctor() names it as a warning; it stays the DBA's (not a member)
CREATE INDEX users_lower_email_idx ON plystra_data.users (lower(email));
SELECT object_type, object, drift FROM plystra.drift_check();
SELECT "check", status, detail FROM plystra.doctor() WHERE "check" = 'drift_check';
SELECT count(*) AS members FROM pg_depend
 WHERE objid = 'plystra_data.users_lower_email_idx'::regclass AND deptype = 'e';
-- with a shipped object changed as well, it fails
ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT 'x';
SELECT "check", status, detail FROM plystra.doctor() WHERE "check" = 'drift_check';
ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT '';
DROP INDEX plystra_data.users_lower_email_idx;

-- each drift, reported with its row
DROP INDEX plystra_data.users_email_key;
CREATE INDEX users_display_name_idx ON plystra_data.users (display_name);
ALTER TABLE plystra_data.users ALTER COLUMN display_name SET DEFAULT 'anonymous';
ALTER TABLE plystra_data.members ALTER COLUMN display_name DROP NOT NULL;
GRANT SELECT ON plystra.users TO PUBLIC;
ALTER TABLE plystra_data.users ADD COLUMN nickname text;
CREATE ROLE plystra_regress_owner2;
-- the DDL guard refuses changes to the extension's triggers, views and
-- owners; a superuser who disables its event trigger first gets them, and
-- drift and doctor see them
ALTER TABLE plystra_data.users DISABLE TRIGGER plystra_updated_at;
CREATE OR REPLACE VIEW plystra.spaces AS
	SELECT id, slug, name, description, created_at, updated_at, deleted_at
	  FROM plystra_data.spaces;
ALTER TABLE plystra_data.sessions OWNER TO plystra_regress_owner2;
ALTER VIEW plystra.spaces OWNER TO CURRENT_USER;
ALTER TABLE plystra_data.spaces NO FORCE ROW LEVEL SECURITY;
ALTER POLICY plystra_live ON plystra_data.groups USING (true);
ALTER EVENT TRIGGER plystra_ddl_guard_end DISABLE;
ALTER TABLE plystra_data.users DISABLE TRIGGER plystra_updated_at;
CREATE OR REPLACE VIEW plystra.spaces AS
	SELECT id, slug, name, description, created_at, updated_at, deleted_at
	  FROM plystra_data.spaces;
ALTER TABLE plystra_data.sessions OWNER TO plystra_regress_owner2;
ALTER VIEW plystra.spaces OWNER TO CURRENT_USER;
ALTER TABLE plystra_data.spaces NO FORCE ROW LEVEL SECURITY;
ALTER POLICY plystra_live ON plystra_data.groups USING (true);
ALTER EVENT TRIGGER plystra_ddl_guard_end ENABLE ALWAYS;
-- (a view's definition as PostgreSQL prints it, which differs by version,
-- is left out: the row says it changed)
SELECT object_type, object, drift,
	   CASE WHEN object_type = 'view' THEN '(definition)' ELSE left(expected, 60) END AS expected,
	   CASE WHEN object_type = 'view' THEN '(definition)' ELSE left(actual, 60) END AS actual
  FROM plystra.drift_check();
ALTER TABLE plystra_data.sessions OWNER TO CURRENT_USER;
DROP ROLE plystra_regress_owner2;
ALTER EVENT TRIGGER plystra_ddl_guard_end DISABLE;
ALTER VIEW plystra.spaces OWNER TO plystra_interface;
ALTER TABLE plystra_data.spaces FORCE ROW LEVEL SECURITY;
ALTER POLICY plystra_live ON plystra_data.groups
	USING (deleted_at IS NULL OR plystra._soft_deleting('plystra_data.groups'::regclass, id));
ALTER EVENT TRIGGER plystra_ddl_guard_end ENABLE ALWAYS;
-- a function replaced, or its search_path removed: the DDL guard refuses,
-- so a superuser disables the event trigger first (doctor sees that too)
CREATE OR REPLACE FUNCTION plystra.password_hash(user_id bigint) RETURNS text
	LANGUAGE sql AS $$SELECT 'leaked'$$;
ALTER EVENT TRIGGER plystra_ddl_guard_end DISABLE;
CREATE OR REPLACE FUNCTION plystra.migration_checksum(script text) RETURNS text
	LANGUAGE sql IMMUTABLE AS $$SELECT 'sha256:' || encode(sha256(convert_to(script, 'UTF8')), 'hex')$$;
ALTER FUNCTION plystra.append_only_tables() RESET search_path;
SELECT object_type, object, drift FROM plystra.drift_check()
 WHERE object_type IN ('function', 'event trigger') ORDER BY 1, 2;
SELECT "check", status, detail FROM plystra.doctor()
 WHERE "check" IN ('drift_check', 'event triggers');
ALTER EVENT TRIGGER plystra_ddl_guard_end ENABLE ALWAYS;

-- doctor's other warn and fail paths
UPDATE pg_trigger SET tgenabled = 'D'
 WHERE tgrelid = 'plystra_data.audit_logs'::regclass AND tgname = 'plystra_append_only';
SET session_replication_role = replica;
CREATE ROLE plystra_regress_nosy;
GRANT USAGE ON SCHEMA plystra_data TO plystra_regress_nosy;
GRANT EXECUTE ON FUNCTION plystra.audit_purge(timestamptz) TO PUBLIC;
INSERT INTO plystra.audit_logs (event_type) VALUES ('user.locked');
SELECT "check", status, detail FROM plystra.doctor() WHERE status <> 'ok';
RESET session_replication_role;
UPDATE pg_trigger SET tgenabled = 'A'
 WHERE tgrelid = 'plystra_data.audit_logs'::regclass AND tgname = 'plystra_append_only';
REVOKE ALL ON SCHEMA plystra_data FROM plystra_regress_nosy;
DROP ROLE plystra_regress_nosy;
SELECT "check", status FROM plystra.doctor() WHERE "check" IN ('guard triggers', 'session_replication_role', 'storage privileges', 'audit log');

-- replica mode does not open the way to dropping the data
INSERT INTO plystra.audit_logs (event_type) VALUES ('user.locked');
SET session_replication_role = replica;
DROP EXTENSION plystra;
DROP SCHEMA plystra CASCADE;
DROP SCHEMA plystra_data CASCADE;
RESET session_replication_role;

-- a 1.0 database with the 1.1 library: pending migration, versions differ,
-- but no drift against what 1.0 defines
SET plystra.allow_drop_data = on;
DROP EXTENSION plystra;
RESET plystra.allow_drop_data;
-- an empty install drops cleanly: nothing but the (empty) schema plystra,
-- which PostgreSQL creates for the control file, is left
SELECT count(*) AS objects_left FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('plystra', 'plystra_data');
SELECT count(*) AS event_triggers_left FROM pg_event_trigger;
CREATE EXTENSION plystra VERSION '1.0';
SELECT count(*) AS drift FROM plystra.drift_check();
-- (the doctor() of 1.0 knows PostgreSQL 15 only: its server version check
-- warns on any other)
SELECT "check", status, detail FROM plystra.doctor() WHERE status <> 'ok' AND "check" <> 'server version';
ALTER EXTENSION plystra UPDATE;
SELECT count(*) AS partitions_made FROM plystra.audit_maintain();
SELECT "check", status FROM plystra.doctor() WHERE status <> 'ok';
DROP EXTENSION plystra;
SELECT count(*) AS objects_left FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('plystra', 'plystra_data');

\c :regress_db
DROP DATABASE plystra_regress_drift;
