\set uid random(1, 1000000)
SELECT m.id, m.display_name FROM plystra.user_members um
  JOIN plystra.members m ON m.id = um.member_id WHERE um.user_id = :uid;
