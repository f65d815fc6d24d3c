-- 010_v1_core_required_fields
-- Fields that v1.0 requires: fill the gaps left by earlier rows, then make
-- the columns NOT NULL.

UPDATE plystra_data.plugins SET version = '0.0.0' WHERE version IS NULL;
ALTER TABLE plystra_data.plugins ALTER COLUMN version SET NOT NULL;

UPDATE plystra_data.template_installations SET template_version = '0.0.0'
 WHERE template_version IS NULL;
ALTER TABLE plystra_data.template_installations
	ALTER COLUMN template_version SET NOT NULL;

UPDATE plystra_data.members SET display_name = '' WHERE display_name IS NULL;
ALTER TABLE plystra_data.members
	ALTER COLUMN display_name SET DEFAULT '',
	ALTER COLUMN display_name SET NOT NULL;
