/*
 * itest_vault.c - the vault: secrets provider against the real Vault server
 * of tests/env/up (HashiCorp Vault v1.14.2, file storage): get, put, missing,
 * a restricted token denied, AppRole login, TLS with and without the CA; and
 * against a private dev-mode server of the same program: sealed, then
 * stopped, through the guard with the breakers in a state database of the
 * test's own, so the breaker vault:127.0.0.1:<port> opens.
 *
 * Every path lives under itest-<pid>/ in the shared server's secret/ mount,
 * deleted at the end.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/breaker.h"
#include "dive/breaker_store.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/guard.h"
#include "dive/http.h"
#include "dive/secrets.h"
#include "dive/store.h"
#include "itest.h"

static char prefix[64];        /* itest-<pid> */
static char tmpdir[64];
static char root_token[256];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void read_line(char *out, size_t n, const char *path)
{
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(out, (int)n, f));
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

static void write_private(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, value, strlen(value)), (ssize_t)strlen(value));
	close(fd);
}

/* One call with the root token (or token) to addr; returns the status, the body in out (may be NULL). */
static long admin(const char *addr, const char *token, const char *method, const char *path, const char *body,
		  char *out, size_t n)
{
	struct http_req req;
	struct http_resp resp;
	char url[512], auth[300];
	const char *headers[3] = { auth, "Content-Type: application/json", NULL };
	long st;

	snprintf(url, sizeof(url), "%s/v1/%s", addr, path);
	snprintf(auth, sizeof(auth), "X-Vault-Token: %s", token ? token : root_token);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = 15000;
	if (http_perform(NULL, &req, &resp) < 0) {
		http_resp_release(&resp);
		return 0;
	}
	st = resp.status;
	if (out)
		snprintf(out, n, "%s", resp.body.ptr ? resp.body.ptr : "");
	http_resp_release(&resp);
	return st;
}

/* The string value of "key":"..." in a JSON text (good enough for Vault's answers). */
static void json_str(char *out, size_t n, const char *json, const char *key)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(json, pat);
	assert_non_null(p);
	p += strlen(pat);
	e = strchr(p, '"');
	assert_non_null(e);
	snprintf(out, n, "%.*s", (int)(e - p), p);
}

static struct secrets_provider *open_spec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct secrets_provider *open_spec(const char *fmt, ...)
{
	struct secrets_provider *p = NULL;
	char spec[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	if (secrets_open(&p, spec, tmpdir) < 0)
		fprintf(stderr, "secrets_open(%s): %s\n", spec, dive_error_last());
	assert_non_null(p);
	return p;
}

static int setup(void **state)
{
	snprintf(prefix, sizeof(prefix), "itest-%d", (int)getpid());
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dive-itest-vault-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	read_line(root_token, sizeof(root_token), itest_env("DIVE_VAULT_TOKEN_FILE"));
	return 0;
}

static int teardown(void **state)
{
	char path[128], cmd[128];

	snprintf(path, sizeof(path), "secret/metadata/%s/deu/POSTGRES_PASSWORD", prefix);
	admin(getenv("DIVE_VAULT_ADDR"), NULL, "DELETE", path, NULL, NULL, 0);
	snprintf(path, sizeof(path), "secret/metadata/%s/deu/AUTH_SECRET", prefix);
	admin(getenv("DIVE_VAULT_ADDR"), NULL, "DELETE", path, NULL, NULL, 0);
	snprintf(path, sizeof(path), "sys/policies/acl/%s", prefix);
	admin(getenv("DIVE_VAULT_ADDR"), NULL, "DELETE", path, NULL, NULL, 0);
	snprintf(path, sizeof(path), "auth/approle/role/%s", prefix);
	admin(getenv("DIVE_VAULT_ADDR"), NULL, "DELETE", path, NULL, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void vault__put_get_list_and_missing_on_the_real_server(void **state)
{
	const char *addr = itest_env("DIVE_VAULT_ADDR");
	struct secrets_provider *p = open_spec("vault:%s,token-file=%s,path=%s/<code>/<KEY>", addr,
					       itest_env("DIVE_VAULT_TOKEN_FILE"), prefix);
	struct dive_secret v = DIVE_SECRET_INIT, w = DIVE_SECRET_INIT;
	char **names = NULL, body[2048], path[128];
	int gen = 0;

	assert_int_equal(secrets_get(p, "DEU", "POSTGRES_PASSWORD", &v), DIVE_ENOTFOUND);
	assert_non_null(strstr(dive_error_last(), "POSTGRES_PASSWORD"));
	assert_int_equal(secrets_ensure(p, "DEU", "POSTGRES_PASSWORD", 24, &v, &gen), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(strlen(dive_secret_reveal(&v)), 48);
	/* what Vault holds is what the provider handed out */
	snprintf(path, sizeof(path), "secret/data/%s/deu/POSTGRES_PASSWORD", prefix);
	assert_int_equal(admin(addr, NULL, "GET", path, NULL, body, sizeof(body)), 200);
	assert_non_null(strstr(body, dive_secret_reveal(&v)));
	assert_int_equal(secrets_ensure(p, "DEU", "POSTGRES_PASSWORD", 24, &w, &gen), 0);
	assert_int_equal(gen, 0);
	assert_string_equal(dive_secret_reveal(&v), dive_secret_reveal(&w));
	dive_secret_release(&w);

	/* a put replaces; the next get sees it */
	dive_secret_set(&w, "replaced-value-1");
	assert_int_equal(secrets_put(p, "DEU", "AUTH_SECRET", &w), 0);
	dive_secret_release(&w);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &w), 0);
	assert_string_equal(dive_secret_reveal(&w), "replaced-value-1");
	dive_secret_release(&w);
	assert_int_equal(secrets_list(p, "DEU", &names), 0);
	assert_non_null(names[0]);
	assert_string_equal(names[0], "AUTH_SECRET");
	assert_string_equal(names[1], "POSTGRES_PASSWORD");
	assert_null(names[2]);
	secrets_names_free(names);
	assert_int_equal(secrets_list(p, "FRA", &names), 0);
	assert_null(names[0]);
	secrets_names_free(names);

	/* a deleted latest version is missing */
	snprintf(path, sizeof(path), "secret/data/%s/deu/AUTH_SECRET", prefix);
	assert_int_equal(admin(addr, NULL, "DELETE", path, NULL, NULL, 0), 204);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &w), DIVE_ENOTFOUND);
	dive_secret_release(&v);
	secrets_close(p);
}

/* A token whose policy reads deu's secrets and nothing else. */
static void restricted_token(char *out, size_t n, const char *addr)
{
	char body[1024], path[128], answer[4096];

	snprintf(body, sizeof(body), "{\"policy\":\"path \\\"secret/data/%s/deu/*\\\" { capabilities = [\\\"read\\\"] }\"}",
		 prefix);
	snprintf(path, sizeof(path), "sys/policies/acl/%s", prefix);
	assert_int_equal(admin(addr, NULL, "PUT", path, body, NULL, 0), 204);
	snprintf(body, sizeof(body), "{\"policies\":[\"%s\"],\"ttl\":\"10m\",\"no_default_policy\":true}", prefix);
	assert_int_equal(admin(addr, NULL, "POST", "auth/token/create", body, answer, sizeof(answer)), 200);
	json_str(out, n, answer, "client_token");
}

static void vault__a_restricted_token_is_denied_with_its_code(void **state)
{
	const char *addr = itest_env("DIVE_VAULT_ADDR");
	struct secrets_provider *p;
	struct dive_secret v = DIVE_SECRET_INIT;
	char token[256], tokfile[128];

	restricted_token(token, sizeof(token), addr);
	snprintf(tokfile, sizeof(tokfile), "%s/token", tmpdir);
	write_private(tokfile, token);
	p = open_spec("vault:%s,token-file=%s,path=%s/<code>/<KEY>", addr, tokfile, prefix);
	/* reading deu is allowed (missing is an answer), writing it and reading fra are not */
	assert_int_equal(secrets_get(p, "DEU", "REDIS_PASSWORD", &v), DIVE_ENOTFOUND);
	dive_secret_set(&v, "not-written");
	assert_int_equal(secrets_put(p, "DEU", "REDIS_PASSWORD", &v), DIVE_EFAIL);
	assert_int_equal(dive_error_last_code(), ERRC_VAULT_DENIED);
	assert_null(strstr(dive_error_last(), token));
	assert_null(strstr(dive_error_last(), "not-written"));
	dive_secret_release(&v);
	assert_int_equal(secrets_get(p, "FRA", "REDIS_PASSWORD", &v), DIVE_EFAIL);
	assert_int_equal(dive_error_last_code(), ERRC_VAULT_DENIED);
	assert_non_null(strstr(dive_error_last(), "denied"));
	secrets_close(p);

	/* a token file others can read is refused before any request */
	chmod(tokfile, 0644);
	p = open_spec("vault:%s,token-file=%s,path=%s/<code>/<KEY>", addr, tokfile, prefix);
	assert_int_equal(secrets_get(p, "DEU", "REDIS_PASSWORD", &v), DIVE_EUSAGE);
	assert_int_equal(dive_error_last_code(), ERRC_SECRET_BAD_MODE);
	secrets_close(p);
}

static void vault__approle_login_reads_and_a_wrong_secret_id_is_denied(void **state)
{
	const char *addr = itest_env("DIVE_VAULT_ADDR");
	struct secrets_provider *p, *root;
	struct dive_secret v = DIVE_SECRET_INIT;
	char body[512], path[128], answer[4096], role_id[128], secret_id[128], sidfile[128];

	/* the policy of the restricted token, given to a role */
	restricted_token(answer, sizeof(answer), addr);
	snprintf(path, sizeof(path), "auth/approle/role/%s", prefix);
	snprintf(body, sizeof(body), "{\"token_policies\":[\"%s\"],\"token_ttl\":\"10m\"}", prefix);
	assert_int_equal(admin(addr, NULL, "POST", path, body, NULL, 0), 204);
	snprintf(path, sizeof(path), "auth/approle/role/%s/role-id", prefix);
	assert_int_equal(admin(addr, NULL, "GET", path, NULL, answer, sizeof(answer)), 200);
	json_str(role_id, sizeof(role_id), answer, "role_id");
	snprintf(path, sizeof(path), "auth/approle/role/%s/secret-id", prefix);
	assert_int_equal(admin(addr, NULL, "POST", path, NULL, answer, sizeof(answer)), 200);
	json_str(secret_id, sizeof(secret_id), answer, "secret_id");
	snprintf(sidfile, sizeof(sidfile), "%s/secret-id", tmpdir);
	write_private(sidfile, secret_id);

	root = open_spec("vault:%s,token-file=%s,path=%s/<code>/<KEY>", addr, itest_env("DIVE_VAULT_TOKEN_FILE"),
			 prefix);
	dive_secret_set(&v, "approle-can-read-this");
	assert_int_equal(secrets_put(root, "DEU", "AUTH_SECRET", &v), 0);
	dive_secret_release(&v);
	secrets_close(root);

	p = open_spec("vault:%s,auth=approle,role-id=%s,secret-id-file=%s,path=%s/<code>/<KEY>", addr, role_id,
		      sidfile, prefix);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), 0);
	assert_string_equal(dive_secret_reveal(&v), "approle-can-read-this");
	dive_secret_release(&v);
	secrets_close(p);

	write_private(sidfile, "00000000-0000-0000-0000-000000000000");
	p = open_spec("vault:%s,auth=approle,role-id=%s,secret-id-file=%s,path=%s/<code>/<KEY>", addr, role_id,
		      sidfile, prefix);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), DIVE_EFAIL);
	assert_int_equal(dive_error_last_code(), ERRC_VAULT_DENIED);
	assert_non_null(strstr(dive_error_last(), "AppRole"));
	assert_null(strstr(dive_error_last(), secret_id));
	secrets_close(p);
}

static void vault__tls_is_verified_against_the_ca_file(void **state)
{
	const char *tls = itest_env("DIVE_VAULT_TLS_ADDR");
	struct secrets_provider *p;
	struct dive_secret v = DIVE_SECRET_INIT;

	p = open_spec("vault:%s,ca=%s,token-file=%s,path=%s/<code>/<KEY>", tls, itest_env("DIVE_VAULT_CACERT"),
		      itest_env("DIVE_VAULT_TOKEN_FILE"), prefix);
	assert_int_equal(secrets_get(p, "DEU", "KEYCLOAK_CLIENT_SECRET", &v), DIVE_ENOTFOUND);
	secrets_close(p);
	/* the test CA is not one the system trusts: refused, with its own code, and not retried */
	p = open_spec("vault:%s,token-file=%s,path=%s/<code>/<KEY>", tls, itest_env("DIVE_VAULT_TOKEN_FILE"), prefix);
	assert_int_equal(secrets_get(p, "DEU", "KEYCLOAK_CLIENT_SECRET", &v), DIVE_EFAIL);
	assert_int_equal(dive_error_last_code(), ERRC_VAULT_TLS);
	assert_non_null(strstr(dive_error_last(), "ca=FILE"));
	secrets_close(p);
}

/* --- a private dev-mode server: sealed, then stopped, through the breaker ------------ */

static void show_log(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		fputs(line, stderr);
	if (f)
		fclose(f);
}

static pid_t dev_start(int port, const char *token)
{
	const char *bin = itest_env("DIVE_VAULT_BIN");
	char listen[64], tok[96], log[128], url[64];
	pid_t pid;
	int i;

	snprintf(listen, sizeof(listen), "-dev-listen-address=127.0.0.1:%d", port);
	snprintf(tok, sizeof(tok), "-dev-root-token-id=%s", token);
	snprintf(log, sizeof(log), "%s/dev.log", tmpdir);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("HOME", tmpdir, 1); /* where -dev would keep a token helper file */
		execl(bin, bin, "server", "-dev", listen, tok, "-dev-no-store-token", (char *)NULL);
		_exit(127);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	for (i = 0; i < 300; i++) {
		if (admin(url, token, "GET", "sys/health", NULL, NULL, 0) == 200)
			return pid;
		sleep_ms(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	show_log(log);
	fail_msg("the dev-mode vault on port %d did not answer in 30s", port);
	return -1;
}

static void vault__sealed_has_its_message_and_stopped_opens_the_breaker(void **state)
{
	int port = itest_free_port();
	char token[64], url[64], tokfile[128], breaker[64];
	struct store *s = NULL;
	struct secrets_provider *p = NULL;
	struct dive_secret v = DIVE_SECRET_INIT;
	struct breaker_row row;
	struct timespec t0, t1;
	int found = 0;
	long ms;
	pid_t pid;

	snprintf(token, sizeof(token), "itest-dev-%d", (int)getpid());
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	snprintf(tokfile, sizeof(tokfile), "%s/dev-token", tmpdir);
	write_private(tokfile, token);
	snprintf(breaker, sizeof(breaker), "vault:127.0.0.1:%d", port);
	assert_int_equal(store_open(&s, itest_new_db("vault"), STORE_MIGRATE), 0);
	pid = dev_start(port, token);

	{
		char spec[256];

		snprintf(spec, sizeof(spec), "vault:%s,token-file=%s", url, tokfile);
		assert_int_equal(guard_secrets_open(&p, spec, tmpdir, s), 0);
	}
	dive_secret_set(&v, "dev-value");
	assert_int_equal(secrets_put(p, "DEU", "AUTH_SECRET", &v), 0);
	dive_secret_release(&v);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), 0);
	dive_secret_release(&v);

	/* sealed: its own code and message, an answer that the breaker does not count */
	assert_int_equal(admin(url, token, "PUT", "sys/seal", NULL, NULL, 0), 204);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), DIVE_EUNAVAIL);
	assert_int_equal(dive_error_last_code(), ERRC_VAULT_SEALED);
	assert_non_null(strstr(dive_error_last(), "sealed"));
	assert_int_equal(breaker_get(s, &row, &found, breaker), 0);
	assert_true(!found || row.state == BREAKER_CLOSED);

	/* stopped: unreachable after the class's attempts, and the breaker opens */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), DIVE_EUNAVAIL);
	assert_int_equal(dive_error_last_code(), ERRC_VAULT_UNREACHABLE);
	assert_non_null(strstr(dive_error_last(), "unreachable"));
	assert_int_equal(breaker_get(s, &row, &found, breaker), 0);
	assert_true(found);
	assert_int_equal(row.state, BREAKER_OPEN);
	assert_null(strstr(row.last_error, token));

	/* the next call fails at once without touching the endpoint */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(secrets_get(p, "DEU", "AUTH_SECRET", &v), DIVE_ECIRCUIT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(dive_error_last_code(), ERRC_CIRCUIT_OPEN);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	print_message("refused by the open breaker in %ld ms\n", ms);
	secrets_close(p);
	store_close(s);
	itest_drop_db();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vault__put_get_list_and_missing_on_the_real_server),
		cmocka_unit_test(vault__a_restricted_token_is_denied_with_its_code),
		cmocka_unit_test(vault__approle_login_reads_and_a_wrong_secret_id_is_denied),
		cmocka_unit_test(vault__tls_is_verified_against_the_ca_file),
		cmocka_unit_test(vault__sealed_has_its_message_and_stopped_opens_the_breaker),
	};

	return cmocka_run_group_tests_name("vault", tests, setup, teardown);
}
