/*
 * plystra--1.1--1.2.sql
 *	  Update plystra from 1.1 to 1.2: the guards hold against a determined
 *	  attacker.
 *
 * Assembled by ext/assemble.sh from ext/plystra--1.1--1.2.pre.sql, the
 * migrations of version 1.2 in migrations/ (none), and
 * ext/plystra--1.1--1.2.post.sql.  Edit those, never the assembled file.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION plystra UPDATE TO '1.2'" to load this file. \quit

/*
 * Drift that exists before the update stays drift after it.  The manifest
 * of 1.2 is recorded from the catalog at the end of this script; objects
 * that differed from what 1.1 defines are remembered here (a setting of
 * this transaction) and recorded with what 1.1 expected of them, so that a
 * change made by hand before the update is not made the expected state.
 */
DO $$
BEGIN
	PERFORM pg_catalog.set_config('plystra_update.drift', coalesce((
		SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
				   'object_type', coalesce(w.object_type, l.object_type),
				   'object', coalesce(w.object, l.object),
				   'drift', CASE WHEN l.object IS NULL THEN 'missing'
								 WHEN w.object IS NULL THEN 'unexpected'
								 ELSE 'changed' END,
				   'expected', w.detail))::pg_catalog.text
		  FROM (SELECT m.object_type, m.object, m.detail
				  FROM plystra_data.manifest m
				 WHERE m.version OPERATOR(pg_catalog.=) '1.1') w
		  FULL JOIN plystra._catalog_facts() l
			ON l.object_type OPERATOR(pg_catalog.=) w.object_type
		   AND l.object OPERATOR(pg_catalog.=) w.object
		 WHERE w.detail IS DISTINCT FROM l.detail), '[]'), true);
END
$$;
