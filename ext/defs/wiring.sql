-- ext/defs/wiring.sql
-- How a table or view of the extension is wired, one helper per kind of
-- wiring.  ext/assemble.sh expands a line "@helper table args..." of a
-- definition or upgrade file into the statements below, $1 becoming the
-- table and $* the rest of the line, so that a table's triggers and view
-- options are written once here and named in one line where they are
-- used.  This file itself emits nothing.

-- An entity whose rows are soft-deleted: deleted_at is the server's, a
-- DELETE through the interface view sets it (also in replica mode), and
-- every change of it is audited.  (Which rows the view shows: @live_rows.)
@define soft_delete
CREATE TRIGGER plystra_deleted_at_insert BEFORE INSERT ON plystra_data.$1
	FOR EACH ROW WHEN (NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_update BEFORE UPDATE OF deleted_at ON plystra_data.$1
	FOR EACH ROW WHEN (OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL)
	EXECUTE FUNCTION plystra.deleted_at_guard();
CREATE TRIGGER plystra_deleted_at_audit AFTER UPDATE OF deleted_at ON plystra_data.$1
	FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
	EXECUTE FUNCTION plystra.deleted_at_audit();
CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.$1');
SELECT plystra._enable_always_trigger('plystra.$1', 'plystra_soft_delete');
@end

-- The rows of an interface view that the storage's row-level security
-- hides from the view's owner, plystra_interface, and so from every caller
-- of the view (see src/row_security.c).  Every other role keeps what its
-- privileges give it (policy plystra_all); the storage owner, a superuser,
-- bypasses the policies anyway.  The rest of the line is the condition of
-- a row that may be seen; a soft-deleted entity's view adds its own
-- "deleted_at IS NULL" (which admits the partial indexes), and its policy
-- lets an UPDATE through the view leave a row this transaction deletes.
@define live_rows
ALTER TABLE plystra_data.$1 ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY plystra_all ON plystra_data.$1 USING (true) WITH CHECK (true);
CREATE POLICY plystra_live ON plystra_data.$1 AS RESTRICTIVE TO plystra_interface
	USING ($*) WITH CHECK (true);
ALTER VIEW plystra.$1 OWNER TO plystra_interface;
@end

-- Rows may not reference soft-deleted parents: pairs of column and parent
-- table follow the table.
@define live_parents
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check($*);
@end

-- A row's id is the server's: assigned by its identity sequence, never
-- changed (but by the storage owner).
@define server_ids
CREATE TRIGGER plystra_id_guard BEFORE UPDATE OF id ON plystra_data.$1
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION plystra.id_guard();
CREATE TRIGGER plystra_server_ids BEFORE INSERT ON plystra_data.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.server_id_guard();
@end

-- updated_at is the server's, on INSERT and UPDATE.  The migration that
-- made the table made the trigger, for UPDATE only: this replaces it.
@define updated_at
CREATE OR REPLACE TRIGGER plystra_updated_at BEFORE INSERT OR UPDATE ON plystra_data.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.updated_at_trigger();
@end

-- A table whose rows never change or go; the rest of the line is the hint
-- its error gives.  ENABLE ALWAYS: also under session_replication_role =
-- replica.
@define append_only
CREATE TRIGGER plystra_append_only
	BEFORE UPDATE OR DELETE ON plystra_data.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard(
		$*);
CREATE TRIGGER plystra_append_only_truncate
	BEFORE TRUNCATE ON plystra_data.$1
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.append_only_guard(
		$*);
ALTER TABLE plystra_data.$1
	ENABLE ALWAYS TRIGGER plystra_append_only,
	ENABLE ALWAYS TRIGGER plystra_append_only_truncate;
@end

-- A table whose rows only the extension's scripts write.
@define script_only
CREATE TRIGGER plystra_script_only
	BEFORE INSERT ON plystra_data.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.script_only_guard();
ALTER TABLE plystra_data.$1 ENABLE ALWAYS TRIGGER plystra_script_only;
@end

-- A table holding built-in (seed) rows, kept as the extension shipped them.
@define builtin_rows
CREATE TRIGGER plystra_builtin_rows
	BEFORE INSERT OR UPDATE OR DELETE ON plystra_data.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.builtin_row_guard();
CREATE TRIGGER plystra_builtin_rows_truncate
	BEFORE TRUNCATE ON plystra_data.$1
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.builtin_row_guard();
ALTER TABLE plystra_data.$1
	ENABLE ALWAYS TRIGGER plystra_builtin_rows,
	ENABLE ALWAYS TRIGGER plystra_builtin_rows_truncate;
@end

-- A relationship row belongs to the parents named by the rest of the line
-- (pairs of column and parent table): parents_live says whether they are
-- all live (src/live_parents.c); rows already stored are brought up to date.
@define parents_live
CREATE TRIGGER plystra_parents_live BEFORE INSERT OR UPDATE ON plystra_data.$1
	FOR EACH ROW EXECUTE FUNCTION plystra.parents_live_trigger($*);
SELECT plystra._refresh_parents_live('plystra_data.$1');
@end

-- The soft-deleted rows of an entity, for the admin access (deleted.sql):
-- the columns the rest of the line names (of the storage row t), and who
-- deleted each row, from the entity.deleted audit row that recorded it.
@define deleted_rows
CREATE VIEW plystra.deleted_$1 WITH (security_barrier) AS
SELECT $*,
	   d.actor_user_id AS deleted_by_user_id, d.actor_role AS deleted_by_role,
	   d.request_id AS deleted_in_request
  FROM plystra_data.$1 t
  LEFT JOIN LATERAL (
	SELECT a.actor_user_id, a.actor_role, a.request_id
	  FROM plystra_data.audit_logs a
	 WHERE a.target_type OPERATOR(pg_catalog.=) '$1'
	   AND a.target_id OPERATOR(pg_catalog.=) t.id::pg_catalog.text
	   AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'
	 ORDER BY a.created_at DESC, a.id DESC
	 LIMIT 1) d ON true
 WHERE t.deleted_at IS NOT NULL;
COMMENT ON VIEW plystra.deleted_$1 IS
'The soft-deleted $1, with who deleted each (admin access; read-only; plystra.restore() brings one back)';
CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.deleted_$1
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.deleted_$1', 'plystra_read_only');
@end
