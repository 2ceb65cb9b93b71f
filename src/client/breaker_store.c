/*
 * breaker_store.c - circuit breakers in dive.breakers (see breaker.h).
 *
 * Every change is read-modify-write under the row lock: SELECT ... FOR
 * UPDATE, breaker_step() in C on the store's clock, UPDATE, in one short
 * transaction (or in the caller's, for the *_tx variants).  What needs no
 * change needs no lock: a refusal or a call through a closed breaker is
 * decided on one plain SELECT, and a success through a closed breaker
 * writes nothing at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dive/breaker_store.h"
#include "dive/errcodes.h"
#include "dive/errlog.h"
#include "dive/error.h"
#include "dive/log.h"
#include "dive/pg.h"
#include "dive/store.h"
#include "dive/xalloc.h"

/* Milliseconds since the epoch, 0 for NULL. */
#define MS(col) "coalesce(floor(extract(epoch FROM " col ") * 1000)::bigint, 0)"

#define COLUMNS                                                                                          \
	"b.name, b.state, b.failures, b.successes, " MS("b.window_started_at") ", " MS("b.opened_at") ", " \
	MS("b.next_probe_at") ", b.open_count, b.probes_in_flight, b.generation, " MS("b.state_since") ", "  \
	MS("b.last_error_at") ", coalesce(b.last_error, ''), b.changed_by, " MS("b.updated_at") ", "         \
	MS("clock_timestamp()")

/* One row, or the clock alone (name NULL) when the breaker has none. */
static const char sql_peek[] =
	"SELECT " COLUMNS " FROM (SELECT 1) one LEFT JOIN dive.breakers b ON b.name = $1";

static const char sql_list[] = "SELECT " COLUMNS " FROM dive.breakers b ORDER BY b.name";

static const char sql_lock[] = "SELECT " COLUMNS " FROM dive.breakers b WHERE b.name = $1 FOR UPDATE";

static const char sql_now[] = "SELECT " MS("clock_timestamp()");

static const char sql_ensure[] = "INSERT INTO dive.breakers (name) VALUES ($1) ON CONFLICT (name) DO NOTHING";

static const char sql_update[] =
	"UPDATE dive.breakers SET state = $2, failures = $3::int, successes = $4::int,"
	" window_started_at = to_timestamp($5::bigint / 1000.0), opened_at = to_timestamp($6::bigint / 1000.0),"
	" next_probe_at = to_timestamp($7::bigint / 1000.0), open_count = $8::int, probes_in_flight = $9::int,"
	" generation = $10::bigint, state_since = coalesce(to_timestamp($11::bigint / 1000.0), clock_timestamp()),"
	" last_error_at = to_timestamp($12::bigint / 1000.0), last_error = nullif($13, ''), changed_by = $14,"
	" updated_at = clock_timestamp(), version = version + 1"
	" WHERE name = $1";

static const char sql_forget[] = "DELETE FROM dive.breakers b WHERE b.name = $1 RETURNING " COLUMNS;

/* A waiting writer gives up after this: a caller's long transaction must not stall every process. */
static const char sql_lock_timeout[] = "SET LOCAL lock_timeout = '5s'";

static void fill_row(struct breaker_row *r, PGresult *res, int i)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", PQgetvalue(res, i, 0));
	if (breaker_state_parse(&r->state, PQgetvalue(res, i, 1)) < 0)
		r->state = BREAKER_CLOSED;
	r->failures = atoi(PQgetvalue(res, i, 2));
	r->successes = atoi(PQgetvalue(res, i, 3));
	r->window_start_ms = atoll(PQgetvalue(res, i, 4));
	r->opened_ms = atoll(PQgetvalue(res, i, 5));
	r->next_probe_ms = atoll(PQgetvalue(res, i, 6));
	r->open_count = atoi(PQgetvalue(res, i, 7));
	r->probes_in_flight = atoi(PQgetvalue(res, i, 8));
	r->generation = atoll(PQgetvalue(res, i, 9));
	r->state_since_ms = atoll(PQgetvalue(res, i, 10));
	r->last_error_ms = atoll(PQgetvalue(res, i, 11));
	snprintf(r->last_error, sizeof(r->last_error), "%s", PQgetvalue(res, i, 12));
	snprintf(r->changed_by, sizeof(r->changed_by), "%s", PQgetvalue(res, i, 13));
	r->updated_ms = atoll(PQgetvalue(res, i, 14));
	r->now_ms = atoll(PQgetvalue(res, i, 15));
}

/* The row of name, or a closed one (*found = 0) with the store's clock. */
static int peek(struct store *s, struct breaker_row *out, int *found, const char *name)
{
	const char *params[1] = { name };
	PGresult *res = NULL;
	long long now;
	int rc;

	rc = pg_exec(s->conn, &res, sql_peek, 1, params);
	if (rc < 0)
		return rc;
	*found = !PQgetisnull(res, 0, 0);
	if (*found) {
		fill_row(out, res, 0);
	} else {
		now = atoll(PQgetvalue(res, 0, 15));
		breaker_row_init(out, name);
		out->now_ms = now;
	}
	PQclear(res);
	return 0;
}

/* "dive pid 4242 on 'host'": who made an automatic change. */
static const char *self_actor(void)
{
	static _Thread_local char actor[BREAKER_ACTOR_MAX + 1];
	char host[128] = "";

	if (!actor[0]) {
		gethostname(host, sizeof(host) - 1);
		snprintf(actor, sizeof(actor), "dive pid %d on '%.100s'", (int)getpid(), host);
	}
	return actor;
}

static int write_row(struct store *s, const struct breaker_row *r)
{
	char v[12][24];
	const char *params[14];
	long long ms[] = { r->window_start_ms, r->opened_ms, r->next_probe_ms };
	PGresult *res = NULL;
	int rc, i;

	params[0] = r->name;
	params[1] = breaker_state_name(r->state);
	snprintf(v[0], sizeof(v[0]), "%d", r->failures);
	snprintf(v[1], sizeof(v[1]), "%d", r->successes);
	params[2] = v[0];
	params[3] = v[1];
	for (i = 0; i < 3; i++) {
		snprintf(v[2 + i], sizeof(v[2 + i]), "%lld", ms[i]);
		params[4 + i] = ms[i] ? v[2 + i] : NULL;
	}
	snprintf(v[5], sizeof(v[5]), "%d", r->open_count);
	snprintf(v[6], sizeof(v[6]), "%d", r->probes_in_flight);
	snprintf(v[7], sizeof(v[7]), "%lld", r->generation);
	snprintf(v[8], sizeof(v[8]), "%lld", r->state_since_ms);
	snprintf(v[9], sizeof(v[9]), "%lld", r->last_error_ms);
	params[7] = v[5];
	params[8] = v[6];
	params[9] = v[7];
	params[10] = r->state_since_ms ? v[8] : NULL;
	params[11] = r->last_error_ms ? v[9] : NULL;
	params[12] = r->last_error;
	params[13] = r->changed_by[0] ? r->changed_by : "dive";
	rc = pg_exec(s->conn, &res, sql_update, 14, params);
	if (rc < 0)
		return rc;
	if (strcmp(PQcmdTuples(res), "1")) {
		PQclear(res);
		return dive_error_set(DIVE_EFAIL, "internal: breaker '%s' vanished while locked", r->name);
	}
	PQclear(res);
	return 0;
}

static int lock_timeout(int rc, const char *name)
{
	if (rc < 0 && !strcmp(pg_last_sqlstate(), "55P03"))
		return dive_error_set(DIVE_ETIMEOUT, "breaker '%s' stayed locked by another transaction for 5s", name);
	return rc;
}

/*
 * Read-modify-write under the row lock.  own_tx: BEGIN ... COMMIT here;
 * otherwise the caller's transaction must be open.  ensure: create the row
 * first (events that may count); without it a missing row is a closed
 * breaker that this event cannot change.
 */
static int locked_step(struct store *s, struct breaker_row *before, struct breaker_row *after,
		       struct breaker_decision *dec, const char *name, const struct breaker_config *cfg,
		       const struct breaker_event *ev, const char *actor, int ensure, int own_tx)
{
	const char *params[1] = { name };
	PGresult *res = NULL;
	int rc;

	if (own_tx) {
		if ((rc = store_begin(s)) < 0)
			return rc;
		if ((rc = pg_command(s->conn, sql_lock_timeout)) < 0)
			goto fail;
	}
	if (ensure && (rc = pg_exec(s->conn, NULL, sql_ensure, 1, params)) < 0)
		goto fail;
	if ((rc = pg_exec(s->conn, &res, sql_lock, 1, params)) < 0)
		goto fail;
	if (PQntuples(res) == 1) {
		fill_row(before, res, 0);
	} else {
		PQclear(res);
		res = NULL;
		if ((rc = pg_exec(s->conn, &res, sql_now, 0, NULL)) < 0)
			goto fail;
		breaker_row_init(before, name);
		before->now_ms = atoll(PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	res = NULL;
	if ((rc = breaker_step(after, dec, before, cfg, ev, before->now_ms)) < 0)
		goto fail;
	if (dec->changed && before->updated_ms == 0) {
		/* No row, and ensure was not asked: only a closed breaker's no-op events come here. */
		rc = dive_error_set(DIVE_EFAIL, "internal: breaker '%s' changed without a row", name);
		goto fail;
	}
	if (dec->changed) {
		if (dec->from != dec->to || ev->type >= BREAKER_EV_FORCE_OPEN)
			snprintf(after->changed_by, sizeof(after->changed_by), "%s", actor ? actor : self_actor());
		if ((rc = write_row(s, after)) < 0)
			goto fail;
		dive_debug("breaker %s: %s %s -> %s (generation %lld)", name, breaker_event_name(ev->type),
			   breaker_state_name(dec->from), breaker_state_name(dec->to), after->generation);
	}
	if (own_tx && (rc = store_commit(s)) < 0)
		goto fail;
	return 0;
fail:
	PQclear(res);
	rc = lock_timeout(rc, name);
	if (own_tx)
		store_rollback(s);
	return rc;
}

static int refuse(const struct breaker_row *r, const struct breaker_decision *dec)
{
	char msg[400];

	breaker_refusal(msg, sizeof(msg), r, dec, r->now_ms);
	dive_error_set(DIVE_ECIRCUIT, "%s", msg);
	dive_error_set_code(ERRC_CIRCUIT_OPEN);
	return DIVE_ECIRCUIT;
}

static int idle(struct store *s, const char *what)
{
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		return dive_error_set(DIVE_EFAIL, "internal: %s called inside an open transaction", what);
	return 0;
}

int breaker_allow(struct store *s, struct breaker_ticket *out, const char *name)
{
	struct breaker_event ev = { BREAKER_EV_ASK, BREAKER_PASS_NONE, 0, NULL };
	const struct breaker_config *cfg;
	struct breaker_row now, after;
	struct breaker_decision dec;
	char norm[BREAKER_NAME_MAX + 1];
	int rc, found;

	memset(out, 0, sizeof(*out));
	if ((rc = breaker_name_normalize(norm, name)) < 0 || (rc = breaker_config_get(&cfg, norm)) < 0)
		return rc;
	if ((rc = idle(s, "breaker_allow")) < 0)
		return rc;
	if ((rc = peek(s, &now, &found, norm)) < 0)
		return rc;
	if ((rc = breaker_step(&after, &dec, &now, cfg, &ev, now.now_ms)) < 0)
		return rc;
	if (dec.changed && (rc = locked_step(s, &now, &after, &dec, norm, cfg, &ev, NULL, 0, 1)) < 0)
		return rc;
	if (!dec.allowed)
		return refuse(&after, &dec);
	snprintf(out->name, sizeof(out->name), "%s", norm);
	out->pass = dec.pass;
	out->generation = after.generation;
	return 0;
}

static int report(struct store *s, const struct breaker_ticket *t, enum breaker_event_type type, const char *msg,
		  int own_tx)
{
	struct breaker_event ev = { type, t->pass, t->generation, NULL };
	const struct breaker_config *cfg;
	struct breaker_row before, after;
	struct breaker_decision dec;
	char name[BREAKER_NAME_MAX + 1], clean[BREAKER_MESSAGE_MAX + 1];
	int rc;

	if (own_tx) {
		if ((rc = idle(s, "breaker_record")) < 0)
			return rc;
	} else if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS) {
		return dive_error_set(DIVE_EFAIL, "internal: breaker_record_tx needs an open transaction");
	}
	/* Nothing a call through a closed (or disabled) breaker reports can change it, except a failure. */
	if (t->pass == BREAKER_PASS_NONE || (t->pass == BREAKER_PASS_CALL && type != BREAKER_EV_FAILURE))
		return 0;
	if ((rc = breaker_name_normalize(name, t->name)) < 0 || (rc = breaker_config_get(&cfg, name)) < 0)
		return rc;
	if (type == BREAKER_EV_FAILURE) {
		errlog_clean(clean, sizeof(clean), msg);
		ev.message = clean;
	}
	return locked_step(s, &before, &after, &dec, name, cfg, &ev, NULL, type == BREAKER_EV_FAILURE, own_tx);
}

int breaker_record(struct store *s, const struct breaker_ticket *t, int success, const char *err_message)
{
	return report(s, t, success ? BREAKER_EV_SUCCESS : BREAKER_EV_FAILURE, err_message, 1);
}

int breaker_record_tx(struct store *s, const struct breaker_ticket *t, int success, const char *err_message)
{
	return report(s, t, success ? BREAKER_EV_SUCCESS : BREAKER_EV_FAILURE, err_message, 0);
}

int breaker_release(struct store *s, const struct breaker_ticket *t)
{
	return report(s, t, BREAKER_EV_ABANDON, NULL, 1);
}

int breaker_release_tx(struct store *s, const struct breaker_ticket *t)
{
	return report(s, t, BREAKER_EV_ABANDON, NULL, 0);
}

int breaker_outcome_record_tx(struct store *s, const struct breaker_outcome *o)
{
	if (!o || !o->pending)
		return 0;
	switch (o->type) {
	case BREAKER_EV_SUCCESS:
		return breaker_record_tx(s, &o->ticket, 1, NULL);
	case BREAKER_EV_FAILURE:
		return breaker_record_tx(s, &o->ticket, 0, o->message);
	case BREAKER_EV_ABANDON:
		return breaker_release_tx(s, &o->ticket);
	default:
		return dive_error_set(DIVE_EUSAGE, "internal: '%s' is not an outcome", breaker_event_name(o->type));
	}
}

int breaker_get(struct store *s, struct breaker_row *out, int *found, const char *name)
{
	char norm[BREAKER_NAME_MAX + 1];
	int rc;

	*found = 0;
	if ((rc = breaker_name_normalize(norm, name)) < 0)
		return rc;
	return peek(s, out, found, norm);
}

int breaker_list(struct store *s, struct breaker_row **out, size_t *n)
{
	PGresult *res = NULL;
	int rc, i;

	*out = NULL;
	*n = 0;
	rc = pg_exec(s->conn, &res, sql_list, 0, NULL);
	if (rc < 0)
		return rc;
	*out = xcalloc((size_t)PQntuples(res) + 1, sizeof(**out));
	for (i = 0; i < PQntuples(res); i++)
		fill_row(&(*out)[i], res, i);
	*n = (size_t)PQntuples(res);
	PQclear(res);
	return 0;
}

int breaker_operate(struct store *s, struct breaker_row *before, struct breaker_row *after, const char *name,
		    enum breaker_event_type op, const char *actor)
{
	struct breaker_event ev = { op, BREAKER_PASS_NONE, 0, NULL };
	const struct breaker_config *cfg;
	struct breaker_row b, a;
	struct breaker_decision dec;
	char norm[BREAKER_NAME_MAX + 1];
	int rc;

	if (op != BREAKER_EV_FORCE_OPEN && op != BREAKER_EV_CLOSE && op != BREAKER_EV_DISABLE)
		return dive_error_set(DIVE_EUSAGE, "internal: '%s' is not an operator action", breaker_event_name(op));
	if ((rc = breaker_name_normalize(norm, name)) < 0 || (rc = breaker_config_get(&cfg, norm)) < 0)
		return rc;
	if ((rc = idle(s, "breaker_operate")) < 0)
		return rc;
	/* Closing a breaker without a row changes nothing: do not create one. */
	rc = locked_step(s, &b, &a, &dec, norm, cfg, &ev, actor, op != BREAKER_EV_CLOSE, 1);
	if (rc < 0)
		return rc;
	if (before)
		*before = b;
	if (after)
		*after = a;
	return 0;
}

int breaker_forget(struct store *s, struct breaker_row *was, int *existed, const char *name)
{
	char norm[BREAKER_NAME_MAX + 1];
	const char *params[1] = { norm };
	PGresult *res = NULL;
	int rc;

	*existed = 0;
	if ((rc = breaker_name_normalize(norm, name)) < 0)
		return rc;
	rc = pg_exec(s->conn, &res, sql_forget, 1, params);
	if (rc < 0)
		return rc;
	*existed = PQntuples(res) > 0;
	if (was) {
		if (*existed)
			fill_row(was, res, 0);
		else
			breaker_row_init(was, norm);
	}
	PQclear(res);
	return 0;
}
