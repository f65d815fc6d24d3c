INSERT INTO plystra.audit_logs (event_type, actor_user_id, target_type, target_id, details) VALUES ('user.login.succeeded', 42, 'user', '42', '{"ip": "10.0.0.1"}');
