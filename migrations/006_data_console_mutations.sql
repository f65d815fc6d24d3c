-- 006_data_console_mutations
-- Data Console (preview) edits resources: a row version for optimistic
-- concurrency, the flag that marks mutating actions, and the event type the
-- console writes.

ALTER TABLE plystra_data.resources
	ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE plystra_data.resource_actions
	ADD COLUMN mutating boolean NOT NULL DEFAULT false;

CREATE OR REPLACE VIEW plystra.resources AS
	SELECT id, space_id, resource_type_id, parent_id, external_id, name,
		   attributes, created_at, updated_at, deleted_at, version
	  FROM plystra_data.resources
	 WHERE deleted_at IS NULL;

CREATE OR REPLACE VIEW plystra.resource_actions AS
	SELECT id, resource_type_id, key, name, description, created_at,
		   updated_at, mutating
	  FROM plystra_data.resource_actions;

INSERT INTO plystra_data.audit_event_types (id, key, description, builtin) VALUES
	(7, 'data_console.mutation', 'A resource was changed through the Data Console', true);
