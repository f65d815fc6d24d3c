-- 016_access_events
-- The audit events of plystra.grant_access() and plystra.revoke_access():
-- who gave or took which access to the extension from which role.
--
-- Before 1.2 whoever could write plystra.audit_event_types chose the ids
-- and keys of its rows.  A row of one's own that holds one of the ids
-- below moves to a new id (audit rows name their event type by key, never
-- by id); one that holds one of the keys becomes the built-in row, with
-- its id, so that the audit rows written with it stay valid.

UPDATE plystra_data.audit_event_types
   SET id = nextval('plystra_data.audit_event_types_id_seq')
 WHERE id IN (14, 15)
   AND key NOT IN ('audit.access_granted', 'audit.access_revoked');

UPDATE plystra_data.audit_event_types t
   SET builtin = true, description = v.description
  FROM (VALUES
		('audit.access_granted', 'A role was given an access to the extension'),
		('audit.access_revoked', 'An access of a role to the extension was taken away')
	   ) AS v(key, description)
 WHERE t.key = v.key;

INSERT INTO plystra_data.audit_event_types (id, key, description, builtin)
SELECT v.id, v.key, v.description, true
  FROM (VALUES
		(14, 'audit.access_granted', 'A role was given an access to the extension'),
		(15, 'audit.access_revoked', 'An access of a role to the extension was taken away')
	   ) AS v(id, key, description)
 WHERE NOT EXISTS (SELECT 1 FROM plystra_data.audit_event_types t WHERE t.key = v.key)
 ORDER BY v.id;
