/*
 * plystra--1.0--1.1.sql
 *	  Update plystra from 1.0 to 1.1: migration 015_user_allowed_groups.
 *
 * Assembled by ext/assemble.sh from ext/plystra--1.0--1.1.pre.sql, the
 * migrations of version 1.1 in migrations/, and
 * ext/plystra--1.0--1.1.post.sql.  Edit those, never the assembled file.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION plystra UPDATE TO '1.1'" to load this file. \quit
