\set uid random(1, 1000000)
SELECT m.id, m.display_name FROM bench_plain.user_members um
  JOIN bench_plain.users u ON u.id = um.user_id AND u.deleted_at IS NULL
  JOIN bench_plain.members m ON m.id = um.member_id AND m.deleted_at IS NULL
 WHERE um.user_id = :uid;
