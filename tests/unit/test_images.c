/* test_images.c - image recipes name the Debian package of every host file they copy; files are read safely. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/error.h"
#include "dive/file.h"
#include "dive/hostfiles.h"
#include "dive/images.h"

static const char *source_dir(void)
{
	const char *s = getenv("DIVE_SOURCE_DIR");

	return s && *s ? s : DIVE_SOURCE_DIR;
}

/* The rule that would have caught redis-server: every host file of every recipe has a source. */
static void images__every_host_recipe_names_a_source_for_each_file(void **state)
{
	size_t i, j, recipes = 0, packages = 0;

	(void)state;
	for (i = 0; i < images_count(); i++) {
		struct hostfiles hf;
		int rc;

		if (!images_from_host(i))
			continue;
		recipes++;
		rc = hostfiles_load(&hf, source_dir(), images_name(i));
		if (rc < 0)
			fail_msg("recipe %s: %s", images_name(i), dive_error_last());
		assert_true(hf.n > 0);
		for (j = 0; j < hf.n; j++) {
			const struct hostfile *f = &hf.v[j];

			assert_true(hostfile_package(f) != NULL || hostfile_env(f) != NULL);
			if (hostfile_package(f)) {
				assert_true(f->path[0] == '/');
				packages++;
			}
		}
		hostfiles_release(&hf);
	}
	assert_true(recipes >= 8);   /* base, postgres, redis, mongodb, opa, keycloak, opal-server, opal-client */
	assert_true(packages >= 4);
}

static void images__redis_recipe_names_its_packages(void **state)
{
	struct hostfiles hf;
	size_t j;
	int server = 0, cli = 0;

	(void)state;
	assert_int_equal(hostfiles_load(&hf, source_dir(), "redis"), 0);
	for (j = 0; j < hf.n; j++) {
		server |= !strcmp(hf.v[j].path, "/usr/bin/redis-server") && !strcmp(hf.v[j].source, "redis-server");
		cli |= !strcmp(hf.v[j].path, "/usr/bin/redis-cli") && !strcmp(hf.v[j].source, "redis-tools");
	}
	hostfiles_release(&hf);
	assert_true(server && cli);
}

/* The stacks' OPAL images run the real OPAL images, the other application containers the stand-in. */
static void images__opal_names_map_to_the_opal_images(void **state)
{
	(void)state;
	assert_string_equal(images_map("dive-v3/opal-server:latest"), "dive/opal-server:local");
	assert_string_equal(images_map("permitio/opal-server:0.9.9"), "dive/opal-server:local");
	assert_string_equal(images_map("dive-v3/opal-client:latest"), "dive/opal-client:local");
	assert_string_equal(images_map("permitio/opal-client"), "dive/opal-client:local");
	assert_string_equal(images_map("dive-v3/backend:latest"), "dive/standin:local");
	assert_null(images_map("permitio/opal-clientx:1"));
}

static void expect_refused(const char *text, const char *needle)
{
	struct hostfiles hf;
	int rc = hostfiles_parse(&hf, text, "images/x/host-files");

	assert_int_equal(rc, DIVE_EUSAGE);
	if (!strstr(dive_error_last(), needle))
		fail_msg("'%s' lacks '%s'", dive_error_last(), needle);
	assert_null(hf.v);
}

static void hostfiles__refuses_a_file_without_its_package(void **state)
{
	(void)state;
	/* a program with no source: the path lands where the package should be */
	expect_refused("# comment\n\nprogram /usr/bin/redis-server\n", "images/x/host-files:3:");
	expect_refused("program /usr/bin/redis-server /usr/bin/redis-server\n", "not a Debian package name");
	expect_refused("program Redis /usr/bin/redis-server\n", "not a Debian package name");
	expect_refused("binary redis-server /usr/bin/redis-server\n", "unknown kind 'binary'");
	expect_refused("file tzdata usr/share/zoneinfo/UTC\n", "not an absolute path");
	expect_refused("program env:lower - /x\n", "env:VARIABLE");
	expect_refused("program env:DIVE_OPA_BIN /usr/bin/opa /x\n", "'-' as host path");
	expect_refused("program env:DIVE_OPA_BIN -\n", "'-' as host path");
	expect_refused("# nothing\n", "no entries");
}

static void hostfiles__reads_kinds_sources_and_destinations(void **state)
{
	struct hostfiles hf;

	(void)state;
	assert_int_equal(hostfiles_parse(&hf, "busybox busybox-static /bin/busybox\n"
					      "tree  env:DIVE_KEYCLOAK_DIST  -  /opt/keycloak   # trailing comment\n"
					      "file tzdata /usr/share/zoneinfo/UTC /etc/localtime\r\n"
					      "libtree libpython3.11-stdlib /usr/lib/python3.11\n",
					 "f"),
			 0);
	assert_int_equal(hf.n, 4);
	assert_int_equal(hf.v[0].kind, HOSTFILE_BUSYBOX);
	assert_string_equal(hostfile_package(&hf.v[0]), "busybox-static");
	assert_string_equal(hf.v[0].dest, "/bin/busybox");
	assert_int_equal(hf.v[1].kind, HOSTFILE_TREE);
	assert_null(hostfile_package(&hf.v[1]));
	assert_string_equal(hostfile_env(&hf.v[1]), "DIVE_KEYCLOAK_DIST");
	assert_string_equal(hf.v[1].dest, "/opt/keycloak");
	assert_int_equal(hf.v[1].line, 2);
	assert_string_equal(hf.v[2].dest, "/etc/localtime");
	assert_int_equal(hf.v[3].kind, HOSTFILE_LIBTREE);
	assert_string_equal(hostfile_kind_name(hf.v[3].kind), "libtree");
	assert_string_equal(hostfile_package(&hf.v[3]), "libpython3.11-stdlib");
	assert_string_equal(hf.v[3].dest, "/usr/lib/python3.11");
	hostfiles_release(&hf);
}

static char tmpdir[64];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dive-test-file-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A FIFO with no writer would block open(2) and read(2) forever. */
static void file__refuses_a_fifo_at_once(void **state)
{
	struct dive_buf b;
	char path[128];
	struct timespec t0, t1;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo.yml", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dive_file_read(&b, path, 1024, "stack file"), DIVE_EUSAGE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(strstr(dive_error_last(), "is not a regular file"));
	assert_non_null(strstr(dive_error_last(), "stack file"));
	dive_buf_release(&b);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
}

static void file__refuses_directories_missing_files_and_oversize(void **state)
{
	struct dive_buf b;
	char path[128];
	FILE *f;

	(void)state;
	assert_int_equal(dive_file_read(&b, tmpdir, 1024, "stack file"), DIVE_EUSAGE);
	dive_buf_release(&b);
	snprintf(path, sizeof(path), "%s/none.yml", tmpdir);
	assert_int_equal(dive_file_read(&b, path, 1024, "stack file"), DIVE_ENOTFOUND);
	dive_buf_release(&b);
	snprintf(path, sizeof(path), "%s/big.yml", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0123456789abcdef", f);
	fclose(f);
	assert_int_equal(dive_file_read(&b, path, 10, "stack file"), DIVE_ETOOBIG);
	dive_buf_release(&b);
	assert_int_equal(dive_file_read(&b, path, 16, "stack file"), 0);
	assert_string_equal(dive_buf_str(&b), "0123456789abcdef");
	dive_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(images__every_host_recipe_names_a_source_for_each_file),
		cmocka_unit_test(images__redis_recipe_names_its_packages),
		cmocka_unit_test(images__opal_names_map_to_the_opal_images),
		cmocka_unit_test(hostfiles__refuses_a_file_without_its_package),
		cmocka_unit_test(hostfiles__reads_kinds_sources_and_destinations),
		cmocka_unit_test_setup_teardown(file__refuses_a_fifo_at_once, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(file__refuses_directories_missing_files_and_oversize, setup_tmp,
						teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
