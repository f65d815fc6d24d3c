-- migration 015 rebuilt plystra.users: it is a security barrier again, and
-- its soft delete trigger comes back; the new relationship view is one too
ALTER VIEW plystra.users SET (security_barrier = true);
ALTER VIEW plystra.user_allowed_groups SET (security_barrier = true);
CREATE TRIGGER plystra_soft_delete INSTEAD OF DELETE ON plystra.users
	FOR EACH ROW EXECUTE FUNCTION plystra.soft_delete_trigger('plystra_data.users');

-- the new relationship cannot reference deleted users or groups
CREATE TRIGGER plystra_live_parents BEFORE INSERT OR UPDATE ON plystra_data.user_allowed_groups
	FOR EACH ROW EXECUTE FUNCTION plystra.live_parent_check('user_id', 'plystra_data.users',
															'group_id', 'plystra_data.groups');

-- last: what version 1.1 defines, for drift_check()
SELECT plystra._record_manifest('1.1');

-- end of plystra--1.0--1.1.sql
