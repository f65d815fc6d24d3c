-- ext/defs/ddl_guard.sql
-- Current definitions: the event triggers that keep DDL from switching the
-- guards off or dropping the extension's data.

/*
 * DDL guard: event triggers, ENABLE ALWAYS so that replica mode does not
 * switch them off.
 */
-- no SET search_path: the guard resolves the names in a command as the
-- command itself does, with the session's search_path; its own queries are
-- schema-qualified
CREATE FUNCTION plystra.ddl_guard()
RETURNS event_trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'plystra_ddl_guard';
REVOKE ALL ON FUNCTION plystra.ddl_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.ddl_guard() IS
'Event trigger (ddl_command_start) refusing DDL that would switch off or bypass the append-only guard, or drop the extension''s data';

CREATE FUNCTION plystra.ddl_guard_end()
RETURNS event_trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_ddl_guard_end';
REVOKE ALL ON FUNCTION plystra.ddl_guard_end() FROM PUBLIC;
COMMENT ON FUNCTION plystra.ddl_guard_end() IS
'Event trigger (ddl_command_end) refusing cascading foreign keys on append-only tables and changes to the extension''s functions';

CREATE FUNCTION plystra.drop_guard()
RETURNS event_trigger
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_drop_guard';
REVOKE ALL ON FUNCTION plystra.drop_guard() FROM PUBLIC;
COMMENT ON FUNCTION plystra.drop_guard() IS
'Event trigger (sql_drop) refusing drops that reach append-only tables by cascade';

CREATE EVENT TRIGGER plystra_ddl_guard ON ddl_command_start
	EXECUTE FUNCTION plystra.ddl_guard();
CREATE EVENT TRIGGER plystra_ddl_guard_end ON ddl_command_end
	EXECUTE FUNCTION plystra.ddl_guard_end();
CREATE EVENT TRIGGER plystra_drop_guard ON sql_drop
	EXECUTE FUNCTION plystra.drop_guard();
ALTER EVENT TRIGGER plystra_ddl_guard ENABLE ALWAYS;
ALTER EVENT TRIGGER plystra_ddl_guard_end ENABLE ALWAYS;
ALTER EVENT TRIGGER plystra_drop_guard ENABLE ALWAYS;
