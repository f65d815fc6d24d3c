\set id random(1, 1000000)
SELECT id, email, display_name, status FROM plystra.users WHERE id = :id;
