-- 017_live_parents
-- Relationship rows say whether the parents they belong to are live.
--
-- A relationship row whose user, member, role, group, space or resource is
-- soft-deleted is hidden from the interface.  Until 1.2 each view looked
-- the parents up for every row it read, which kept a join through the view
-- from using the indexes of the tables under it.  The row now carries the
-- answer: parents_live, kept by the extension's triggers when a row is
-- written and when a parent is deleted or restored, and never shown by the
-- interface.  The extension's update sets it for the rows already stored.

ALTER TABLE plystra_data.user_members
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.role_permissions
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.member_roles
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.resource_mappings
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.plugin_settings_values
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.template_installations
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.sessions
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.admin_grants
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
ALTER TABLE plystra_data.user_allowed_groups
	ADD COLUMN parents_live boolean NOT NULL DEFAULT true;
