-- test/bench/audit_setup.sql: a plain partitioned table with the columns,
-- defaults, partitions (the same bounds), keys, indexes and foreign key of
-- plystra_data.audit_logs, without the guard (audit_maintain() has made
-- plystra's partitions before this runs)
CREATE SEQUENCE bench_audit_plain_id_seq;
CREATE TABLE bench_audit_plain (LIKE plystra_data.audit_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
	PARTITION BY RANGE (created_at);
ALTER TABLE bench_audit_plain
	ALTER COLUMN id SET DEFAULT nextval('bench_audit_plain_id_seq'),
	ADD FOREIGN KEY (event_type) REFERENCES plystra_data.audit_event_types (key)
	ON UPDATE RESTRICT ON DELETE RESTRICT;
DO $$
DECLARE
	p record;
	n int := 0;
BEGIN
	FOR p IN SELECT * FROM plystra.audit_partitions() LOOP
		n := n + 1;
		IF p.is_default THEN
			EXECUTE format('CREATE TABLE bench_audit_plain_%s PARTITION OF bench_audit_plain DEFAULT', n);
		ELSE
			EXECUTE format('CREATE TABLE bench_audit_plain_%s PARTITION OF bench_audit_plain FOR VALUES FROM (%s) TO (%s)',
						   n, coalesce(quote_literal(p.from_time), 'MINVALUE'),
						   coalesce(quote_literal(p.to_time), 'MAXVALUE'));
		END IF;
		EXECUTE format('ALTER TABLE bench_audit_plain_%s ADD PRIMARY KEY (id)', n);
		EXECUTE format('CREATE INDEX ON bench_audit_plain_%s (created_at)', n);
		EXECUTE format('CREATE INDEX ON bench_audit_plain_%s (actor_user_id, created_at)', n);
		EXECUTE format('CREATE INDEX ON bench_audit_plain_%s (target_type, target_id, created_at)', n);
		EXECUTE format('CREATE INDEX ON bench_audit_plain_%s (event_type, created_at)', n);
	END LOOP;
END
$$;
-- both inserted into by an application role, as applications do (the
-- storage owner's inserts take another path: they keep what they send)
CREATE ROLE bench_app LOGIN;
GRANT USAGE ON SCHEMA plystra TO bench_app;
GRANT SELECT, INSERT ON plystra.audit_logs, bench_audit_plain TO bench_app;
GRANT USAGE ON SEQUENCE bench_audit_plain_id_seq TO bench_app;
