--
-- Seed data shipped by the migrations: 001's Finance Reviewer role and its
-- permissions, the audit event types the extension writes.  Seed rows are
-- marked builtin, have fixed ids below 1000, and are left out of pg_dump
-- (CREATE EXTENSION writes them again on restore).
--
SELECT r.id, r.key, r.name, r.space_id, r.builtin FROM plystra.roles r ORDER BY r.id;
SELECT p.id, p.key, p.description, p.builtin FROM plystra.permissions p ORDER BY p.id;
SELECT r.key AS role, p.key AS permission, rp.id, rp.builtin, rp.metadata
  FROM plystra.role_permissions rp
  JOIN plystra.roles r ON r.id = rp.role_id
  JOIN plystra.permissions p ON p.id = rp.permission_id
 ORDER BY rp.id;
SELECT id, key, builtin FROM plystra.audit_event_types ORDER BY id;

-- rows added by users get ids after the reserved seed range
INSERT INTO plystra.permissions (key) VALUES ('finance.budgets.read') RETURNING id, builtin;
INSERT INTO plystra.roles (key, name) VALUES ('auditor', 'Auditor') RETURNING id, builtin;
INSERT INTO plystra.audit_event_types (key) VALUES ('custom.event') RETURNING id, builtin;

-- the dump filters leave out exactly the seed rows
SELECT count(*) AS dumped_roles FROM plystra_data.roles WHERE NOT builtin;
SELECT count(*) AS dumped_permissions FROM plystra_data.permissions WHERE NOT builtin;

DELETE FROM plystra_data.permissions WHERE key = 'finance.budgets.read';
DELETE FROM plystra_data.roles WHERE key = 'auditor';
DELETE FROM plystra_data.audit_event_types WHERE key = 'custom.event';
