SELECT plpgsql_migrate('p_' || :round, lpad(nextval('bench_seq')::text, 10, '0'), 'UPDATE bench_counter SET n = n + 1');
