-- 015_user_allowed_groups
-- The groups a user may bind move from the array users.allowed_groups to
-- relationship rows (user_id, group_id): the database now checks that each
-- group exists, and removing an association deletes its row.
--
-- Every element of every user's array becomes a row (soft-deleted users
-- and groups included, so nothing stored is lost); duplicates and NULL
-- elements are dropped.  An element naming a group that does not exist
-- stops the update with a foreign key error naming it: fix or remove it in
-- plystra_data.users.allowed_groups, then update again.

CREATE TABLE plystra_data.user_allowed_groups (
	user_id		bigint NOT NULL,
	group_id	bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT user_allowed_groups_pkey PRIMARY KEY (user_id, group_id),
	CONSTRAINT user_allowed_groups_user_id_fkey FOREIGN KEY (user_id)
		REFERENCES plystra_data.users (id),
	CONSTRAINT user_allowed_groups_group_id_fkey FOREIGN KEY (group_id)
		REFERENCES plystra_data.groups (id)
);
CREATE INDEX user_allowed_groups_group_id_idx
	ON plystra_data.user_allowed_groups (group_id);
COMMENT ON TABLE plystra_data.user_allowed_groups IS 'Groups a user is allowed to bind; an association is a row, removed by deleting it';

INSERT INTO plystra_data.user_allowed_groups (user_id, group_id)
SELECT DISTINCT u.id, g.group_id
  FROM plystra_data.users u,
	   LATERAL unnest(u.allowed_groups) AS g(group_id)
 WHERE g.group_id IS NOT NULL
 ORDER BY 1, 2;

SELECT plystra._replace_view('plystra.users', $view$
	SELECT id, email, display_name, status, created_at, updated_at, deleted_at,
		   password_changed_at, password_expires_at, must_change_password,
		   failed_login_count, locked_until, last_login_at, last_login_ip
	  FROM plystra_data.users
	 WHERE deleted_at IS NULL
$view$);

ALTER TABLE plystra_data.users DROP COLUMN allowed_groups;

CREATE VIEW plystra.user_allowed_groups AS
	SELECT r.user_id, r.group_id, r.created_at
	  FROM plystra_data.user_allowed_groups r
	 WHERE EXISTS (SELECT 1 FROM plystra_data.users p
				   WHERE p.id = r.user_id AND p.deleted_at IS NULL)
	   AND EXISTS (SELECT 1 FROM plystra_data.groups p
				   WHERE p.id = r.group_id AND p.deleted_at IS NULL);

SELECT pg_catalog.pg_extension_config_dump('plystra_data.user_allowed_groups', '');
