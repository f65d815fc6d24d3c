SELECT nextval('bench_del_c') AS id \gset
DELETE FROM plystra.users WHERE id = :id;
