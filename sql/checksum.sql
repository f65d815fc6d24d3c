--
-- plystra.migration_checksum(): sha256 of the script after CRLF and lone CR
-- become LF and a leading UTF-8 BOM is dropped.  PostgreSQL's own sha256()
-- over the normalised bytes is the reference.
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
CREATE FUNCTION reference_checksum(normalised text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT
	AS $$SELECT 'sha256:' || encode(sha256(convert_to(normalised, 'UTF8')), 'hex')$$;

-- known vectors
SELECT plystra.migration_checksum('') AS empty;
SELECT plystra.migration_checksum('abc') AS abc;
SELECT plystra.migration_checksum('') = reference_checksum('') AS empty_ok,
	   plystra.migration_checksum('abc') = reference_checksum('abc') AS abc_ok;

-- line ends: LF, CRLF and lone CR give the same checksum
SELECT plystra.migration_checksum(E'CREATE TABLE t ();\nSELECT 1;\n') AS lf,
	   plystra.migration_checksum(E'CREATE TABLE t ();\r\nSELECT 1;\r\n') AS crlf,
	   plystra.migration_checksum(E'CREATE TABLE t ();\rSELECT 1;\r') AS cr;
SELECT plystra.migration_checksum(E'a\r\nb') = reference_checksum(E'a\nb') AS crlf_is_lf,
	   plystra.migration_checksum(E'a\rb') = reference_checksum(E'a\nb') AS cr_is_lf,
	   plystra.migration_checksum(E'a\r\r\nb') = reference_checksum(E'a\n\nb') AS cr_crlf,
	   plystra.migration_checksum(E'a\n\rb') = reference_checksum(E'a\n\nb') AS lf_cr,
	   plystra.migration_checksum(E'\r') = reference_checksum(E'\n') AS lone_cr,
	   plystra.migration_checksum(E'\r\n') = reference_checksum(E'\n') AS lone_crlf,
	   plystra.migration_checksum(E'a\r') = reference_checksum(E'a\n') AS trailing_cr;
-- whitespace other than line ends counts
SELECT plystra.migration_checksum(E'a\n') <> plystra.migration_checksum('a') AS final_newline_counts,
	   plystra.migration_checksum('a b') <> plystra.migration_checksum('a  b') AS spaces_count,
	   plystra.migration_checksum(E'a\tb') <> plystra.migration_checksum('a b') AS tabs_count;

-- a leading byte order mark is dropped, one anywhere else is kept
SELECT plystra.migration_checksum(E'\uFEFFSELECT 1;') = plystra.migration_checksum('SELECT 1;') AS leading_bom_dropped,
	   plystra.migration_checksum(E'\uFEFF\r\nx') = reference_checksum(E'\nx') AS bom_then_crlf,
	   plystra.migration_checksum(E'\uFEFF') = reference_checksum('') AS bom_only,
	   plystra.migration_checksum(E'x\uFEFF') = reference_checksum(E'x\uFEFF') AS inner_bom_kept,
	   plystra.migration_checksum(E'\uFEFF\uFEFFx') = reference_checksum(E'\uFEFFx') AS second_bom_kept;

-- non-ASCII text is hashed as its UTF-8 bytes
SELECT plystra.migration_checksum('COMMENT ON TABLE t IS ''Übersicht 数据库 ✓'';')
	   = reference_checksum('COMMENT ON TABLE t IS ''Übersicht 数据库 ✓'';') AS non_ascii_ok;

-- the same file on Windows, old Mac and Linux: one checksum
SELECT count(DISTINCT plystra.migration_checksum(v)) AS distinct_checksums
  FROM (VALUES (E'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n'),
			   (E'CREATE TABLE a (id int);\r\nINSERT INTO a VALUES (1);\r\n'),
			   (E'CREATE TABLE a (id int);\rINSERT INTO a VALUES (1);\r'),
			   (E'\uFEFFCREATE TABLE a (id int);\r\nINSERT INTO a VALUES (1);\r\n')) AS f(v);

-- 1 MB and 12 MB inputs, with CRLF line ends spanning the whole input
SELECT octet_length(repeat(E'line of a migration\r\n', 50000)) AS one_mb_bytes,
	   plystra.migration_checksum(repeat(E'line of a migration\r\n', 50000))
	   = reference_checksum(repeat(E'line of a migration\n', 50000)) AS one_mb_ok;
SELECT plystra.migration_checksum(repeat(E'x\r', 6000000))
	   = reference_checksum(repeat(E'x\n', 6000000)) AS twelve_mb_ok;

-- NULL is refused, with its own SQLSTATE
SELECT plystra.migration_checksum(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- declared immutable and parallel safe, so it can serve in indexes
SELECT provolatile, proparallel, proisstrict
  FROM pg_proc WHERE oid = 'plystra.migration_checksum(text)'::regprocedure;

DROP FUNCTION reference_checksum(text);
