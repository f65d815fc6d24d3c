/*
 * plystra--1.1--1.2.sql
 *	  Update plystra from 1.1 to 1.2: the guards hold against a determined
 *	  attacker, and roles get their access through the extension
 *	  (migration 016_access_events).
 *
 * Assembled by ext/assemble.sh from ext/plystra--1.1--1.2.pre.sql, the
 * migrations of version 1.2 in migrations/, and
 * ext/plystra--1.1--1.2.post.sql.  Edit those, never the assembled file.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION plystra UPDATE TO '1.2'" to load this file. \quit

/*
 * The library refuses scripts of another build than its own (install.c);
 * the script names itself.
 */
CREATE FUNCTION plystra._check_scripts(raise boolean DEFAULT true, running text DEFAULT NULL)
RETURNS text
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_check_scripts';
REVOKE ALL ON FUNCTION plystra._check_scripts(boolean, text) FROM PUBLIC;
SELECT plystra._check_scripts(running => 'plystra--1.1--1.2.sql');
COMMENT ON FUNCTION plystra._check_scripts(boolean, text) IS
'Internal: compares the installed scripts of the extension, and the one running, with those the loaded library was built with; an error, or with raise false the differences, when one differs';
