-- ext/defs/audit_seals.sql
-- Current definitions: the seals of the audit log (1.2), tamper evidence.
-- Included by audit.sql and by the update to 1.2, once the registry and
-- the append-only guard exist.

@append_only audit_seals 'Seals are evidence: they are never changed or removed.'
INSERT INTO plystra_data.append_only_relations (relation, builtin)
	VALUES ('plystra_data.audit_seals', true);

CREATE FUNCTION plystra.audit_seal()
RETURNS bigint
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_seal';
REVOKE ALL ON FUNCTION plystra.audit_seal() FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_seal() IS
'Seals every audit row not sealed yet, up to the highest id no transaction can still commit below, one seal per period; returns the number of rows sealed';

CREATE FUNCTION plystra.audit_verify()
RETURNS TABLE (seal_id bigint, first_id bigint, last_id bigint, problem text, detail text)
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_verify';
REVOKE ALL ON FUNCTION plystra.audit_verify() FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_verify() IS
'Recomputes every seal from the audit rows: one row per discrepancy (row changed, row missing, row added, seal chain broken); no rows means intact';

CREATE FUNCTION plystra.audit_head()
RETURNS text
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_head';
REVOKE ALL ON FUNCTION plystra.audit_head() FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_head() IS
'The latest seal as one line to keep outside the database: plystra-audit-head:v1:<seal>:<last id>:<hash>; NULL before the first seal';

CREATE FUNCTION plystra.audit_verify_head(head text)
RETURNS boolean
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'plystra_audit_verify_head';
REVOKE ALL ON FUNCTION plystra.audit_verify_head(text) FROM PUBLIC;
COMMENT ON FUNCTION plystra.audit_verify_head(text) IS
'Whether the audit log extends a head audit_head() gave: the chain of seals intact and the head''s seal in it, unchanged';
