-- 0006: `dive spoke verify CODE` runs the verification phase alone on a
-- deployed (COMPLETE) instance, or again on a FAILED one after a repair
-- (`dive federation reconcile`).  The C table in src/model/state_machine.c
-- holds the same pairs; tests/integration/itest_state.c checks they agree.
INSERT INTO dive.state_transitions_allowed (from_state, to_state) VALUES
	('COMPLETE', 'VERIFYING'), ('FAILED', 'VERIFYING');
