--
-- The shipped migration files are what the extension applied: each
-- recorded checksum equals the checksum of the file in migrations/, and
-- equals the one pinned in migrations/migrations.lst.  Released migrations
-- never change: editing one breaks this test (and the build).
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set migdir :abs_srcdir '/migrations'

CREATE TEMP TABLE shipped AS
SELECT regexp_replace(f, '\.sql$', '') AS name,
	   plystra.migration_checksum(pg_read_file(:'migdir' || '/' || f)) AS file_checksum,
	   encode(sha256(pg_read_binary_file(:'migdir' || '/' || f)), 'hex') AS raw_sha256
  FROM pg_ls_dir(:'migdir') AS f
 WHERE f ~ '^[0-9]{3}_[a-z0-9_]+\.sql$';

CREATE TEMP TABLE pinned AS
SELECT m[1] AS version, m[2] AS name, m[3] AS checksum
  FROM regexp_matches(pg_read_file(:'migdir' || '/migrations.lst'),
					  '^([0-9.]+) ([0-9]{3}_[a-z0-9_]+) (sha256:[0-9a-f]{64})$', 'gn') AS m;

SELECT count(*) AS files FROM shipped;
SELECT count(*) AS pinned FROM pinned;

SELECT coalesce(s.name, p.name, h.name) AS name, p.version,
	   s.file_checksum = p.checksum AS file_matches_pin,
	   h.checksum = s.file_checksum AS recorded_matches_file,
	   h.extension_version = p.version AS recorded_version_ok,
	   s.file_checksum = 'sha256:' || s.raw_sha256 AS stored_normalised
  FROM shipped s
  FULL JOIN pinned p ON p.name = s.name
  FULL JOIN plystra.schema_migrations h ON h.component = 'plystra' AND h.name = s.name
 ORDER BY 1;
