/*
 * test_bytepipe.c - the bounded pipe between an export thread and a load
 * (bytepipe.h): every byte crosses in order, never more than cap held, and
 * either side's end or abort reaches the other.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/bytepipe.h"
#include "dive/error.h"

#define TOTAL (3u << 20)

struct writer {
	struct bytepipe *p;
	size_t chunk;
	int rc;
	int abort_at_half;
};

static unsigned char byte_at(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void *write_main(void *arg)
{
	struct writer *w = arg;
	unsigned char buf[7000];
	size_t off = 0;

	while (off < TOTAL) {
		size_t n = w->chunk < TOTAL - off ? w->chunk : TOTAL - off, i;

		if (w->abort_at_half && off >= TOTAL / 2) {
			bytepipe_close_write(w->p, DIVE_EFAIL);
			return NULL;
		}
		for (i = 0; i < n; i++)
			buf[i] = byte_at(off + i);
		if ((w->rc = bytepipe_write(w->p, (const char *)buf, n, bytepipe_deadline(10000))) < 0)
			break;
		off += n;
	}
	bytepipe_close_write(w->p, w->rc);
	return NULL;
}

static void bytepipe__carries_every_byte_in_order_through_a_small_ring(void **state)
{
	struct bytepipe p;
	struct writer w = { &p, 6999, 0, 0 };
	pthread_t th;
	char buf[4096];
	size_t off = 0;
	long n;

	bytepipe_init(&p, 1000); /* far smaller than the stream and than the writer's chunks */
	assert_int_equal(pthread_create(&th, NULL, write_main, &w), 0);
	while ((n = bytepipe_read(&p, buf, sizeof(buf), bytepipe_deadline(10000))) > 0) {
		long i;

		assert_true(n <= 1000);
		for (i = 0; i < n; i++)
			assert_int_equal((unsigned char)buf[i], byte_at(off + (size_t)i));
		off += (size_t)n;
	}
	pthread_join(th, NULL);
	assert_int_equal(n, 0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(off, TOTAL);
	assert_int_equal(p.total, TOTAL);
	bytepipe_release(&p);
}

static void bytepipe__a_writer_abort_reaches_the_reader_as_an_error(void **state)
{
	struct bytepipe p;
	struct writer w = { &p, 4096, 0, 1 };
	pthread_t th;
	char buf[4096];
	long n;

	bytepipe_init(&p, 64 << 10);
	assert_int_equal(pthread_create(&th, NULL, write_main, &w), 0);
	while ((n = bytepipe_read(&p, buf, sizeof(buf), bytepipe_deadline(10000))) > 0)
		;
	pthread_join(th, NULL);
	assert_int_equal(n, DIVE_EFAIL); /* never the end of a whole stream */
	bytepipe_release(&p);
}

static void bytepipe__a_reader_that_stops_stops_the_writer(void **state)
{
	struct bytepipe p;
	struct writer w = { &p, 4096, 0, 0 };
	pthread_t th;
	char buf[100];

	bytepipe_init(&p, 8192);
	assert_int_equal(pthread_create(&th, NULL, write_main, &w), 0);
	assert_true(bytepipe_read(&p, buf, sizeof(buf), bytepipe_deadline(10000)) > 0);
	bytepipe_close_read(&p);
	pthread_join(th, NULL);
	assert_int_equal(w.rc, DIVE_EFAIL);
	assert_true(p.total < TOTAL);
	bytepipe_release(&p);
}

static void bytepipe__both_sides_give_up_at_their_deadline(void **state)
{
	struct bytepipe p;
	char buf[16];

	bytepipe_init(&p, 4);
	assert_int_equal(bytepipe_read(&p, buf, sizeof(buf), bytepipe_deadline(50)), DIVE_ETIMEOUT);
	assert_int_equal(bytepipe_write(&p, "0123456789", 10, bytepipe_deadline(50)), DIVE_ETIMEOUT);
	assert_int_equal(p.len, 4); /* what fit stays, nothing more */
	bytepipe_close_write(&p, 0);
	assert_int_equal(bytepipe_read(&p, buf, sizeof(buf), 0), 4);
	assert_int_equal(bytepipe_read(&p, buf, sizeof(buf), 0), 0);
	bytepipe_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bytepipe__carries_every_byte_in_order_through_a_small_ring),
		cmocka_unit_test(bytepipe__a_writer_abort_reaches_the_reader_as_an_error),
		cmocka_unit_test(bytepipe__a_reader_that_stops_stops_the_writer),
		cmocka_unit_test(bytepipe__both_sides_give_up_at_their_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
