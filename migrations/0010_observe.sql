-- 0010_observe: what `dive serve` needs (issues 14 and 15): the reports of
-- the scheduled federation audits, a monotonic count of breaker openings,
-- and change notifications for the live page.
--
-- dive.audit_reports: one row per audit `dive serve` ran (or an action of
-- the page ran after it changed something).  findings holds names, states
-- and drift kinds only (never a secret: an audit reads no secret value);
-- by_kind counts the codes with each drift kind, for the drift metric.
-- A failed audit is a row too (ok false, its error and taxonomy code), so
-- "no report" and "the audit failed" are never confused.

CREATE TABLE dive.audit_reports (
	id          bigserial PRIMARY KEY,
	started_at  timestamptz NOT NULL,
	at          timestamptz NOT NULL DEFAULT clock_timestamp(),
	duration_ms bigint NOT NULL CHECK (duration_ms >= 0),
	trigger     text NOT NULL CHECK (trigger IN ('schedule', 'action', 'manual')),
	actor       text NOT NULL CHECK (length(actor) <= 256),
	ok          boolean NOT NULL,
	error       text CHECK (length(error) <= 1024),
	error_code  integer CHECK (error_code BETWEEN 1000 AND 9999),
	codes       integer NOT NULL DEFAULT 0 CHECK (codes >= 0),
	drifted     integer NOT NULL DEFAULT 0 CHECK (drifted >= 0 AND drifted <= codes),
	by_kind     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(by_kind) = 'object'),
	findings    jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(findings) = 'array'),
	foreign_idps jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(foreign_idps) = 'array'),
	CHECK (ok OR error IS NOT NULL)
);
CREATE INDEX audit_reports_at ON dive.audit_reports (at DESC);

-- Breakers: open_count is reset when a breaker closes, so it cannot feed a
-- counter.  opens_total counts every move into open or forced_open, kept
-- by the database whoever writes the row.
ALTER TABLE dive.breakers ADD COLUMN opens_total bigint NOT NULL DEFAULT 0 CHECK (opens_total >= 0);

CREATE FUNCTION dive.count_breaker_opens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.state IN ('open', 'forced_open')
	   AND (TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM NEW.state) THEN
		NEW.opens_total := coalesce(CASE WHEN TG_OP = 'UPDATE' THEN OLD.opens_total END, 0) + 1;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER breakers_count_opens BEFORE INSERT OR UPDATE ON dive.breakers
	FOR EACH ROW EXECUTE FUNCTION dive.count_breaker_opens();

-- Change notifications: one NOTIFY per statement on channel dive_events,
-- the payload the table's name (PostgreSQL folds identical payloads of one
-- transaction).  `dive serve` LISTENs and tells the page's event streams.
CREATE FUNCTION dive.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('dive_events', TG_TABLE_NAME);
	RETURN NULL;
END
$$;

CREATE TRIGGER instances_notify AFTER INSERT OR UPDATE OR DELETE ON dive.instances
	FOR EACH STATEMENT EXECUTE FUNCTION dive.notify_change();
CREATE TRIGGER runs_notify AFTER INSERT OR UPDATE OR DELETE ON dive.runs
	FOR EACH STATEMENT EXECUTE FUNCTION dive.notify_change();
CREATE TRIGGER breakers_notify AFTER INSERT OR UPDATE OR DELETE ON dive.breakers
	FOR EACH STATEMENT EXECUTE FUNCTION dive.notify_change();
CREATE TRIGGER errors_notify AFTER INSERT OR UPDATE OR DELETE ON dive.errors
	FOR EACH STATEMENT EXECUTE FUNCTION dive.notify_change();
CREATE TRIGGER lock_holders_notify AFTER INSERT OR UPDATE OR DELETE ON dive.lock_holders
	FOR EACH STATEMENT EXECUTE FUNCTION dive.notify_change();
CREATE TRIGGER audit_reports_notify AFTER INSERT ON dive.audit_reports
	FOR EACH STATEMENT EXECUTE FUNCTION dive.notify_change();
