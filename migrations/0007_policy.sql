-- 0007: every publish of the hub's policy (and the trusted issuers it
-- carries) to the OPAL server, so the verification of a spoke knows which
-- revision it must hold and a later publish (a spoke approved) reuses the
-- policy tree an operator published last.  src/client/policy_store.c.
CREATE TABLE dive.policy_publications (
	id           bigserial PRIMARY KEY,
	revision     text NOT NULL UNIQUE CHECK (revision ~ '^[A-Za-z0-9._-]{1,64}$'),
	digest       text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
	source       text NOT NULL CHECK (length(source) BETWEEN 1 AND 1024),
	issuers      jsonb NOT NULL CHECK (jsonb_typeof(issuers) = 'array'),
	outcome      text NOT NULL CHECK (outcome IN ('ok', 'failed')),
	commit_id    text CHECK (commit_id IS NULL OR commit_id ~ '^[0-9a-f]{7,64}$'),
	detail       text CHECK (detail IS NULL OR length(detail) <= 1024),
	actor        text NOT NULL,
	published_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_publications_ok ON dive.policy_publications (id DESC) WHERE outcome = 'ok';
