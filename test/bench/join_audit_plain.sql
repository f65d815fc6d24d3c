\set uid random(1, 1000000)
SELECT u.id, a.id, a.event_type, a.created_at FROM bench_plain.users u
 CROSS JOIN LATERAL (SELECT * FROM bench_plain.audit_logs a WHERE a.actor_user_id = u.id
					  ORDER BY a.created_at DESC LIMIT 10) a
 WHERE u.id = :uid AND u.deleted_at IS NULL;
