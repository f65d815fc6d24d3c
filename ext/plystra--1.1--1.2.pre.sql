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

