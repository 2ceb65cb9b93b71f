-- 0001_state: the states, the transitions allowed between them, the current
-- state of each instance (with a version for optimistic concurrency) and the
-- full history.  The transition table is also data in C
-- (src/model/state_machine.c); tests/integration/itest_state.c checks that
-- both agree, and the trigger below refuses what the table does not allow.

CREATE TABLE dive.states (
	name        text PRIMARY KEY,
	in_progress boolean NOT NULL,
	description text NOT NULL
);

INSERT INTO dive.states (name, in_progress, description) VALUES
	('UNKNOWN',      false, 'nothing deployed, or nothing known yet'),
	('INITIALIZING', true,  'configuration, secrets and networks are being prepared'),
	('DEPLOYING',    true,  'containers are being created and started'),
	('CONFIGURING',  true,  'Keycloak realms, clients and federation are being configured'),
	('VERIFYING',    true,  'every service and configured object is being checked'),
	('COMPLETE',     false, 'deployed and verified'),
	('FAILED',       false, 'the last run failed; its error is recorded'),
	('ROLLING_BACK', true,  'the steps of a failed run are being undone'),
	('CLEANUP',      true,  'containers (and, for clean, volumes) are being removed'),
	('INTERRUPTED',  false, 'a run stopped without finishing (signal, crash, lost connection); --resume continues it'),
	('STOPPED',      false, 'containers removed by down; volumes and configuration kept');

CREATE TABLE dive.state_transitions_allowed (
	from_state text NOT NULL REFERENCES dive.states (name),
	to_state   text NOT NULL REFERENCES dive.states (name),
	PRIMARY KEY (from_state, to_state),
	CHECK (from_state <> to_state)
);

INSERT INTO dive.state_transitions_allowed (from_state, to_state) VALUES
	('UNKNOWN', 'INITIALIZING'), ('UNKNOWN', 'CLEANUP'),
	('INITIALIZING', 'DEPLOYING'), ('INITIALIZING', 'FAILED'), ('INITIALIZING', 'INTERRUPTED'),
	('INITIALIZING', 'ROLLING_BACK'),
	('DEPLOYING', 'CONFIGURING'), ('DEPLOYING', 'FAILED'), ('DEPLOYING', 'INTERRUPTED'),
	('DEPLOYING', 'ROLLING_BACK'),
	('CONFIGURING', 'VERIFYING'), ('CONFIGURING', 'FAILED'), ('CONFIGURING', 'INTERRUPTED'),
	('CONFIGURING', 'ROLLING_BACK'),
	('VERIFYING', 'COMPLETE'), ('VERIFYING', 'FAILED'), ('VERIFYING', 'INTERRUPTED'),
	('VERIFYING', 'ROLLING_BACK'),
	('COMPLETE', 'INITIALIZING'), ('COMPLETE', 'DEPLOYING'), ('COMPLETE', 'CLEANUP'),
	('FAILED', 'INITIALIZING'), ('FAILED', 'DEPLOYING'), ('FAILED', 'ROLLING_BACK'), ('FAILED', 'CLEANUP'),
	('ROLLING_BACK', 'FAILED'), ('ROLLING_BACK', 'INTERRUPTED'),
	('CLEANUP', 'UNKNOWN'), ('CLEANUP', 'STOPPED'), ('CLEANUP', 'FAILED'), ('CLEANUP', 'INTERRUPTED'),
	('STOPPED', 'INITIALIZING'), ('STOPPED', 'DEPLOYING'), ('STOPPED', 'CLEANUP'),
	('INTERRUPTED', 'INITIALIZING'), ('INTERRUPTED', 'DEPLOYING'), ('INTERRUPTED', 'CONFIGURING'),
	('INTERRUPTED', 'VERIFYING'), ('INTERRUPTED', 'ROLLING_BACK'), ('INTERRUPTED', 'CLEANUP'),
	('INTERRUPTED', 'FAILED');

CREATE TABLE dive.instances (
	code       text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
	state      text NOT NULL DEFAULT 'UNKNOWN' REFERENCES dive.states (name),
	version    bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
	run_id     bigint,
	reason     text,
	updated_at timestamptz NOT NULL DEFAULT now(),
	updated_by text NOT NULL DEFAULT 'dive'
);

CREATE TABLE dive.transitions (
	id          bigserial PRIMARY KEY,
	code        text NOT NULL REFERENCES dive.instances (code),
	from_state  text NOT NULL REFERENCES dive.states (name),
	to_state    text NOT NULL REFERENCES dive.states (name),
	version     bigint NOT NULL,
	at          timestamptz NOT NULL DEFAULT now(),
	actor       text NOT NULL,
	reason      text,
	metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
	duration_ms bigint CHECK (duration_ms >= 0),
	run_id      bigint,
	UNIQUE (code, version)
);
CREATE INDEX transitions_code_at ON dive.transitions (code, at DESC);

-- The database refuses what the transition table does not allow, whoever
-- writes.  dive's own import of legacy state files sets dive.import = on for
-- its transaction: it records history that never went through the machine.
CREATE FUNCTION dive.check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.version <> OLD.version + 1 THEN
		RAISE EXCEPTION 'instance % changed without a version bump (% -> %)', OLD.code, OLD.version, NEW.version
			USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.state IS DISTINCT FROM OLD.state
	   AND coalesce(current_setting('dive.import', true), '') <> 'on'
	   AND NOT EXISTS (SELECT 1 FROM dive.state_transitions_allowed a
			   WHERE a.from_state = OLD.state AND a.to_state = NEW.state) THEN
		RAISE EXCEPTION 'illegal transition % -> % for %', OLD.state, NEW.state, OLD.code
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER instances_check_transition BEFORE UPDATE ON dive.instances
	FOR EACH ROW EXECUTE FUNCTION dive.check_transition();
