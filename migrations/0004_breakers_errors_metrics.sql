-- 0004_breakers_errors_metrics: circuit breakers shared by every dive
-- process, every recorded failure with its remediation, and metric samples
-- (readiness times feed the learned timeouts).

CREATE TABLE dive.breakers (
	name              text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9:._-]{0,63}$'),
	state             text NOT NULL DEFAULT 'closed'
		CHECK (state IN ('closed', 'open', 'half_open', 'forced_open', 'disabled')),
	failures          integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	successes         integer NOT NULL DEFAULT 0 CHECK (successes >= 0),
	window_started_at timestamptz,
	opened_at         timestamptz,
	next_probe_at     timestamptz,
	open_count        integer NOT NULL DEFAULT 0 CHECK (open_count >= 0),
	probes_in_flight  integer NOT NULL DEFAULT 0 CHECK (probes_in_flight >= 0),
	last_error        text,
	updated_at        timestamptz NOT NULL DEFAULT now(),
	version           bigint NOT NULL DEFAULT 0
);

CREATE TABLE dive.errors (
	id          bigserial PRIMARY KEY,
	at          timestamptz NOT NULL DEFAULT now(),
	code        integer NOT NULL CHECK (code BETWEEN 1000 AND 9999),
	severity    text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
	component   text NOT NULL,
	message     text NOT NULL,
	remediation text NOT NULL,
	context     jsonb NOT NULL DEFAULT '{}'::jsonb,
	instance    text REFERENCES dive.instances (code),
	run_id      bigint REFERENCES dive.runs (id),
	step_id     bigint REFERENCES dive.steps (id),
	resolved_at timestamptz
);
CREATE INDEX errors_at ON dive.errors (at DESC);
CREATE INDEX errors_code_at ON dive.errors (code, at DESC);

CREATE TABLE dive.metric_samples (
	id       bigserial PRIMARY KEY,
	at       timestamptz NOT NULL DEFAULT now(),
	name     text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
	instance text,
	subject  text NOT NULL DEFAULT '',
	value    double precision NOT NULL,
	unit     text,
	labels   jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX metric_samples_lookup ON dive.metric_samples (name, subject, at DESC);
