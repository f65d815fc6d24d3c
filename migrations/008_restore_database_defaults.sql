-- 008_restore_database_defaults
-- Give back the database defaults that the plugin, template and job tables
-- were created without, so that plain SQL inserts need not spell them out.

ALTER TABLE plystra_data.plugins
	ALTER COLUMN status SET DEFAULT 'installed';
ALTER TABLE plystra_data.template_installations
	ALTER COLUMN status SET DEFAULT 'pending',
	ALTER COLUMN parameters SET DEFAULT '{}';
ALTER TABLE plystra_data.background_jobs
	ALTER COLUMN status SET DEFAULT 'queued',
	ALTER COLUMN payload SET DEFAULT '{}',
	ALTER COLUMN attempts SET DEFAULT 0,
	ALTER COLUMN max_attempts SET DEFAULT 5,
	ALTER COLUMN run_after SET DEFAULT now();
