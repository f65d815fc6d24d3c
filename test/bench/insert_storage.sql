SELECT nextval('bench_insert') AS n \gset
INSERT INTO plystra_data.users (email) VALUES ('s' || :n || '@bench.test');
