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
