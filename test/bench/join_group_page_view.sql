\set gid random(1, 10000)
SELECT u.id, u.email, u.display_name FROM plystra.user_allowed_groups ug
  JOIN plystra.users u ON u.id = ug.user_id
 WHERE ug.group_id = :gid ORDER BY u.id LIMIT 50;
SELECT count(*) FROM plystra.user_allowed_groups ug
  JOIN plystra.users u ON u.id = ug.user_id WHERE ug.group_id = :gid;
