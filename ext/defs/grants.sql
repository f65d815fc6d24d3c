-- ext/defs/grants.sql
-- Current definitions: what each role may do with the extension's objects.
-- Last in the full install script: it revokes what default privileges
-- gave on the objects the script created.

CREATE FUNCTION plystra._revoke_default_privileges()
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_revoke_default_privileges';
REVOKE ALL ON FUNCTION plystra._revoke_default_privileges() FROM PUBLIC;
COMMENT ON FUNCTION plystra._revoke_default_privileges() IS
'Internal: revokes from the objects a script created what default privileges gave other roles; callable only from plystra''s scripts';

CREATE FUNCTION plystra._revoke_lock_privileges()
RETURNS bigint
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_revoke_lock_privileges';
REVOKE ALL ON FUNCTION plystra._revoke_lock_privileges() FROM PUBLIC;
COMMENT ON FUNCTION plystra._revoke_lock_privileges() IS
'Internal: revokes UPDATE, DELETE and TRUNCATE on append-only tables and their views, which allow nothing but LOCK TABLE; callable only from plystra''s scripts';

/*
 * Privileges: UPDATE, DELETE and TRUNCATE on append-only tables and their
 * views allow nothing but LOCK TABLE (README's grants of 1.0 and 1.1 gave
 * them); and what default privileges gave other roles on what this script
 * created goes.
 */
SELECT plystra._revoke_lock_privileges();
SELECT plystra._revoke_default_privileges();
