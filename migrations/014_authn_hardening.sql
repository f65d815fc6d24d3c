-- 014_authn_hardening
-- Native authentication: password lifecycle (when it was set, when it
-- expires, whether it must change), lockout after failed attempts, and the
-- last sign-in, plus the event types the sign-in path writes.

ALTER TABLE plystra_data.users
	ADD COLUMN password_changed_at timestamptz,
	ADD COLUMN password_expires_at timestamptz,
	ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
	ADD COLUMN failed_login_count integer NOT NULL DEFAULT 0,
	ADD COLUMN locked_until timestamptz,
	ADD COLUMN last_login_at timestamptz,
	ADD COLUMN last_login_ip inet,
	ADD CONSTRAINT users_failed_login_count_check CHECK (failed_login_count >= 0);

CREATE OR REPLACE VIEW plystra.users AS
	SELECT id, email, display_name, status, allowed_groups, created_at,
		   updated_at, deleted_at, password_changed_at, password_expires_at,
		   must_change_password, failed_login_count, locked_until,
		   last_login_at, last_login_ip
	  FROM plystra_data.users
	 WHERE deleted_at IS NULL;

INSERT INTO plystra_data.audit_event_types (id, key, description, builtin) VALUES
	(10, 'user.login.succeeded', 'A user signed in', true),
	(11, 'user.login.failed', 'A sign-in attempt failed', true),
	(12, 'user.locked', 'A user was locked out after failed sign-ins', true),
	(13, 'user.password.changed', 'A user''s password was set or changed', true);
