-- ext/defs/operations.sql
-- Current definitions: the manifest of what the installed version defines,
-- drift_check() and doctor().

/*
 * Operations: the manifest of what this version defines, drift_check() and
 * doctor().
 *
 * plystra._catalog_facts() describes every object of the extension's two
 * schemas as (object_type, object, detail) rows: relations, columns with
 * their types, defaults and nullability, constraints, indexes with their
 * predicates, triggers with their enabled state, views with their
 * definitions, functions with their full definition (volatility, security,
 * settings), sequences, event triggers, extension members, dump
 * registration, and what PUBLIC may do.  Privileges a DBA grants to named
 * roles are not drift and are left out.  At the end of each version script
 * the facts are recorded as that version's manifest; drift_check() compares
 * the live facts with the manifest of the installed version.  Capturing the
 * manifest on the server itself keeps it independent of how the server
 * version deparses definitions; the upgrade matrix checks that every path
 * to a version records the same manifest.
 */
-- plystra._catalog_facts(): ext/defs/catalog_facts.sql (1.0 granted and
-- commented it as here)
REVOKE ALL ON FUNCTION plystra._catalog_facts() FROM PUBLIC;
COMMENT ON FUNCTION plystra._catalog_facts() IS
'Internal: every object of the extension''s schemas as (object_type, object, detail) facts';

CREATE TABLE plystra_data.manifest (
	version		text NOT NULL,
	object_type	text NOT NULL,
	object		text NOT NULL,
	detail		text NOT NULL,
	CONSTRAINT manifest_pkey PRIMARY KEY (version, object_type, object)
);
COMMENT ON TABLE plystra_data.manifest IS
'What each installed version of the extension defines, recorded by its script; drift_check() compares the catalog with it. Not dumped: CREATE EXTENSION records it again';
@append_only manifest 'The manifest is what the extension version defines.'
@script_only manifest
INSERT INTO plystra_data.append_only_relations (relation, builtin)
	VALUES ('plystra_data.manifest', true);


CREATE FUNCTION plystra._drift_before_update()
RETURNS text
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_drift_before_update';
REVOKE ALL ON FUNCTION plystra._drift_before_update() FROM PUBLIC;
COMMENT ON FUNCTION plystra._drift_before_update() IS
'Internal: the drift against the installed version found when the update running in this transaction began, as JSON';

/*
 * The manifest of a version is the catalog at the end of its script, but
 * for what drifted before the update (remembered by the DDL guard at the
 * update's first command, see _drift_before_update()): an
 * object that was there unexpectedly is not recorded (it stays
 * unexpected); one that was changed keeps the definition the previous
 * version expected, if it is still there; one that was missing is recorded
 * as expected, unless the update made it again.
 */
CREATE FUNCTION plystra._record_manifest(version text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH carried AS (
		SELECT c.object_type, c.object, c.drift, c.expected
		  FROM jsonb_to_recordset(coalesce(plystra._drift_before_update(), '[]')::jsonb)
			   AS c(object_type text, object text, drift text, expected text)
	), live AS (
		SELECT f.object_type, f.object, f.detail FROM plystra._catalog_facts() f
	)
	INSERT INTO plystra_data.manifest (version, object_type, object, detail)
	SELECT $1, l.object_type, l.object, l.detail
	  FROM live l
	 WHERE NOT EXISTS (SELECT 1 FROM carried c
						WHERE c.object_type = l.object_type AND c.object = l.object
						  AND c.drift IN ('unexpected', 'changed'))
	UNION ALL
	SELECT $1, c.object_type, c.object, c.expected
	  FROM carried c
	 WHERE (c.drift = 'changed'
			AND EXISTS (SELECT 1 FROM live l WHERE l.object_type = c.object_type AND l.object = c.object))
		OR (c.drift = 'missing'
			AND NOT EXISTS (SELECT 1 FROM live l WHERE l.object_type = c.object_type AND l.object = c.object))
$$;
REVOKE ALL ON FUNCTION plystra._record_manifest(text) FROM PUBLIC;
COMMENT ON FUNCTION plystra._record_manifest(text) IS
'Internal: records what a version defines, at the end of its script';

CREATE FUNCTION plystra._library_version()
RETURNS text
LANGUAGE C IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_library_version_sql';
COMMENT ON FUNCTION plystra._library_version() IS
'The version of the loaded plystra library';

CREATE FUNCTION plystra.drift_check()
RETURNS TABLE (object_type text, object text, drift text, expected text, actual text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH want AS (
		SELECT m.object_type, m.object, m.detail
		  FROM plystra_data.manifest m
		 WHERE m.version = (SELECT extversion FROM pg_catalog.pg_extension
							 WHERE extname = 'plystra')
	), live AS (
		SELECT f.object_type, f.object, f.detail FROM plystra._catalog_facts() f
	)
	SELECT coalesce(w.object_type, l.object_type),
		   coalesce(w.object, l.object),
		   CASE WHEN l.object IS NULL THEN 'missing'
				WHEN w.object IS NULL THEN 'unexpected'
				ELSE 'changed' END,
		   w.detail, l.detail
	  FROM want w
	  FULL JOIN live l ON l.object_type = w.object_type AND l.object = w.object
	 WHERE w.detail IS DISTINCT FROM l.detail
	 ORDER BY 1, 2
$$;
REVOKE ALL ON FUNCTION plystra.drift_check() FROM PUBLIC;
COMMENT ON FUNCTION plystra.drift_check() IS
'Every difference between the catalog of the extension''s objects and what the installed version defines; no rows means no drift';

-- plystra.doctor(): ext/defs/doctor.sql
REVOKE ALL ON FUNCTION plystra.doctor() FROM PUBLIC;
COMMENT ON FUNCTION plystra.doctor() IS
'Checks a DBA runs before restarting the application: versions, migrations, drift, guards, inheritance and keys of append-only tables, dump registration, privileges, audit log';
