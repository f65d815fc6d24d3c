SELECT nextval('bench_del_plpgsql') AS id \gset
DELETE FROM bench_users_plpgsql WHERE id = :id;
