-- test/bench/soft_delete_setup.sql: 1,000,000 users, a plain copy of the
-- users table for lookups, a view with the same soft delete written in
-- PL/pgSQL, and disjoint id ranges so that no round deletes a row twice.
INSERT INTO plystra_data.users (email, display_name)
	SELECT 'u' || i || '@bench.test', 'User ' || i FROM generate_series(1, 1000000) i;
CREATE TABLE bench_users_plain (LIKE plystra_data.users INCLUDING ALL);
INSERT INTO bench_users_plain SELECT * FROM plystra_data.users;
VACUUM ANALYZE plystra_data.users;
VACUUM ANALYZE bench_users_plain;

CREATE VIEW bench_users_plpgsql AS SELECT * FROM plystra.users;
CREATE FUNCTION bench_soft_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE plystra_data.users SET deleted_at = now()
	 WHERE id = OLD.id AND deleted_at IS NULL;
	IF FOUND THEN
		RETURN OLD;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER bench_soft_delete INSTEAD OF DELETE ON bench_users_plpgsql
	FOR EACH ROW EXECUTE FUNCTION bench_soft_delete();

CREATE SEQUENCE bench_del_c START 1;
CREATE SEQUENCE bench_del_plpgsql START 300001;
CREATE SEQUENCE bench_del_update START 600001;
CREATE SEQUENCE bench_insert;
