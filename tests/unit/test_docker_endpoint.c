/*
 * test_docker_endpoint.c - which engines a client may talk to and how
 * (docker.h: docker_open, docker_open_tls, docker_clone): plain HTTP only to
 * loopback, never credentials in a URL (and never repeated), TLS material
 * checked before anything is sent, and the wrapped-message slot of error.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/pki.h"

static void opens(const char *host, const char *base)
{
	struct docker *d = NULL;

	assert_int_equal(docker_open(&d, host, NULL), 0);
	assert_string_equal(d->base, base);
	assert_null(d->tls);
	docker_close(d);
}

static void refuses(const char *host, const char *says)
{
	struct docker *d = NULL;

	assert_int_equal(docker_open(&d, host, NULL), DIVE_EUSAGE);
	assert_null(d);
	assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
	if (!strstr(dive_error_last(), says))
		fail_msg("'%s': '%s' lacks '%s'", host ? host : "", dive_error_last(), says);
}

static void docker__plain_http_goes_only_to_loopback(void **state)
{
	opens("unix:///var/run/docker.sock", "http://localhost");
	opens(NULL, "http://localhost");
	opens("tcp://127.0.0.1:2375", "http://127.0.0.1:2375");
	opens("tcp://127.3.4.5:2375", "http://127.3.4.5:2375");
	opens("tcp://localhost:2375", "http://localhost:2375");
	opens("tcp://[::1]:2375", "http://[::1]:2375");
	refuses("tcp://10.231.0.2:2375", "refusing plain HTTP");
	refuses("tcp://engine-b.example:2375", "refusing plain HTTP");
	refuses("tcp://[fd00::2]:2375", "refusing plain HTTP");
	refuses("tcp://127.0.0.1", "needs a port");
	refuses("tcp://127.0.0.1:0", "has no port from 1 to 65535");
	refuses("tcp://127.0.0.1:70000", "has no port from 1 to 65535");
	refuses("tcp://127.0.0.1:2375/path", "has a path or a query");
	refuses("tcp://bad_host:2375", "has no valid host name");
	refuses("http://127.0.0.1:2375", "neither unix:///PATH nor tcp://HOST:PORT");
}

static void docker__credentials_in_a_url_are_refused_and_never_repeated(void **state)
{
	char out[128];

	refuses("tcp://admin:hunter2@127.0.0.1:2375", "carries a user or password");
	assert_null(strstr(dive_error_last(), "hunter2"));
	assert_null(strstr(dive_error_last(), "admin"));
	assert_non_null(strstr(dive_error_last(), "tcp://***@127.0.0.1:2375"));
	refuses("tcp://token@10.0.0.1:2376", "carries a user or password");
	assert_null(strstr(dive_error_last(), "token"));
	docker_host_redact(out, sizeof(out), "tcp://a:b@c@h:1");
	assert_string_equal(out, "tcp://***@h:1");
	docker_host_redact(out, sizeof(out), "tcp://h:1");
	assert_string_equal(out, "tcp://h:1");
}

static void docker__tls_material_is_checked_before_anything_is_sent(void **state)
{
	char root[] = "/tmp/dive-test-endpoint-XXXXXX", dir[64], cmd[128];
	struct pki_issue_opts o = { 0 };
	struct pki_entry client;
	struct docker *d = NULL, *copy = NULL;
	struct docker_tls tls;

	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/pki", root);
	assert_int_equal(pki_init(NULL, dir, NULL, 0, 0), 0);
	o.kind = PKI_CLIENT;
	o.name = "dive";
	assert_int_equal(pki_issue(&client, dir, &o), 0);
	tls.ca = client.paths.ca;
	tls.cert = client.paths.cert;
	tls.key = client.paths.key;

	assert_int_equal(docker_open_tls(&d, "tcp://10.231.0.2:2376", &tls, NULL), 0);
	assert_string_equal(d->base, "https://10.231.0.2:2376");
	assert_non_null(d->tls);
	assert_string_equal(d->tls->key, client.paths.key);
	/* a clone for another thread keeps the material and the negotiated API */
	snprintf(d->api, sizeof(d->api), "1.40");
	assert_int_equal(docker_clone(&copy, d), 0);
	assert_string_equal(copy->base, d->base);
	assert_string_equal(copy->api, "1.40");
	assert_string_equal(copy->tls->cert, client.paths.cert);
	docker_close(copy);
	docker_close(d);

	/* TLS is for tcp:// */
	assert_int_equal(docker_open_tls(&d, "unix:///var/run/docker.sock", &tls, NULL), DIVE_EUSAGE);
	/* the certificate as its own key: refused here, with its own code */
	tls.key = client.paths.cert;
	assert_int_equal(docker_open_tls(&d, "tcp://10.231.0.2:2376", &tls, NULL), DIVE_ETLS);
	assert_int_equal(dive_error_last_code(), ERRC_TLS_MATERIAL_INVALID);
	assert_null(d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void error__wrapping_the_last_message_keeps_it_whole(void **state)
{
	dive_error_set(DIVE_EUNAVAIL, "cannot connect to 'https://10.231.0.2:2376/_ping': Couldn't connect to server");
	dive_error_set(DIVE_EUNAVAIL, "docker engine unreachable: %s", dive_error_last());
	assert_string_equal(dive_error_last(), "docker engine unreachable: cannot connect to "
					       "'https://10.231.0.2:2376/_ping': Couldn't connect to server");
	assert_int_equal(dive_error_setc(DIVE_ETLS, ERRC_TLS_CERT_EXPIRED, "x %d", 1), DIVE_ETLS);
	assert_int_equal(dive_error_last_code(), ERRC_TLS_CERT_EXPIRED);
	assert_string_equal(dive_err_name(DIVE_ETLS), "tls");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docker__plain_http_goes_only_to_loopback),
		cmocka_unit_test(docker__credentials_in_a_url_are_refused_and_never_repeated),
		cmocka_unit_test(docker__tls_material_is_checked_before_anything_is_sent),
		cmocka_unit_test(error__wrapping_the_last_message_keeps_it_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
