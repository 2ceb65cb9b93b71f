-- 0015_engines: the Docker engines dive deploys to besides the local one
-- (docs/architecture/engines.md, ADR 0005).  A row says where an engine is
-- and where its mutual-TLS material is: file paths (or, later, secret
-- provider references), never the material itself.  'local' is not a row:
-- it is the engine at --docker-host / DOCKER_HOST.
--
-- instances.engine places an instance on an engine (NULL: local).  The
-- foreign key refuses to remove an engine while an instance is placed on
-- it, whoever deletes.

CREATE TABLE dive.engines (
	name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,30}$' AND name <> 'local'),
	url        text NOT NULL CHECK (url ~ '^tcp://[A-Za-z0-9.:\[\]-]+$' AND length(url) <= 300),
	tls_ca     text CHECK (length(tls_ca) BETWEEN 1 AND 1024),
	tls_cert   text CHECK (length(tls_cert) BETWEEN 1 AND 1024),
	tls_key    text CHECK (length(tls_key) BETWEEN 1 AND 1024),
	created_at timestamptz NOT NULL DEFAULT now(),
	created_by text NOT NULL DEFAULT 'dive' CHECK (length(created_by) <= 200),
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by text NOT NULL DEFAULT 'dive' CHECK (length(updated_by) <= 200),
	CONSTRAINT engines_tls_all_or_none CHECK ((tls_ca IS NULL) = (tls_cert IS NULL)
		AND (tls_cert IS NULL) = (tls_key IS NULL)),
	-- references to files, not their content: no PEM, no line breaks
	CONSTRAINT engines_tls_no_material CHECK (
		coalesce(tls_ca, '') || coalesce(tls_cert, '') || coalesce(tls_key, '') !~ '(-----BEGIN|[\r\n])')
);

ALTER TABLE dive.instances
	ADD COLUMN engine text REFERENCES dive.engines (name) ON UPDATE RESTRICT ON DELETE RESTRICT;

CREATE INDEX instances_engine ON dive.instances (engine) WHERE engine IS NOT NULL;
