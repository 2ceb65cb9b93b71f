/* test_secrets.c - the file and environment secret providers. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(secrets__file_provider_generates_once_with_mode_0600),
		cmocka_unit_test(secrets__refuses_a_file_others_can_read),
		cmocka_unit_test(secrets__rejects_bad_names),
		cmocka_unit_test(secrets__env_provider_reads_and_cannot_store),
	};

	return cmocka_run_group_tests_name("secrets", tests, setup, teardown);
}
