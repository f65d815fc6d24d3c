\set id random(1, 1000000)
SELECT id, email, display_name, status FROM bench_users_plain WHERE id = :id;
