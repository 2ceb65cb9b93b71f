/* test_secrets.c - the file, environment and vault secret providers (vault against a fake transport). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/http.h"
#include "dive/secrets.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/dive-secrets-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void secrets__file_provider_generates_once_with_mode_0600(void **state)
{
	struct secrets_provider *p = NULL;
	struct dive_secret a = DIVE_SECRET_INIT, b = DIVE_SECRET_INIT;
	char path[256];
	struct stat st;
	int gen = -1;

	assert_int_equal(secrets_open(&p, "file", dir), 0);
	assert_int_equal(secrets_get(p, "DEU", "POSTGRES_PASSWORD", &a), DIVE_ENOTFOUND);
	assert_int_equal(secrets_ensure(p, "DEU", "POSTGRES_PASSWORD", 24, &a, &gen), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(strlen(dive_secret_reveal(&a)), 48);
	snprintf(path, sizeof(path), "%s/deu/secrets/POSTGRES_PASSWORD", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/deu/secrets", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(secrets_ensure(p, "DEU", "POSTGRES_PASSWORD", 24, &b, &gen), 0);
	assert_int_equal(gen, 0);
	assert_string_equal(dive_secret_reveal(&a), dive_secret_reveal(&b));
	dive_secret_release(&a);
	dive_secret_release(&b);
	secrets_close(p);
}

static void secrets__refuses_a_file_others_can_read(void **state)
{
	struct secrets_provider *p = NULL;
	struct dive_secret a = DIVE_SECRET_INIT;
	char path[256];
	int gen;

	assert_int_equal(secrets_open(&p, "file", dir), 0);
	assert_int_equal(secrets_ensure(p, "FRA", "REDIS_PASSWORD", 16, &a, &gen), 0);
	dive_secret_release(&a);
	snprintf(path, sizeof(path), "%s/fra/secrets/REDIS_PASSWORD", dir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(secrets_get(p, "FRA", "REDIS_PASSWORD", &a), DIVE_EUSAGE);
	assert_int_equal(dive_error_last_code(), ERRC_SECRET_BAD_MODE);
	assert_non_null(strstr(dive_error_last(), "chmod 600"));
	assert_false(dive_secret_is_set(&a));
	secrets_close(p);
}

static void secrets__rejects_bad_names(void **state)
{
	struct secrets_provider *p = NULL;
	struct dive_secret a = DIVE_SECRET_INIT;

	assert_int_equal(secrets_open(&p, "file", dir), 0);
	assert_int_equal(secrets_get(p, "DEU", "../../etc/passwd", &a), DIVE_EUSAGE);
	assert_int_equal(secrets_get(p, "deu'", "KEY", &a), DIVE_EUSAGE);
	assert_int_equal(secrets_get(p, "DEU", "", &a), DIVE_EUSAGE);
	secrets_close(p);
	assert_int_equal(secrets_open(&p, "vault-someday", dir), DIVE_EUSAGE);
}

static void secrets__env_provider_reads_and_cannot_store(void **state)
{
	struct secrets_provider *p = NULL;
	struct dive_secret a = DIVE_SECRET_INIT;
	int gen;

	setenv("DIVE_SECRET_POL_KEYCLOAK_ADMIN_PASSWORD", "s3cret-value", 1);
	assert_int_equal(secrets_open(&p, "env", NULL), 0);
	assert_int_equal(secrets_get(p, "POL", "KEYCLOAK_ADMIN_PASSWORD", &a), 0);
	assert_string_equal(dive_secret_reveal(&a), "s3cret-value");
	dive_secret_release(&a);
	assert_int_equal(secrets_ensure(p, "POL", "OTHER", 16, &a, &gen), DIVE_EUSAGE);
	assert_null(strstr(dive_error_last(), "s3cret"));
	setenv("DIVE_SECRET_POL_BAD", "two\nlines", 1);
	assert_int_equal(secrets_get(p, "POL", "BAD", &a), DIVE_EUSAGE);
	secrets_close(p);
}


/* --- vault: the spec and the requests, against a fake transport -------------- */

static void secrets__vault_spec_is_checked_before_any_request(void **state)
{
	static const char *bad[] = {
		"vault:", "vault:ftp://127.0.0.1:8200", "vault:http://10.1.2.3:8200", "vault:http://vault.example:8200",
		"vault:http://127.0.0.1:8200/v1", "vault:http://user@127.0.0.1:8200", "vault:http://127.0.0.1:",
		"vault:http://127.0.0.1:8200,colour=blue", "vault:http://127.0.0.1:8200,path=dive/<code>",
		"vault:http://127.0.0.1:8200,path=dive/<KEY>", "vault:http://127.0.0.1:8200,path=/dive/<code>/<KEY>",
		"vault:http://127.0.0.1:8200,path=dive/../<code>/<KEY>", "vault:http://127.0.0.1:8200,mount=a b",
		"vault:http://127.0.0.1:8200,auth=ldap", "vault:http://127.0.0.1:8200,auth=approle,role-id=r",
		"vault:http://127.0.0.1:8200,role-id=r,secret-id-file=/x", "vault:http://127.0.0.1:8200,timeout=0",
		"vault:http://127.0.0.1:8200,timeout=121", "vault:http://127.0.0.1:8200,ca=/etc/ca.pem",
		"vault:http://127.0.0.1:8200,mount=a,mount=b", "vault:http://127.0.0.1:8200,mount",
	};
	struct secrets_provider *p = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = NULL;
		if (secrets_open(&p, bad[i], dir) != DIVE_EUSAGE)
			print_message("accepted: %s\n", bad[i]);
		assert_null(p);
		assert_int_equal(dive_error_last_code(), ERRC_CONFIG_INVALID);
	}
	assert_int_equal(secrets_open(&p, "vault:https://vault.example:8200,ca=/etc/ca.pem,auth=approle,role-id=dive,"
					  "secret-id-file=/etc/sid,mount=kv/dive,path=<CODE>/<KEY>,timeout=5", dir), 0);
	secrets_close(p);
	assert_int_equal(secrets_open(&p, "vault:http://localhost:8200/", dir), 0);
	secrets_close(p);
}

struct fake_vault {
	struct http_transport t;
	char url[512], method[16], body[1024], token[128];
	long status;
	const char *answer;
	int calls;
};

static int fake_perform(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	struct fake_vault *f = (struct fake_vault *)t;
	int i;

	f->calls++;
	snprintf(f->url, sizeof(f->url), "%s", req->url);
	snprintf(f->method, sizeof(f->method), "%s", req->method ? req->method : "GET");
	snprintf(f->body, sizeof(f->body), "%s", req->body ? req->body : "");
	f->token[0] = '\0';
	for (i = 0; req->headers && req->headers[i]; i++)
		if (!strncmp(req->headers[i], "X-Vault-Token: ", 15))
			snprintf(f->token, sizeof(f->token), "%s", req->headers[i] + 15);
	dive_buf_init(&resp->body, req->max_body ? req->max_body : 1 << 20);
	resp->status = f->status;
	resp->tls_failed = 0;
	if (f->status == 0)
		return dive_error_set(DIVE_EUNAVAIL, "cannot connect to '%s'", req->url);
	dive_buf_adds(&resp->body, f->answer ? f->answer : "");
	return 0;
}

static struct secrets_provider *fake_open(struct fake_vault *f, const char *spec)
{
	struct secrets_provider *p = NULL;

	memset(f, 0, sizeof(*f));
	f->t.perform = fake_perform;
	setenv("VAULT_TOKEN", "hvs.test-token", 1);
	assert_int_equal(secrets_open(&p, spec, dir), 0);
	secrets_set_transport(p, &f->t);
	return p;
}

static void secrets__vault_reads_and_writes_kv_v2_with_the_token(void **state)
{
	struct fake_vault f;
	struct secrets_provider *p = fake_open(&f, "vault:http://127.0.0.1:8200");
	struct dive_secret v = DIVE_SECRET_INIT;
	char where[256];

	f.status = 200;
	f.answer = "{\"data\":{\"data\":{\"value\":\"s3cret-value\"},\"metadata\":{\"version\":2}}}";
	assert_int_equal(secrets_get(p, "DEU", "POSTGRES_PASSWORD", &v), 0);
	assert_string_equal(dive_secret_reveal(&v), "s3cret-value");
	assert_string_equal(f.url, "http://127.0.0.1:8200/v1/secret/data/dive/deu/POSTGRES_PASSWORD");
	assert_string_equal(f.method, "GET");
	assert_string_equal(f.token, "hvs.test-token");
	dive_secret_release(&v);

	/* missing: generated and written with a POST of {"data":{"value":...}} */
	f.status = 404;
	f.answer = "{\"errors\":[]}";
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), DIVE_ENOTFOUND);
	secrets_close(p);

	p = fake_open(&f, "vault:http://127.0.0.1:8200,mount=kv/dive,path=<CODE>-<KEY>");
	f.status = 200;
	f.answer = "{\"data\":{\"version\":1}}";
	dive_secret_set(&v, "n3w-value");
	assert_int_equal(secrets_put(p, "FRA", "REDIS_PASSWORD", &v), 0);
	assert_string_equal(f.url, "http://127.0.0.1:8200/v1/kv/dive/data/FRA-REDIS_PASSWORD");
	assert_string_equal(f.method, "POST");
	assert_string_equal(f.body, "{\"data\":{\"value\":\"n3w-value\"}}");
	dive_secret_release(&v);
	secrets_where(p, "FRA", where, sizeof(where));
	assert_string_equal(where, "vault:http://127.0.0.1:8200 kv/dive/FRA-<KEY>");
	secrets_close(p);
}

/* The fake answers 404 to the GET, 200 to the POST: ensure generates, writes, and hands the value back. */
static int fake_missing_then_ok(struct http_transport *t, const struct http_req *req, struct http_resp *resp)
{
	struct fake_vault *f = (struct fake_vault *)t;

	f->status = req->method && !strcmp(req->method, "POST") ? 200 : 404;
	f->answer = "{}";
	return fake_perform(t, req, resp);
}

static void secrets__vault_generates_a_missing_secret_into_the_vault(void **state)
{
	struct fake_vault f;
	struct secrets_provider *p = fake_open(&f, "vault:http://127.0.0.1:8200");
	struct dive_secret v = DIVE_SECRET_INIT;
	char want[160];
	int gen = 0;

	f.t.perform = fake_missing_then_ok;
	assert_int_equal(secrets_ensure(p, "DEU", "AUTH_SECRET", 24, &v, &gen), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(f.calls, 2);
	assert_string_equal(f.method, "POST");
	snprintf(want, sizeof(want), "{\"data\":{\"value\":\"%s\"}}", dive_secret_reveal(&v));
	assert_string_equal(f.body, want);
	dive_secret_release(&v);
	secrets_close(p);
}

static void secrets__vault_errors_have_their_codes_and_no_token(void **state)
{
	static const struct {
		long status;
		const char *answer;
		int rc, code;
	} cases[] = {
		{ 403, "{\"errors\":[\"permission denied\"]}", DIVE_EFAIL, ERRC_VAULT_DENIED },
		{ 503, "{\"errors\":[\"Vault is sealed\"]}", DIVE_EUNAVAIL, ERRC_VAULT_SEALED },
		{ 500, "{\"errors\":[\"internal error\"]}", DIVE_EUNAVAIL, ERRC_VAULT_UNREACHABLE },
		{ 0, NULL, DIVE_EUNAVAIL, ERRC_VAULT_UNREACHABLE },
		{ 200, "{\"data\":{\"data\":null,\"metadata\":{\"deletion_time\":\"x\"}}}", DIVE_ENOTFOUND, 0 },
		{ 200, "{\"data\":{\"data\":{\"password\":\"x\"}}}", DIVE_EUSAGE, ERRC_SECRET_INVALID },
	};
	struct fake_vault f;
	struct secrets_provider *p = fake_open(&f, "vault:http://127.0.0.1:8200");
	struct dive_secret v = DIVE_SECRET_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.status = cases[i].status;
		f.answer = cases[i].answer;
		dive_error_clear();
		assert_int_equal(secrets_get(p, "DEU", "KEYCLOAK_CLIENT_SECRET", &v), cases[i].rc);
		if (cases[i].code)
			assert_int_equal(dive_error_last_code(), cases[i].code);
		assert_null(strstr(dive_error_last(), "hvs.test-token"));
		assert_non_null(strstr(dive_error_last(), "KEYCLOAK_CLIENT_SECRET"));
		assert_false(dive_secret_is_set(&v));
	}
	secrets_close(p);

	/* no token anywhere: a clear line before any request */
	unsetenv("VAULT_TOKEN");
	assert_int_equal(secrets_open(&p, "vault:http://127.0.0.1:8200", dir), 0);
	secrets_set_transport(p, &f.t);
	f.calls = 0;
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), DIVE_EUSAGE);
	assert_int_equal(f.calls, 0);
	assert_non_null(strstr(dive_error_last(), "VAULT_TOKEN"));
	secrets_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(secrets__file_provider_generates_once_with_mode_0600),
		cmocka_unit_test(secrets__refuses_a_file_others_can_read),
		cmocka_unit_test(secrets__rejects_bad_names),
		cmocka_unit_test(secrets__env_provider_reads_and_cannot_store),
		cmocka_unit_test(secrets__vault_spec_is_checked_before_any_request),
		cmocka_unit_test(secrets__vault_reads_and_writes_kv_v2_with_the_token),
		cmocka_unit_test(secrets__vault_generates_a_missing_secret_into_the_vault),
		cmocka_unit_test(secrets__vault_errors_have_their_codes_and_no_token),
	};

	return cmocka_run_group_tests_name("secrets", tests, setup, teardown);
}
