SELECT nextval('bench_del_update') AS id \gset
UPDATE plystra.users SET deleted_at = now() WHERE id = :id;
