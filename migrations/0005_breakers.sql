-- 0005_breakers: what the circuit breakers (src/client/breaker_store.c) and
-- the recorded errors (src/client/errlog.c) need beyond 0004.
--
-- Breaker names stay lower case (the CHECK of 0004): dive lower-cases them on
-- input, so 'keycloak:DEU' is the breaker 'keycloak:deu'.
--
-- generation changes with every state change of a breaker; a call admitted
-- as a half-open probe carries it, so a probe that reports after its period
-- ended (the breaker reopened, closed, or forgot unreported probes) changes
-- nothing.  state_since and changed_by say since when and by whom the state
-- is what it is; last_error_at dates last_error.

ALTER TABLE dive.breakers
	ADD COLUMN generation    bigint NOT NULL DEFAULT 0 CHECK (generation >= 0),
	ADD COLUMN state_since   timestamptz NOT NULL DEFAULT now(),
	ADD COLUMN changed_by    text NOT NULL DEFAULT 'dive' CHECK (length(changed_by) <= 200),
	ADD COLUMN last_error_at timestamptz,
	ADD CONSTRAINT breakers_last_error_bounded CHECK (length(last_error) <= 512),
	ADD CONSTRAINT breakers_open_has_times CHECK (state NOT IN ('open', 'half_open')
		OR (opened_at IS NOT NULL AND next_probe_at IS NOT NULL));

-- Recorded errors are bounded like everything else that reaches the store.
-- NOT VALID: rows written before this migration are left as they are.
ALTER TABLE dive.errors
	ADD CONSTRAINT errors_component_name CHECK (component ~ '^[a-z][a-z0-9:._-]{0,63}$') NOT VALID,
	ADD CONSTRAINT errors_message_bounded CHECK (length(message) <= 1024) NOT VALID,
	ADD CONSTRAINT errors_remediation_bounded CHECK (length(remediation) <= 512) NOT VALID,
	ADD CONSTRAINT errors_context_object CHECK (jsonb_typeof(context) = 'object') NOT VALID;

-- errlog_counts() reads a run's errors on every threshold check.
CREATE INDEX errors_run ON dive.errors (run_id) WHERE run_id IS NOT NULL;
