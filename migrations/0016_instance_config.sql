-- 0016_instance_config: the hash of each spoke's instance configuration
-- (instances/<code>/instance.yml under the environment and the flags;
-- include/dive/instcfg.h), recorded with every run that reads it and, on the
-- instance, the one its last successful deploy applied.  A hash only: the
-- file holds no secret, and the store keeps no copy of it.  `dive state show`
-- and the runs then say when the configuration changed.

ALTER TABLE dive.runs
	ADD COLUMN config_hash text CHECK (config_hash ~ '^[0-9a-f]{64}$');

ALTER TABLE dive.instances
	ADD COLUMN config_hash text CHECK (config_hash ~ '^[0-9a-f]{64}$'),
	ADD COLUMN config_applied_at timestamptz;

-- Where an instance is placed (engine, 0015) and the configuration it
-- applied are facts about it, not transitions of its state machine: a row
-- whose state, version, run, reason and authorship stay as they were may
-- change them without a version bump.  Everything else goes through the
-- machine as before.
CREATE OR REPLACE FUNCTION dive.check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF ROW(NEW.code, NEW.state, NEW.version, NEW.run_id, NEW.reason, NEW.updated_at, NEW.updated_by)
	   IS NOT DISTINCT FROM ROW(OLD.code, OLD.state, OLD.version, OLD.run_id, OLD.reason, OLD.updated_at, OLD.updated_by) THEN
		RETURN NEW;
	END IF;
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
