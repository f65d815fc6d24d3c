-- test/bench/audit_setup.sql: a plain table with the columns, defaults,
-- indexes and foreign key of plystra_data.audit_logs, without the guard
CREATE TABLE bench_audit_plain (LIKE plystra_data.audit_logs INCLUDING ALL);
ALTER TABLE bench_audit_plain
	ADD FOREIGN KEY (event_type) REFERENCES plystra_data.audit_event_types (key)
	ON UPDATE RESTRICT ON DELETE RESTRICT;
-- both inserted into by an application role, as applications do (the
-- storage owner's inserts take another path: they keep what they send)
CREATE ROLE bench_app LOGIN;
GRANT USAGE ON SCHEMA plystra TO bench_app;
GRANT SELECT, INSERT ON plystra.audit_logs, bench_audit_plain TO bench_app;
