SELECT nextval('bench_insert') AS n \gset
INSERT INTO plystra.users (email) VALUES ('v' || :n || '@bench.test');
