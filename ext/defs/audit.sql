-- ext/defs/audit.sql
-- Current definitions: append-only tables and the audit log.  The full
-- install script runs this after the migrations; an upgrade script states
-- only what it changes here.

/*
 * Append-only tables.  The registry lists them for the DDL guard;
 * plystra_data.audit_logs, the migration history and the registry itself
 * are built in, tables users protect with make_append_only() are dumped.
 */
CREATE TABLE plystra_data.append_only_relations (
	relation		regclass NOT NULL,
	builtin			boolean NOT NULL DEFAULT false,
	protected_at	timestamptz NOT NULL DEFAULT now(),
	protected_by	name NOT NULL DEFAULT session_user,
	CONSTRAINT append_only_relations_pkey PRIMARY KEY (relation)
);
SELECT pg_catalog.pg_extension_config_dump('plystra_data.append_only_relations',
	'WHERE NOT builtin');
COMMENT ON TABLE plystra_data.append_only_relations IS
'Tables protected by the append-only guard: rows never change or go, DDL cannot switch the guard off';
INSERT INTO plystra_data.append_only_relations (relation, builtin) VALUES
	('plystra_data.audit_logs', true),
	('plystra_data.schema_migrations', true),
	('plystra_data.append_only_relations', true);

@append_only append_only_relations 'A table once made append-only stays so.'

/*
 * Rows that state what a version defines are written by its scripts only:
 * the manifest drift_check() compares with, and the policies of references.
 */
CREATE FUNCTION plystra.script_only_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_script_only_guard';
REVOKE ALL ON FUNCTION plystra.script_only_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.script_only_guard() IS
'BEFORE INSERT row trigger: rows of the table are written by plystra''s scripts only';

/*
 * Audit rows: the server sets when, by whom and with which id, and only the
 * extension writes the event types that record what it did; rows are never
 * changed or removed but by plystra.audit_purge().
 */
CREATE FUNCTION plystra.created_at_trigger()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_created_at_trigger';
REVOKE ALL ON FUNCTION plystra.created_at_trigger() FROM PUBLIC;
COMMENT ON FUNCTION plystra.created_at_trigger() IS
'BEFORE INSERT row trigger: sets created_at (or the column named by its argument) to the clock time, whatever the client sent';

CREATE FUNCTION plystra.audit_row_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_audit_row_guard';
REVOKE ALL ON FUNCTION plystra.audit_row_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_row_guard() IS
'BEFORE INSERT row trigger of audit_logs: server-set created_at (clock time), actor_role and id; event types under migration., audit., entity. and user.password. written by the extension only';

CREATE TRIGGER plystra_audit_rows
	BEFORE INSERT ON plystra_data.audit_logs
	FOR EACH ROW EXECUTE FUNCTION plystra.audit_row_guard();
ALTER TABLE plystra_data.audit_logs ENABLE ALWAYS TRIGGER plystra_audit_rows;
@append_only audit_logs 'Audit rows older than the retention are removed with plystra.audit_purge().'
@include audit_partitions
@include audit_seals

CREATE FUNCTION plystra.audit_purge(older_than timestamptz)
RETURNS bigint
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_purge';
REVOKE ALL ON FUNCTION plystra.audit_purge(timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_purge(timestamptz) IS
'Removes audit rows created before older_than (at least plystra.audit_min_retention ago) and records the purge; returns the number removed';

CREATE FUNCTION plystra.make_append_only(rel regclass)
RETURNS boolean
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_make_append_only';
REVOKE ALL ON FUNCTION plystra.make_append_only(regclass) FROM PUBLIC;
COMMENT ON FUNCTION plystra.make_append_only(regclass) IS
'Gives a table of one''s own the append-only protection of audit_logs; returns false when it had it already';

CREATE FUNCTION plystra.append_only_tables()
RETURNS TABLE (relation regclass, builtin boolean, protected_at timestamptz,
			   protected_by name)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT relation, builtin, protected_at, protected_by
	  FROM plystra_data.append_only_relations
	 ORDER BY relation::text
$$;
COMMENT ON FUNCTION plystra.append_only_tables() IS
'The tables protected by the append-only guard';

