-- 009_ent_v1_integration_guardrails
-- Constraints that keep rows written by plain SQL as valid as those written
-- by the application's typed model.

ALTER TABLE plystra_data.users
	ADD CONSTRAINT users_email_check
		CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$');
ALTER TABLE plystra_data.spaces
	ADD CONSTRAINT spaces_slug_check CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$');
ALTER TABLE plystra_data.groups
	ADD CONSTRAINT groups_slug_check CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$');
ALTER TABLE plystra_data.roles
	ADD CONSTRAINT roles_key_check CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$');
ALTER TABLE plystra_data.permissions
	ADD CONSTRAINT permissions_key_check
		CHECK (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$');
ALTER TABLE plystra_data.resource_types
	ADD CONSTRAINT resource_types_key_check CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$');
ALTER TABLE plystra_data.resource_actions
	ADD CONSTRAINT resource_actions_key_check CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$');
ALTER TABLE plystra_data.plugins
	ADD CONSTRAINT plugins_key_check CHECK (key ~ '^[a-z][a-z0-9_.-]{0,127}$'),
	ADD CONSTRAINT plugins_manifest_check CHECK (jsonb_typeof(manifest) = 'object');
ALTER TABLE plystra_data.background_jobs
	ADD CONSTRAINT background_jobs_attempts_check
		CHECK (attempts >= 0 AND max_attempts >= 1 AND attempts <= max_attempts);
ALTER TABLE plystra_data.audit_event_types
	ADD CONSTRAINT audit_event_types_key_check
		CHECK (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$');
