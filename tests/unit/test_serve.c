/* test_serve.c - dive serve's pure parts: listen addresses, the token file, sessions and CSRF tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/serve.h"
#include "../../src/serve/serve_priv.h"

static void serve__parses_listen_addresses_and_knows_loopback(void **state)
{
	struct serve_addr a;

	assert_int_equal(serve_listen_parse(&a, "127.0.0.1:9469"), 0);
	assert_true(a.loopback);
	assert_false(a.v6);
	assert_int_equal(serve_listen_parse(&a, "127.8.9.10:80"), 0);
	assert_true(a.loopback);
	assert_int_equal(serve_listen_parse(&a, "localhost:9469"), 0);
	assert_true(a.loopback);
	assert_int_equal(serve_listen_parse(&a, "[::1]:9469"), 0);
	assert_true(a.loopback);
	assert_true(a.v6);
	assert_int_equal(serve_listen_parse(&a, "0.0.0.0:9469"), 0);
	assert_false(a.loopback);
	assert_int_equal(serve_listen_parse(&a, "[::]:9469"), 0);
	assert_false(a.loopback);
	assert_int_equal(serve_listen_parse(&a, "192.0.2.1:9469"), 0);
	assert_false(a.loopback);
}

static void serve__refuses_bad_listen_addresses(void **state)
{
	struct serve_addr a;

	assert_int_equal(serve_listen_parse(&a, "9469"), DIVE_EUSAGE);
	assert_int_equal(serve_listen_parse(&a, "127.0.0.1:0"), DIVE_EUSAGE);
	assert_int_equal(serve_listen_parse(&a, "127.0.0.1:65536"), DIVE_EUSAGE);
	assert_int_equal(serve_listen_parse(&a, "127.0.0.1:12x"), DIVE_EUSAGE);
	assert_int_equal(serve_listen_parse(&a, "example.org:80"), DIVE_EUSAGE);
	assert_int_equal(serve_listen_parse(&a, "[::1:80"), DIVE_EUSAGE);
	assert_int_equal(serve_listen_parse(&a, NULL), DIVE_EUSAGE);
}

static char *token_file(const char *content, mode_t mode)
{
	char *path = strdup("/tmp/dive-test-token-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	chmod(path, mode);
	return path;
}

static void serve__loads_a_private_token_file_only(void **state)
{
	struct dive_secret s = DIVE_SECRET_INIT;
	char *ok = token_file("0123456789abcdef0123\n", 0600);
	char *open_ = token_file("0123456789abcdef0123\n", 0644);
	char *shorty = token_file("short\n", 0600);
	char *spaced = token_file("0123456789 abcdef0123\n", 0600);

	assert_int_equal(serve_token_load(&s, ok), 0);
	assert_string_equal(dive_secret_reveal(&s), "0123456789abcdef0123");
	dive_secret_release(&s);
	assert_int_equal(serve_token_load(&s, open_), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "readable by others"));
	assert_null(strstr(dive_error_last(), "0123456789abcdef"));
	assert_int_equal(serve_token_load(&s, shorty), DIVE_EUSAGE);
	assert_int_equal(serve_token_load(&s, spaced), DIVE_EUSAGE);
	assert_int_equal(serve_token_load(&s, "/nonexistent/token"), DIVE_ENOTFOUND);
	assert_int_equal(serve_token_load(&s, "/tmp"), DIVE_EUSAGE);
	assert_false(dive_secret_is_set(&s));
	unlink(ok);
	unlink(open_);
	unlink(shorty);
	unlink(spaced);
	free(ok);
	free(open_);
	free(shorty);
	free(spaced);
}

static void serve__signs_in_with_the_token_and_binds_csrf_to_the_session(void **state)
{
	struct dive_secret tok = DIVE_SECRET_INIT;
	struct serve_auth a;
	char sid[SERVE_ID_HEX + 1], other[SERVE_ID_HEX + 1], csrf[65], got[SERVE_ID_HEX + 1];

	dive_secret_set(&tok, "the-operator-token-0123");
	assert_int_equal(serve_auth_init(&a, &tok), 0);
	assert_int_equal(serve_auth_login(&a, "wrong", 5, sid), DIVE_EUSAGE);
	assert_int_equal(serve_auth_login(&a, "the-operator-token-012", 22, sid), DIVE_EUSAGE);
	assert_int_equal(serve_auth_login(&a, "the-operator-token-0123", 23, sid), 0);
	assert_int_equal(strlen(sid), SERVE_ID_HEX);
	assert_true(serve_auth_session(&a, sid, got));
	assert_string_equal(got, sid);
	assert_int_equal(serve_auth_login(&a, "the-operator-token-0123", 23, other), 0);
	assert_string_not_equal(sid, other);

	serve_auth_csrf(&a, csrf, "csrf", sid);
	assert_true(serve_auth_csrf_ok(&a, csrf, "csrf", sid));
	assert_false(serve_auth_csrf_ok(&a, csrf, "csrf", other));   /* another session's */
	assert_false(serve_auth_csrf_ok(&a, csrf, "login", sid));    /* another purpose */
	assert_false(serve_auth_csrf_ok(&a, NULL, "csrf", sid));
	assert_false(serve_auth_csrf_ok(&a, "", "csrf", sid));

	assert_true(serve_auth_bearer(&a, "Bearer the-operator-token-0123"));
	assert_false(serve_auth_bearer(&a, "Bearer the-operator-token-012"));
	assert_false(serve_auth_bearer(&a, "the-operator-token-0123"));
	assert_false(serve_auth_bearer(&a, NULL));

	serve_auth_logout(&a, sid);
	assert_false(serve_auth_session(&a, sid, got));
	assert_true(serve_auth_session(&a, other, got));
	assert_false(serve_auth_session(&a, "not-a-session", got));
	serve_auth_release(&a);
	dive_secret_release(&tok);
}

static void serve__nobody_signs_in_without_a_token(void **state)
{
	struct serve_auth a;
	char sid[SERVE_ID_HEX + 1];

	assert_int_equal(serve_auth_init(&a, NULL), 0);
	assert_int_equal(serve_auth_login(&a, "", 0, sid), DIVE_EUSAGE);
	assert_false(serve_auth_bearer(&a, "Bearer "));
	serve_auth_release(&a);
}

static void serve__embeds_the_page(void **state)
{
	const struct serve_asset *x;
	int index = 0, js = 0;

	for (x = serve_assets; x->path; x++) {
		index |= !strcmp(x->path, "/") && strstr(x->content_type, "text/html") && strstr(x->data, "/app.js");
		js |= !strcmp(x->path, "/app.js") && strstr(x->content_type, "javascript") && x->len > 1000;
		assert_null(strstr(x->data, "http://"));   /* nothing fetched from elsewhere */
		assert_null(strstr(x->data, "https://"));
	}
	assert_true(index);
	assert_true(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serve__parses_listen_addresses_and_knows_loopback),
		cmocka_unit_test(serve__refuses_bad_listen_addresses),
		cmocka_unit_test(serve__loads_a_private_token_file_only),
		cmocka_unit_test(serve__signs_in_with_the_token_and_binds_csrf_to_the_session),
		cmocka_unit_test(serve__nobody_signs_in_without_a_token),
		cmocka_unit_test(serve__embeds_the_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
