-- test/bench/audit_setup.sql: a plain table with the columns, defaults,
-- indexes and foreign key of plystra_data.audit_logs, without the guard
CREATE TABLE bench_audit_plain (LIKE plystra_data.audit_logs INCLUDING ALL);
ALTER TABLE bench_audit_plain
	ADD FOREIGN KEY (event_type) REFERENCES plystra_data.audit_event_types (key)
	ON UPDATE RESTRICT ON DELETE RESTRICT;
