\set uid random(1, 1000000)
SELECT m.id, m.display_name FROM plystra.members m
 WHERE m.id IN (SELECT um.member_id FROM plystra.user_members um WHERE um.user_id = :uid);
