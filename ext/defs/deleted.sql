-- ext/defs/deleted.sql
-- Current definitions: the views of deleted rows, plystra.deleted_<entity>
-- (1.2).  After migrations.sql, whose read_only_view() they use.

/*
 * Deleted rows on purpose: plystra.deleted_<entity> lists the soft-deleted
 * rows of an entity (an admin screen, an undo button; restore() brings one
 * back), with who deleted each: the acting user, role and request of the
 * entity.deleted audit row that recorded it.  For the admin access
 * (grants.sql).  Owned by the extension's owner, a superuser, to whom the
 * storage's row-level security does not apply; security barriers, so that
 * a caller's function in a WHERE clause sees deleted rows only; read-only
 * for every role.  users leaves password_hash out, as plystra.users does.
 */

CREATE VIEW plystra.deleted_spaces WITH (security_barrier) AS
SELECT t.*,
	   d.actor_user_id AS deleted_by_user_id, d.actor_role AS deleted_by_role,
	   d.request_id AS deleted_in_request
  FROM plystra_data.spaces t
  LEFT JOIN LATERAL (
	SELECT a.actor_user_id, a.actor_role, a.request_id
	  FROM plystra_data.audit_logs a
	 WHERE a.target_type OPERATOR(pg_catalog.=) 'spaces'
	   AND a.target_id OPERATOR(pg_catalog.=) t.id::pg_catalog.text
	   AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'
	 ORDER BY a.created_at DESC, a.id DESC
	 LIMIT 1) d ON true
 WHERE t.deleted_at IS NOT NULL;
COMMENT ON VIEW plystra.deleted_spaces IS
'The soft-deleted spaces, with who deleted each (admin access; read-only; plystra.restore() brings one back)';
CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.deleted_spaces
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.deleted_spaces', 'plystra_read_only');

CREATE VIEW plystra.deleted_groups WITH (security_barrier) AS
SELECT t.*,
	   d.actor_user_id AS deleted_by_user_id, d.actor_role AS deleted_by_role,
	   d.request_id AS deleted_in_request
  FROM plystra_data.groups t
  LEFT JOIN LATERAL (
	SELECT a.actor_user_id, a.actor_role, a.request_id
	  FROM plystra_data.audit_logs a
	 WHERE a.target_type OPERATOR(pg_catalog.=) 'groups'
	   AND a.target_id OPERATOR(pg_catalog.=) t.id::pg_catalog.text
	   AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'
	 ORDER BY a.created_at DESC, a.id DESC
	 LIMIT 1) d ON true
 WHERE t.deleted_at IS NOT NULL;
COMMENT ON VIEW plystra.deleted_groups IS
'The soft-deleted groups, with who deleted each (admin access; read-only; plystra.restore() brings one back)';
CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.deleted_groups
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.deleted_groups', 'plystra_read_only');

CREATE VIEW plystra.deleted_users WITH (security_barrier) AS
SELECT t.id, t.email, t.display_name, t.status, t.created_at, t.updated_at, t.deleted_at,
	   t.password_changed_at, t.password_expires_at, t.must_change_password,
	   t.failed_login_count, t.locked_until, t.last_login_at, t.last_login_ip,
	   d.actor_user_id AS deleted_by_user_id, d.actor_role AS deleted_by_role,
	   d.request_id AS deleted_in_request
  FROM plystra_data.users t
  LEFT JOIN LATERAL (
	SELECT a.actor_user_id, a.actor_role, a.request_id
	  FROM plystra_data.audit_logs a
	 WHERE a.target_type OPERATOR(pg_catalog.=) 'users'
	   AND a.target_id OPERATOR(pg_catalog.=) t.id::pg_catalog.text
	   AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'
	 ORDER BY a.created_at DESC, a.id DESC
	 LIMIT 1) d ON true
 WHERE t.deleted_at IS NOT NULL;
COMMENT ON VIEW plystra.deleted_users IS
'The soft-deleted users, with who deleted each (admin access; read-only; plystra.restore() brings one back)';
CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.deleted_users
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.deleted_users', 'plystra_read_only');

CREATE VIEW plystra.deleted_members WITH (security_barrier) AS
SELECT t.*,
	   d.actor_user_id AS deleted_by_user_id, d.actor_role AS deleted_by_role,
	   d.request_id AS deleted_in_request
  FROM plystra_data.members t
  LEFT JOIN LATERAL (
	SELECT a.actor_user_id, a.actor_role, a.request_id
	  FROM plystra_data.audit_logs a
	 WHERE a.target_type OPERATOR(pg_catalog.=) 'members'
	   AND a.target_id OPERATOR(pg_catalog.=) t.id::pg_catalog.text
	   AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'
	 ORDER BY a.created_at DESC, a.id DESC
	 LIMIT 1) d ON true
 WHERE t.deleted_at IS NOT NULL;
COMMENT ON VIEW plystra.deleted_members IS
'The soft-deleted members, with who deleted each (admin access; read-only; plystra.restore() brings one back)';
CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.deleted_members
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.deleted_members', 'plystra_read_only');

CREATE VIEW plystra.deleted_roles WITH (security_barrier) AS
SELECT t.*,
	   d.actor_user_id AS deleted_by_user_id, d.actor_role AS deleted_by_role,
	   d.request_id AS deleted_in_request
  FROM plystra_data.roles t
  LEFT JOIN LATERAL (
	SELECT a.actor_user_id, a.actor_role, a.request_id
	  FROM plystra_data.audit_logs a
	 WHERE a.target_type OPERATOR(pg_catalog.=) 'roles'
	   AND a.target_id OPERATOR(pg_catalog.=) t.id::pg_catalog.text
	   AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'
	 ORDER BY a.created_at DESC, a.id DESC
	 LIMIT 1) d ON true
 WHERE t.deleted_at IS NOT NULL;
COMMENT ON VIEW plystra.deleted_roles IS
'The soft-deleted roles, with who deleted each (admin access; read-only; plystra.restore() brings one back)';
CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.deleted_roles
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.deleted_roles', 'plystra_read_only');

CREATE VIEW plystra.deleted_resources WITH (security_barrier) AS
SELECT t.*,
	   d.actor_user_id AS deleted_by_user_id, d.actor_role AS deleted_by_role,
	   d.request_id AS deleted_in_request
  FROM plystra_data.resources t
  LEFT JOIN LATERAL (
	SELECT a.actor_user_id, a.actor_role, a.request_id
	  FROM plystra_data.audit_logs a
	 WHERE a.target_type OPERATOR(pg_catalog.=) 'resources'
	   AND a.target_id OPERATOR(pg_catalog.=) t.id::pg_catalog.text
	   AND a.event_type OPERATOR(pg_catalog.=) 'entity.deleted'
	 ORDER BY a.created_at DESC, a.id DESC
	 LIMIT 1) d ON true
 WHERE t.deleted_at IS NOT NULL;
COMMENT ON VIEW plystra.deleted_resources IS
'The soft-deleted resources, with who deleted each (admin access; read-only; plystra.restore() brings one back)';
CREATE TRIGGER plystra_read_only
	INSTEAD OF INSERT OR UPDATE OR DELETE ON plystra.deleted_resources
	FOR EACH ROW EXECUTE FUNCTION plystra.read_only_view();
SELECT plystra._enable_always_trigger('plystra.deleted_resources', 'plystra_read_only');
