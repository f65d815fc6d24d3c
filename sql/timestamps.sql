--
-- updated_at is maintained by plystra.updated_at_trigger(): every UPDATE
-- sets it to the transaction's start time, whatever the client sends.
--
-- the extension, when this file runs alone (in the suite's order it exists)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS plystra;
RESET client_min_messages;
CREATE TEMP TABLE marks (k text PRIMARY KEY, t timestamptz);

BEGIN;
INSERT INTO plystra.spaces (slug, name) VALUES ('ts-space', 'Timestamps');
INSERT INTO marks VALUES ('insert', now());
COMMIT;
SELECT created_at = (SELECT t FROM marks WHERE k = 'insert') AS created_now,
	   updated_at = created_at AS updated_equals_created
  FROM plystra.spaces WHERE slug = 'ts-space';

BEGIN;
UPDATE plystra.spaces SET name = 'Renamed' WHERE slug = 'ts-space';
INSERT INTO marks VALUES ('update', now());
COMMIT;
SELECT updated_at = (SELECT t FROM marks WHERE k = 'update') AS updated_now,
	   updated_at > created_at AS moved_on,
	   created_at = (SELECT t FROM marks WHERE k = 'insert') AS created_kept
  FROM plystra.spaces WHERE slug = 'ts-space';

-- a client cannot set updated_at itself, through the view or the storage
UPDATE plystra.spaces SET updated_at = '2000-01-01' WHERE slug = 'ts-space';
SELECT updated_at > '2001-01-01' AS not_backdated FROM plystra.spaces WHERE slug = 'ts-space';
UPDATE plystra_data.spaces SET updated_at = '2000-01-01' WHERE slug = 'ts-space';
SELECT updated_at > '2001-01-01' AS not_backdated FROM plystra.spaces WHERE slug = 'ts-space';

-- every table with updated_at has the trigger, enabled
SELECT c.relname AS table_without_trigger
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'updated_at'
 WHERE n.nspname = 'plystra_data' AND c.relkind = 'r'
   AND NOT EXISTS (SELECT 1 FROM pg_trigger t
				   WHERE t.tgrelid = c.oid AND t.tgname = 'plystra_updated_at'
					 AND t.tgenabled = 'O'
					 AND t.tgfoid = 'plystra.updated_at_trigger()'::regprocedure);

-- misuse of the trigger function is refused with a clear error
CREATE TABLE ts_misuse (id int, updated_at timestamptz, stamp date);
CREATE TRIGGER t_after AFTER UPDATE ON ts_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.updated_at_trigger();
INSERT INTO ts_misuse VALUES (1, NULL, NULL);
UPDATE ts_misuse SET id = 2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_after ON ts_misuse;
CREATE TRIGGER t_delete BEFORE DELETE ON ts_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.updated_at_trigger();
DELETE FROM ts_misuse;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_delete ON ts_misuse;
CREATE TRIGGER t_stmt BEFORE UPDATE ON ts_misuse
	FOR EACH STATEMENT EXECUTE FUNCTION plystra.updated_at_trigger();
UPDATE ts_misuse SET id = 3;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_stmt ON ts_misuse;
CREATE TRIGGER t_nocol BEFORE UPDATE ON ts_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.updated_at_trigger('no_such_column');
UPDATE ts_misuse SET id = 4;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_nocol ON ts_misuse;
CREATE TRIGGER t_type BEFORE UPDATE ON ts_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.updated_at_trigger('stamp');
UPDATE ts_misuse SET id = 5;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_type ON ts_misuse;
CREATE TRIGGER t_args BEFORE UPDATE ON ts_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.updated_at_trigger('a', 'b');
UPDATE ts_misuse SET id = 6;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_args ON ts_misuse;
-- the column can be named, as for a table of one's own
CREATE TRIGGER t_named BEFORE UPDATE ON ts_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.updated_at_trigger('updated_at');
BEGIN;
UPDATE ts_misuse SET id = 7;
SELECT id, updated_at = now() AS stamped FROM ts_misuse;
COMMIT;
SELECT plystra.updated_at_trigger();
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE ts_misuse;
-- every trigger function of plystra names the triggers it is written for
CREATE TABLE tf_misuse (id int);
INSERT INTO tf_misuse VALUES (1);
CREATE TRIGGER t_before BEFORE UPDATE ON tf_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.deleted_at_audit();
UPDATE tf_misuse SET id = 2;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_before ON tf_misuse;
CREATE TRIGGER t_delete BEFORE DELETE ON tf_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.users');
DELETE FROM tf_misuse;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_delete ON tf_misuse;
CREATE TRIGGER t_insert BEFORE INSERT ON tf_misuse
	FOR EACH ROW EXECUTE FUNCTION plystra.append_only_guard();
INSERT INTO tf_misuse VALUES (3);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TRIGGER t_insert ON tf_misuse;
SELECT count(*) AS unchanged FROM tf_misuse WHERE id = 1;
DROP TABLE tf_misuse;
-- and every event trigger function the event it is written for
CREATE EVENT TRIGGER tf_wrong_event ON ddl_command_end
	EXECUTE FUNCTION plystra.ddl_guard();
CREATE TABLE tf_never (id int);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP EVENT TRIGGER tf_wrong_event;
SELECT to_regclass('tf_never') IS NULL AS not_created;
DELETE FROM plystra_data.spaces WHERE slug = 'ts-space';
