-- 016_access_events
-- The audit events of plystra.grant_access() and plystra.revoke_access():
-- who gave or took which access to the extension from which role.

INSERT INTO plystra_data.audit_event_types (id, key, description, builtin) VALUES
	(14, 'audit.access_granted', 'A role was given an access to the extension', true),
	(15, 'audit.access_revoked', 'An access of a role to the extension was taken away', true);
