/* itest_mongo.c - mongo-c-driver against the real FerretDB of tests/env. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/mongo.h"
#include "itest.h"

static int setup(void **state)
{
	mongoc_init();
	return 0;
}

static int teardown(void **state)
{
	mongoc_cleanup();
	return 0;
}

static void mongo__pings_inserts_and_finds(void **state)
{
	struct mongo *m = NULL;
	mongoc_collection_t *coll;
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_t *ins, *filter;
	bson_error_t err;
	char key[64];
	int found = 0;
	bson_iter_t it;

	snprintf(key, sizeof(key), "itest-%d", (int)getpid());
	assert_int_equal(mongo_open(&m, itest_env("DIVE_MONGO_URL"), "dive-itest"), 0);
	assert_int_equal(mongo_ping(m), 0);
	coll = mongoc_client_get_collection(m->client, "dive_itest", "smoke");
	ins = BCON_NEW("key", BCON_UTF8(key), "n", BCON_INT32(7));
	assert_true(mongoc_collection_insert_one(coll, ins, NULL, NULL, &err));
	filter = BCON_NEW("key", BCON_UTF8(key));
	cur = mongoc_collection_find_with_opts(coll, filter, NULL, NULL);
	while (mongoc_cursor_next(cur, &doc)) {
		assert_true(bson_iter_init_find(&it, doc, "n"));
		assert_int_equal(bson_iter_int32(&it), 7);
		found++;
	}
	assert_false(mongoc_cursor_error(cur, &err));
	assert_int_equal(found, 1);
	assert_true(mongoc_collection_delete_many(coll, filter, NULL, NULL, &err));
	mongoc_cursor_destroy(cur);
	bson_destroy(ins);
	bson_destroy(filter);
	mongoc_collection_destroy(coll);
	/* FerretDB has no endSessions: closing must still be clean */
	mongo_close(m);
}

static void mongo__unreachable_server_is_unavailable(void **state)
{
	struct mongo *m = NULL;

	assert_int_equal(mongo_open(&m, "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", NULL), 0);
	assert_int_equal(mongo_ping(m), DIVE_EUNAVAIL);
	mongo_close(m);
	assert_int_equal(mongo_open(&m, "not a url", NULL), DIVE_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mongo__pings_inserts_and_finds),
		cmocka_unit_test(mongo__unreachable_server_is_unavailable),
	};

	return cmocka_run_group_tests_name("mongo", tests, setup, teardown);
}
