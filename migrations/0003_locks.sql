-- 0003_locks: who holds which advisory lock.  The lock itself is a
-- session-level pg_try_advisory_lock(namespace, hash) taken on a dedicated
-- connection; the holder writes this row in the same session.  A row only
-- counts while the lock is granted to its backend: dive.live_locks joins
-- pg_locks and pg_stat_activity, so a dead holder disappears with its
-- session even though its row is still here (the next holder overwrites it).

CREATE TABLE dive.lock_holders (
	name        text PRIMARY KEY CHECK (length(name) <= 128),
	key_ns      integer NOT NULL CHECK (key_ns > 0),
	key_id      integer NOT NULL CHECK (key_id >= 0),
	backend_pid integer NOT NULL,
	pid         integer NOT NULL,
	host        text NOT NULL,
	command     text NOT NULL,
	message     text,
	acquired_at timestamptz NOT NULL DEFAULT now(),
	expires_at  timestamptz
);

CREATE VIEW dive.live_locks AS
SELECT h.name, h.backend_pid, h.pid, h.host, h.command, h.message, h.acquired_at, h.expires_at,
       a.client_addr, a.backend_start, a.state AS backend_state
FROM dive.lock_holders h
JOIN pg_locks l
  ON l.locktype = 'advisory' AND l.granted
 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
 AND l.classid = h.key_ns::oid AND l.objid = h.key_id::oid AND l.objsubid = 2
 AND l.pid = h.backend_pid
LEFT JOIN pg_stat_activity a ON a.pid = h.backend_pid;
