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

@deleted_rows spaces t.*
@deleted_rows groups t.*
@deleted_rows users t.id, t.email, t.display_name, t.status, t.created_at, t.updated_at, t.deleted_at, t.password_changed_at, t.password_expires_at, t.must_change_password, t.failed_login_count, t.locked_until, t.last_login_at, t.last_login_ip
@deleted_rows members t.*
@deleted_rows roles t.*
@deleted_rows resources t.*
