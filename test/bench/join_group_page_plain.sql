\set gid random(1, 10000)
SELECT u.id, u.email, u.display_name FROM bench_plain.user_allowed_groups ug
  JOIN bench_plain.users u ON u.id = ug.user_id AND u.deleted_at IS NULL
  JOIN bench_plain.groups g ON g.id = ug.group_id AND g.deleted_at IS NULL
 WHERE ug.group_id = :gid ORDER BY u.id LIMIT 50;
SELECT count(*) FROM bench_plain.user_allowed_groups ug
  JOIN bench_plain.users u ON u.id = ug.user_id AND u.deleted_at IS NULL
  JOIN bench_plain.groups g ON g.id = ug.group_id AND g.deleted_at IS NULL
 WHERE ug.group_id = :gid;
