-- 0002_runs: deployment runs, their steps (each with an idempotency key that
-- is stable across retries and resumes) and the checkpoints of their phases.

CREATE TABLE dive.runs (
	id           bigserial PRIMARY KEY,
	code         text NOT NULL REFERENCES dive.instances (code),
	mode         text NOT NULL CHECK (mode ~ '^[a-z][a-z-]{0,31}$'),
	started_at   timestamptz NOT NULL DEFAULT now(),
	ended_at     timestamptz,
	outcome      text NOT NULL DEFAULT 'running'
		CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted', 'rolled_back')),
	actor        text NOT NULL,
	host         text NOT NULL,
	pid          integer NOT NULL,
	backend_pid  integer,
	resumes      integer NOT NULL DEFAULT 0,
	CHECK (ended_at IS NULL OR ended_at >= started_at),
	CHECK ((outcome = 'running') = (ended_at IS NULL))
);
CREATE INDEX runs_code_started ON dive.runs (code, started_at DESC);

ALTER TABLE dive.instances ADD CONSTRAINT instances_run_fk FOREIGN KEY (run_id) REFERENCES dive.runs (id);
ALTER TABLE dive.transitions ADD CONSTRAINT transitions_run_fk FOREIGN KEY (run_id) REFERENCES dive.runs (id);

CREATE TABLE dive.steps (
	id          bigserial PRIMARY KEY,
	run_id      bigint NOT NULL REFERENCES dive.runs (id),
	phase       text NOT NULL
		CHECK (phase IN ('preflight', 'initialization', 'deployment', 'configuration', 'verification', 'rollback')),
	service     text NOT NULL DEFAULT '',
	action      text NOT NULL,
	idem_key    text NOT NULL,
	attempt     integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
	status      text NOT NULL CHECK (status IN ('running', 'done', 'failed', 'skipped', 'undone')),
	started_at  timestamptz NOT NULL DEFAULT now(),
	ended_at    timestamptz,
	duration_ms bigint,
	error_code  integer,
	error       text,
	detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
	UNIQUE (run_id, idem_key)
);

CREATE TABLE dive.checkpoints (
	id         bigserial PRIMARY KEY,
	run_id     bigint NOT NULL REFERENCES dive.runs (id),
	code       text NOT NULL REFERENCES dive.instances (code),
	phase      text NOT NULL
		CHECK (phase IN ('preflight', 'initialization', 'deployment', 'configuration', 'verification', 'complete')),
	payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (run_id, phase)
);
CREATE INDEX checkpoints_code_created ON dive.checkpoints (code, created_at DESC);
