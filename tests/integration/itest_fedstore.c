/*
 * itest_fedstore.c - the federation store against the real FerretDB: the
 * registration document, the unique index, the lifecycle, single-winner
 * status changes under concurrency, recovery of an unfinished change, and
 * reads that fail closed.  Everything lives in the database dive_t_<pid>,
 * dropped by the group teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/fedstore.h"
#include "itest.h"

static char db_name[64];

static struct mongo *connect_(void)
{
	struct mongo *m = NULL;

	assert_int_equal(mongo_open(&m, itest_env("DIVE_MONGO_URL"), "dive-itest"), 0);
	return m;
}

static struct fedstore *open_store(struct mongo *m)
{
	struct fedstore *fs = NULL;

	assert_int_equal(fedstore_open(&fs, m, db_name), 0);
	return fs;
}

static int setup(void **state)
{
	snprintf(db_name, sizeof(db_name), "dive_t_%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	struct mongo *m = NULL;

	if (mongo_open(&m, getenv("DIVE_MONGO_URL"), "dive-itest") == 0) {
		mongoc_database_t *db = mongoc_client_get_database(m->client, db_name);

		mongoc_database_drop(db, NULL);
		mongoc_database_destroy(db);
	}
	mongo_close(m);
	mongo_global_cleanup();
	return 0;
}

static struct fed_registration reg_of(const char *code)
{
	static const char *const scopes[] = { "policy:base", "data:federation_matrix", NULL };
	static char base[64], api[64], idp[64], pub[64], name[32];
	struct fed_registration r;

	snprintf(name, sizeof(name), "Spoke %s", code);
	snprintf(base, sizeof(base), "https://%s-app.dive25.com", code);
	snprintf(api, sizeof(api), "https://%s-api.dive25.com", code);
	snprintf(idp, sizeof(idp), "https://dive-spoke-%s-keycloak:8443", code);
	snprintf(pub, sizeof(pub), "https://%s-idp.dive25.com", code);
	r.code = code;
	r.name = name;
	r.base_url = base;
	r.api_url = api;
	r.idp_url = idp;
	r.idp_public_url = pub;
	r.scopes = scopes;
	return r;
}

/* The raw document of code, as FerretDB holds it. */
static bson_t *raw_doc(struct mongo *m, const char *collection, const char *key, const char *value)
{
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, db_name, collection);
	bson_t *filter = BCON_NEW(key, BCON_UTF8(value));
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, filter, NULL, NULL);
	const bson_t *doc;
	bson_t *copy = NULL;

	if (mongoc_cursor_next(cur, &doc))
		copy = bson_copy(doc);
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	mongoc_collection_destroy(c);
	return copy;
}

static int64_t count_docs(struct mongo *m, const char *collection, const bson_t *filter)
{
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, db_name, collection);
	bson_t empty = BSON_INITIALIZER;
	bson_error_t err;
	int64_t n = mongoc_collection_count_documents(c, filter ? filter : &empty, NULL, NULL, NULL, &err);

	mongoc_collection_destroy(c);
	return n;
}

/* Whether any key of doc (at any depth) mentions a secret. */
static int has_secret_key(const bson_t *doc)
{
	static const char *const words[] = { "secret", "token", "password", "Secret", "Token", "Password" };
	bson_iter_t it, sub;
	size_t i;

	if (!bson_iter_init(&it, doc))
		return 0;
	while (bson_iter_next(&it)) {
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			if (strstr(bson_iter_key(&it), words[i]))
				return 1;
		}
		if ((BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) && bson_iter_recurse(&it, &sub)) {
			const uint8_t *data;
			uint32_t len;
			bson_t child;

			if (BSON_ITER_HOLDS_DOCUMENT(&it))
				bson_iter_document(&it, &len, &data);
			else
				bson_iter_array(&it, &len, &data);
			if (bson_init_static(&child, data, len) && has_secret_key(&child))
				return 1;
		}
	}
	return 0;
}

static void fedstore__registers_a_spoke_as_pending_without_secrets(void **state)
{
	struct mongo *m = connect_();
	struct fedstore *fs = open_store(m);
	struct fed_registration r = reg_of("deu");
	struct fed_spoke s, got;
	bson_t *raw;

	assert_int_equal(fedstore_register(fs, &s, &r), 0);
	assert_string_equal(s.code, "DEU");
	assert_int_equal(strlen(s.spoke_id), strlen("spoke-deu-1a2b3c4d"));
	assert_int_equal(strncmp(s.spoke_id, "spoke-deu-", 10), 0);
	assert_int_equal(strspn(s.spoke_id + 10, "0123456789abcdef"), 8);
	assert_int_equal(s.status, FED_PENDING);
	assert_int_equal(s.rev, 0);
	assert_string_equal(s.name, "Spoke deu");
	assert_string_equal(s.idp_url, "https://dive-spoke-deu-keycloak:8443");
	assert_int_equal(s.n_scopes, 2);
	assert_string_equal(s.scopes[1], "data:federation_matrix");
	assert_true(s.created_at > 0 && s.created_at == s.updated_at);
	assert_int_equal(s.approved_at, 0);

	assert_int_equal(fedstore_get(fs, &got, "Deu"), 0);
	assert_string_equal(got.spoke_id, s.spoke_id);
	fed_spoke_release(&got);
	assert_int_equal(fedstore_get(fs, &got, "FRA"), DIVE_ENOTFOUND);

	raw = raw_doc(m, FEDSTORE_COLLECTION, "instanceCode", "DEU");
	assert_non_null(raw);
	assert_false(has_secret_key(raw));
	bson_destroy(raw);
	fed_spoke_release(&s);
	fedstore_close(fs);
	mongo_close(m);
}

static void fedstore__unique_index_refuses_a_second_registration(void **state)
{
	struct mongo *m = connect_();
	struct fedstore *fs = open_store(m);
	struct fed_registration r = reg_of("DEU");
	mongoc_collection_t *c;
	mongoc_cursor_t *cur;
	const bson_t *idx;
	struct fed_spoke s;
	bson_error_t err;
	bson_iter_t it;
	bson_t *dup;
	int unique = 0;

	/* through the store */
	assert_int_equal(fedstore_register(fs, &s, &r), DIVE_ECONFLICT);
	assert_int_equal(dive_error_last_code(), ERRC_FEDERATION_STATUS);
	assert_non_null(strstr(dive_error_last(), "already registered (pending)"));

	/* the index itself: idempotent, unique, and enforced by FerretDB */
	assert_int_equal(fedstore_ensure_indexes(fs), 0);
	assert_int_equal(fedstore_ensure_indexes(fs), 0);
	c = mongoc_client_get_collection(m->client, db_name, FEDSTORE_COLLECTION);
	cur = mongoc_collection_find_indexes_with_opts(c, NULL);
	while (mongoc_cursor_next(cur, &idx)) {
		if (bson_iter_init_find(&it, idx, "name") && !strcmp(bson_iter_utf8(&it, NULL), "instanceCode_unique") &&
		    bson_iter_init_find(&it, idx, "unique") && bson_iter_as_bool(&it))
			unique++;
	}
	mongoc_cursor_destroy(cur);
	assert_int_equal(unique, 1);
	dup = BCON_NEW("instanceCode", "DEU", "spokeId", "spoke-deu-00000000", "status", "pending");
	assert_false(mongoc_collection_insert_one(c, dup, NULL, NULL, &err));
	assert_int_equal(mongo_error(&err, "insert"), DIVE_ECONFLICT);
	bson_destroy(dup);
	mongoc_collection_destroy(c);
	assert_int_equal(count_docs(m, FEDSTORE_COLLECTION, NULL), 1);
	fedstore_close(fs);
	mongo_close(m);
}

static void fedstore__lifecycle_moves_only_along_allowed_edges(void **state)
{
	struct mongo *m = connect_();
	struct fedstore *fs = open_store(m), *other;
	struct fed_spoke s;
	bson_t *filter;

	/* pending cannot be suspended; *out says what it is */
	assert_int_equal(fedstore_suspend(fs, &s, "DEU", "maintenance"), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "cannot be suspended: it is pending"));
	assert_int_equal(s.status, FED_PENDING);
	fed_spoke_release(&s);

	assert_int_equal(fedstore_approve(fs, &s, "DEU", "operator-a"), 0);
	assert_int_equal(s.status, FED_APPROVED);
	assert_int_equal(s.rev, 1);
	assert_true(s.approved_at > 0);
	assert_string_equal(s.approved_by, "operator-a");
	fed_spoke_release(&s);

	/* the same handle repeating its call (a retry after a lost answer) changes nothing */
	assert_int_equal(fedstore_approve(fs, &s, "DEU", "operator-a"), 0);
	assert_int_equal(s.rev, 1);
	fed_spoke_release(&s);
	/* another command approving it again is refused, and told what it is */
	other = open_store(m);
	assert_int_equal(fedstore_approve(other, &s, "DEU", "operator-b"), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "is already approved"));
	assert_int_equal(dive_error_last_code(), ERRC_FEDERATION_STATUS);
	assert_int_equal(s.status, FED_APPROVED);
	assert_string_equal(s.approved_by, "operator-a");
	fed_spoke_release(&s);
	fedstore_close(other);

	assert_int_equal(fedstore_suspend(fs, &s, "DEU", "certificate expired"), 0);
	assert_int_equal(s.status, FED_SUSPENDED);
	assert_string_equal(s.suspended_reason, "certificate expired");
	fed_spoke_release(&s);

	/* un-suspend: approved again, the suspension reason is gone */
	assert_int_equal(fedstore_approve(fs, &s, "DEU", "operator-a"), 0);
	assert_int_equal(s.status, FED_APPROVED);
	assert_null(s.suspended_reason);
	fed_spoke_release(&s);

	assert_int_equal(fedstore_revoke(fs, &s, "DEU", "left the federation"), 0);
	assert_int_equal(s.status, FED_REVOKED);
	assert_int_equal(s.rev, 4);
	fed_spoke_release(&s);

	/* revoked is terminal */
	assert_int_equal(fedstore_approve(fs, &s, "DEU", NULL), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "cannot be approved: it is revoked"));
	fed_spoke_release(&s);
	assert_int_equal(fedstore_suspend(fs, NULL, "DEU", NULL), DIVE_ECONFLICT);
	assert_int_equal(fedstore_transition(fs, NULL, "DEU", FED_PENDING, NULL), DIVE_EUSAGE);
	assert_int_equal(fedstore_approve(fs, NULL, "NOR", NULL), DIVE_ENOTFOUND);

	/* one history document per change */
	filter = BCON_NEW("instanceCode", "DEU");
	assert_int_equal(count_docs(m, FEDSTORE_HISTORY, filter), 4);
	bson_destroy(filter);
	fedstore_close(fs);
	mongo_close(m);
}

static void fedstore__reregistering_a_revoked_spoke_replaces_it(void **state)
{
	struct mongo *m = connect_();
	struct fedstore *fs = open_store(m);
	struct fed_registration r = reg_of("DEU");
	struct fed_spoke old, s;

	assert_int_equal(fedstore_get(fs, &old, "DEU"), 0);
	assert_int_equal(old.status, FED_REVOKED);
	assert_int_equal(fedstore_register(fs, &s, &r), 0);
	assert_int_equal(s.status, FED_PENDING);
	assert_int_equal(s.rev, 0);
	assert_string_not_equal(s.spoke_id, old.spoke_id);
	assert_null(s.revoked_reason);
	assert_null(s.approved_by);
	assert_int_equal(s.approved_at, 0);
	assert_int_equal(count_docs(m, FEDSTORE_COLLECTION, NULL), 1);
	fed_spoke_release(&s);
	fed_spoke_release(&old);

	/* and the new registration has a lifecycle of its own */
	assert_int_equal(fedstore_approve(fs, &s, "DEU", NULL), 0);
	assert_int_equal(s.rev, 1);
	fed_spoke_release(&s);
	fedstore_close(fs);
	mongo_close(m);
}

/* Two writers, each with its own connection, released together. */
struct racer {
	pthread_barrier_t *bar;
	const char *code;
	int op;          /* 0 approve, 1 register */
	int rc;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct mongo *m = NULL;
	struct fedstore *fs = NULL;
	struct fed_registration reg = reg_of(r->code);
	struct fed_spoke s = { 0 };

	r->rc = mongo_open(&m, getenv("DIVE_MONGO_URL"), "dive-itest");
	if (r->rc == 0)
		r->rc = fedstore_open(&fs, m, db_name);
	if (r->rc == 0 && r->op == 1)
		r->rc = fedstore_ensure_indexes(fs);
	pthread_barrier_wait(r->bar);
	if (r->rc == 0)
		r->rc = r->op == 0 ? fedstore_approve(fs, &s, r->code, "racer") : fedstore_register(fs, &s, &reg);
	fed_spoke_release(&s);   /* filled on success and on a conflict */
	fedstore_close(fs);
	mongo_close(m);
	return NULL;
}

static int run_race(const char *code, int op)
{
	pthread_barrier_t bar;
	struct racer r[2] = { { &bar, code, op, 0 }, { &bar, code, op, 0 } };
	pthread_t t[2];
	int i, wins = 0;

	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, race, &r[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&bar);
	for (i = 0; i < 2; i++) {
		if (r[i].rc == 0)
			wins++;
		else
			assert_int_equal(r[i].rc, DIVE_ECONFLICT);
	}
	return wins;
}

static void fedstore__concurrent_double_approve_yields_one_success(void **state)
{
	struct mongo *m = connect_();
	struct fedstore *fs = open_store(m);
	char code[4];
	struct fed_spoke s;
	int i;

	/* 20 rounds: FerretDB's own findAndModify lets both win in most of them */
	for (i = 0; i < 20; i++) {
		snprintf(code, sizeof(code), "Q%c%c", 'A' + i / 26, 'A' + i % 26);
		assert_int_equal(run_race(code, 1), 1);
		assert_int_equal(run_race(code, 0), 1);
		assert_int_equal(fedstore_get(fs, &s, code), 0);
		assert_int_equal(s.status, FED_APPROVED);
		assert_int_equal(s.rev, 1);
		fed_spoke_release(&s);
	}
	fedstore_close(fs);
	mongo_close(m);
}

static void insert_history(struct mongo *m, const struct fed_spoke *s, const char *to, int64_t age_ms)
{
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, db_name, FEDSTORE_HISTORY);
	struct timespec ts;
	bson_error_t err;
	char key[64];
	bson_t *doc;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	snprintf(key, sizeof(key), "%s:%lld", s->spoke_id, (long long)s->rev + 1);
	doc = BCON_NEW("_id", BCON_UTF8(key), "spokeId", BCON_UTF8(s->spoke_id), "instanceCode", BCON_UTF8(s->code),
		       "rev", BCON_INT64(s->rev + 1), "from", BCON_UTF8(fed_status_name(s->status)), "to", BCON_UTF8(to),
		       "at", BCON_DATE_TIME(now - age_ms),
		       "set", "{", "status", BCON_UTF8(to), "rev", BCON_INT64(s->rev + 1), "suspendedReason",
		       BCON_UTF8("writer died"), "}", "unset", "[", "]");
	assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &err));
	bson_destroy(doc);
	mongoc_collection_destroy(c);
}

static void fedstore__an_unfinished_change_is_finished_after_its_grace(void **state)
{
	struct mongo *m = connect_();
	struct fedstore *fs = open_store(m);
	struct fed_registration r = reg_of("ITA");
	struct fed_spoke s;

	assert_int_equal(fedstore_register(fs, &s, &r), 0);
	fed_spoke_release(&s);
	assert_int_equal(fedstore_approve(fs, &s, "ITA", NULL), 0);

	/* a writer recorded "suspend" just now and has not written the document yet */
	insert_history(m, &s, "suspended", 1000);
	assert_int_equal(fedstore_revoke(fs, NULL, "ITA", NULL), DIVE_ECONFLICT);
	assert_non_null(strstr(dive_error_last(), "is being changed to suspended by another command"));
	fed_spoke_release(&s);

	/* the same record, but its writer died long ago: the next writer finishes it first */
	r = reg_of("ESP");
	assert_int_equal(fedstore_register(fs, &s, &r), 0);
	fed_spoke_release(&s);
	assert_int_equal(fedstore_approve(fs, &s, "ESP", NULL), 0);
	insert_history(m, &s, "suspended", (FEDSTORE_CLAIM_GRACE_S + 60) * 1000LL);
	fed_spoke_release(&s);
	assert_int_equal(fedstore_approve(fs, &s, "ESP", "after-crash"), 0);
	assert_int_equal(s.status, FED_APPROVED);
	assert_int_equal(s.rev, 3);   /* approved (1), the dead writer's suspend (2), this approve (3) */
	assert_null(s.suspended_reason);
	fed_spoke_release(&s);
	fedstore_close(fs);
	mongo_close(m);
}

static void fedstore__bad_input_changes_nothing(void **state)
{
	struct mongo *m = connect_();
	struct fedstore *fs = open_store(m), *other = NULL;
	struct fed_registration r = reg_of("POL");
	const char *bad_scopes[] = { "policy base", NULL };
	struct fed_spoke s;
	int64_t before = count_docs(m, FEDSTORE_COLLECTION, NULL);

	r.base_url = "https://*.dive25.com";
	assert_int_equal(fedstore_register(fs, &s, &r), DIVE_EUSAGE);
	r = reg_of("POL");
	r.code = "PO1";
	assert_int_equal(fedstore_register(fs, &s, &r), DIVE_EUSAGE);
	r = reg_of("POL");
	r.name = "";
	assert_int_equal(fedstore_register(fs, &s, &r), DIVE_EUSAGE);
	r = reg_of("POL");
	r.idp_url = "ftp://pol";
	assert_int_equal(fedstore_register(fs, &s, &r), DIVE_EUSAGE);
	r = reg_of("POL");
	r.scopes = bad_scopes;
	assert_int_equal(fedstore_register(fs, &s, &r), DIVE_EUSAGE);
	assert_int_equal(fedstore_open(&other, m, "dive v3"), DIVE_EUSAGE);
	assert_null(other);
	assert_int_equal(count_docs(m, FEDSTORE_COLLECTION, NULL), before);
	fedstore_close(fs);
	mongo_close(m);
}

static void fedstore__reads_fail_closed(void **state)
{
	struct mongo *m = connect_(), *down = NULL;
	struct fedstore *fs = open_store(m), *fs_down = NULL;
	struct fed_spoke_list l;
	mongoc_collection_t *c;
	bson_error_t err;
	bson_t *doc;
	size_t i;

	/* a good list first, in instanceCode order */
	assert_int_equal(fedstore_list(fs, &l), 0);
	assert_true(l.n >= 22);
	for (i = 1; i < l.n; i++)
		assert_true(strcmp(l.v[i - 1].code, l.v[i].code) < 0);
	fed_spoke_list_release(&l);

	/* one malformed document makes the whole list an error, not a shorter list */
	c = mongoc_client_get_collection(m->client, db_name, FEDSTORE_COLLECTION);
	doc = BCON_NEW("instanceCode", "ZZZ", "spokeId", "spoke-zzz-00000000", "status", "trusted");
	assert_true(mongoc_collection_insert_one(c, doc, NULL, NULL, &err));
	bson_destroy(doc);
	mongoc_collection_destroy(c);
	assert_int_equal(fedstore_list(fs, &l), DIVE_EFAIL);
	assert_int_equal(dive_error_last_code(), ERRC_FEDERATION_STORE_INVALID);
	assert_non_null(strstr(dive_error_last(), "'ZZZ'"));
	assert_null(l.v);
	assert_int_equal(l.n, 0);

	/* a store that cannot be reached is an error too */
	assert_int_equal(mongo_open(&down, "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", NULL), 0);
	assert_int_equal(fedstore_open(&fs_down, down, db_name), 0);
	assert_int_equal(fedstore_list(fs_down, &l), DIVE_EUNAVAIL);
	assert_int_equal(dive_error_last_code(), ERRC_MONGODB_UNREACHABLE);
	assert_int_equal(l.n, 0);
	fedstore_close(fs_down);
	mongo_close(down);
	fedstore_close(fs);
	mongo_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fedstore__registers_a_spoke_as_pending_without_secrets),
		cmocka_unit_test(fedstore__unique_index_refuses_a_second_registration),
		cmocka_unit_test(fedstore__lifecycle_moves_only_along_allowed_edges),
		cmocka_unit_test(fedstore__reregistering_a_revoked_spoke_replaces_it),
		cmocka_unit_test(fedstore__concurrent_double_approve_yields_one_success),
		cmocka_unit_test(fedstore__an_unfinished_change_is_finished_after_its_grace),
		cmocka_unit_test(fedstore__bad_input_changes_nothing),
		cmocka_unit_test(fedstore__reads_fail_closed),
	};

	return cmocka_run_group_tests_name("fedstore", tests, setup, teardown);
}
