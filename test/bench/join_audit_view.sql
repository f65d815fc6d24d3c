\set uid random(1, 1000000)
SELECT u.id, a.id, a.event_type, a.created_at FROM plystra.users u
 CROSS JOIN LATERAL (SELECT * FROM plystra.audit_logs a WHERE a.actor_user_id = u.id
					  ORDER BY a.created_at DESC LIMIT 10) a
 WHERE u.id = :uid;
