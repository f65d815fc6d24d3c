-- 011_ent_v1_type_alignment
-- Align column types with the v1.0 model: documents are jsonb, counters are
-- integer.  The interface views over these columns are rebuilt around the
-- change.

DROP VIEW plystra.resources;
DROP VIEW plystra.background_jobs;

ALTER TABLE plystra_data.resources
	ALTER COLUMN attributes DROP DEFAULT,
	ALTER COLUMN attributes TYPE jsonb USING attributes::jsonb,
	ALTER COLUMN attributes SET DEFAULT '{}';
ALTER TABLE plystra_data.resources
	ADD CONSTRAINT resources_attributes_check
		CHECK (jsonb_typeof(attributes) = 'object');

ALTER TABLE plystra_data.background_jobs
	ALTER COLUMN payload DROP DEFAULT,
	ALTER COLUMN payload TYPE jsonb USING payload::jsonb,
	ALTER COLUMN payload SET DEFAULT '{}',
	ALTER COLUMN attempts TYPE integer,
	ALTER COLUMN max_attempts TYPE integer;

CREATE VIEW plystra.resources AS
	SELECT id, space_id, resource_type_id, parent_id, external_id, name,
		   attributes, created_at, updated_at, deleted_at, version
	  FROM plystra_data.resources
	 WHERE deleted_at IS NULL;

CREATE VIEW plystra.background_jobs AS
	SELECT id, kind, status, payload, attempts, max_attempts, run_after,
		   locked_by, locked_at, last_error, finished_at, created_at, updated_at
	  FROM plystra_data.background_jobs;
