\set uid random(1, 1000000)
SELECT r.id, r.key FROM plystra.user_members um
  JOIN plystra.member_roles mr ON mr.member_id = um.member_id
  JOIN plystra.roles r ON r.id = mr.role_id
 WHERE um.user_id = :uid;
