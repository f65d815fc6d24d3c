\set uid random(1, 1000000)
SELECT r.id, r.key FROM bench_plain.user_members um
  JOIN bench_plain.users u ON u.id = um.user_id AND u.deleted_at IS NULL
  JOIN bench_plain.members m ON m.id = um.member_id AND m.deleted_at IS NULL
  JOIN bench_plain.member_roles mr ON mr.member_id = um.member_id
  JOIN bench_plain.roles r ON r.id = mr.role_id AND r.deleted_at IS NULL
 WHERE um.user_id = :uid
   AND (mr.scope_anchor_group_id IS NULL
		OR EXISTS (SELECT FROM bench_plain.groups g
				   WHERE g.id = mr.scope_anchor_group_id AND g.deleted_at IS NULL));
