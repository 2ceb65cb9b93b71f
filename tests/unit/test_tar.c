/* test_tar.c - the ustar writer: headers, checksums, padding, limits, host trees, and tar(1) reading it back. */
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
#include "dive/tar.h"

/* The header at block index blk. */
static const unsigned char *block(const struct tar *t, size_t blk)
{
	assert_true((blk + 1) * TAR_BLOCK <= t->out.len);
	return (const unsigned char *)t->out.ptr + blk * TAR_BLOCK;
}

static unsigned long long octal_field(const unsigned char *f, size_t width)
{
	char tmp[16];

	memcpy(tmp, f, width);
	tmp[width] = '\0';
	return strtoull(tmp, NULL, 8);
}

/* The stored checksum equals the sum of the header with its field as spaces. */
static void assert_header_ok(const unsigned char *h)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	assert_int_equal(octal_field(h + 148, 6), sum);
	assert_int_equal(h[154], '\0');
	assert_int_equal(h[155], ' ');
	assert_memory_equal(h + 257, "ustar\0" "00", 8);
	assert_string_equal((const char *)h + 265, "root");
}

static void tar__writes_headers_with_valid_checksums_and_padding(void **state)
{
	struct tar t;
	const unsigned char *h;
	char longname[200];

	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_file(&t, "a.txt", "hello", 5, 0644), 0);
	assert_int_equal(tar_add_dir(&t, "d", 0755), 0);
	assert_int_equal(tar_add_symlink(&t, "d/l", "../a.txt"), 0);
	/* 120 + "/" + 60: needs the prefix field */
	memset(longname, 'p', 120);
	longname[120] = '/';
	memset(longname + 121, 'n', 60);
	longname[181] = '\0';
	assert_int_equal(tar_add_file(&t, longname, "", 0, 0755), 0);
	assert_int_equal(tar_finish(&t), 0);

	/* file header + one data block, dir, link, empty file, two zero blocks */
	assert_int_equal(t.out.len, 7 * TAR_BLOCK);
	h = block(&t, 0);
	assert_header_ok(h);
	assert_string_equal((const char *)h, "a.txt");
	assert_int_equal(h[156], '0');
	assert_int_equal(octal_field(h + 100, 7), 0644);
	assert_int_equal(octal_field(h + 124, 11), 5);
	assert_memory_equal(block(&t, 1), "hello\0\0\0", 8);
	h = block(&t, 1);
	assert_int_equal(h[TAR_BLOCK - 1], 0); /* padding is zeros */

	h = block(&t, 2);
	assert_header_ok(h);
	assert_string_equal((const char *)h, "d/");
	assert_int_equal(h[156], '5');
	assert_int_equal(octal_field(h + 100, 7), 0755);

	h = block(&t, 3);
	assert_header_ok(h);
	assert_string_equal((const char *)h, "d/l");
	assert_int_equal(h[156], '2');
	assert_string_equal((const char *)h + 157, "../a.txt");

	h = block(&t, 4);
	assert_header_ok(h);
	assert_int_equal(strnlen((const char *)h + 345, 155), 120);
	assert_int_equal(strnlen((const char *)h, 100), 60);

	assert_int_equal(block(&t, 5)[0], 0);
	assert_int_equal(block(&t, 6)[511], 0);
	/* nothing can follow the end blocks */
	assert_int_equal(tar_add_dir(&t, "late", 0755), DIVE_EUSAGE);
	tar_release(&t);
}

static void tar__refuses_to_grow_past_its_maximum(void **state)
{
	struct tar t;
	size_t before;

	tar_init(&t, 3 * TAR_BLOCK);
	/* a header and one data block, plus the end blocks, is 4 blocks */
	assert_int_equal(tar_add_file(&t, "x", "1", 1, 0644), DIVE_ETOOBIG);
	assert_int_equal(t.out.len, 0);
	/* a directory (one block) fits, with room kept for the end */
	assert_int_equal(tar_add_dir(&t, "d", 0755), 0);
	before = t.out.len;
	assert_int_equal(tar_add_dir(&t, "e", 0755), DIVE_ETOOBIG);
	assert_int_equal(t.out.len, before);
	assert_int_equal(tar_finish(&t), 0);
	assert_int_equal(t.out.len, 3 * TAR_BLOCK);
	tar_release(&t);
}

static void tar__rejects_names_that_escape_or_do_not_fit(void **state)
{
	static const char *const bad[] = { "", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/.", NULL };
	char name[300];
	struct tar t;
	int i;

	tar_init(&t, 1 << 20);
	for (i = 0; bad[i]; i++) {
		assert_int_equal(tar_add_file(&t, bad[i], "x", 1, 0644), DIVE_EUSAGE);
		assert_non_null(strstr(dive_error_last(), "invalid archive entry name"));
	}
	/* longer than 255 bytes: refused */
	memset(name, 'a', 260);
	name[100] = '/';
	name[260] = '\0';
	assert_int_equal(tar_add_file(&t, name, "x", 1, 0644), DIVE_EUSAGE);
	assert_int_equal(t.out.len, 0);
	tar_release(&t);
}

/* Names ustar cannot split and long link targets go in a pax header; GNU tar reads them back. */
static void tar__long_names_travel_in_pax_headers(void **state)
{
	char name[200], target[150], path[64], cmd[160], line[512];
	struct tar t;
	FILE *f, *p;
	int found_name = 0, found_link = 0;

	memset(name, 'a', 101);
	name[101] = '\0';
	memset(target, 't', 120);
	target[120] = '\0';
	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_file(&t, name, "x", 1, 0644), 0);
	assert_int_equal(tar_add_symlink(&t, "dir/link", target), 0);
	assert_int_equal(tar_finish(&t), 0);
	snprintf(path, sizeof(path), "/tmp/dive-tar-test-%d.tar", (int)getpid());
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(t.out.ptr, 1, t.out.len, f), t.out.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "tar -tvf %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		found_name |= strstr(line, name) != NULL;
		found_link |= strstr(line, target) != NULL;
	}
	assert_int_equal(pclose(p), 0);
	unlink(path);
	assert_true(found_name);
	assert_true(found_link);
	tar_release(&t);
}

/* A directory tree under a fresh temporary directory. */
static char *make_tree(void)
{
	char *dir = strdup("/tmp/dive-test-tar-XXXXXX");
	char path[512];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run.sh", dir);
	f = fopen(path, "w");
	fputs("#!/bin/sh\necho hi\n", f);
	fclose(f);
	chmod(path, 0755);
	snprintf(path, sizeof(path), "%s/b", dir);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/b/data.txt", dir);
	f = fopen(path, "w");
	fputs("data\n", f);
	fclose(f);
	chmod(path, 0600);
	snprintf(path, sizeof(path), "%s/b/link", dir);
	assert_int_equal(symlink("data.txt", path), 0);
	snprintf(path, sizeof(path), "%s/A.md", dir);
	f = fopen(path, "w");
	fclose(f);
	chmod(path, 0644);
	return dir;
}

static void remove_tree(char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void tar__adds_a_host_tree_sorted_with_modes_and_symlinks(void **state)
{
	static const struct {
		const char *name;
		char type;
		unsigned mode;
		unsigned size;
	} want[] = {
		{ "A.md", '0', 0644, 0 },
		{ "b/", '5', 0750, 0 },
		{ "b/data.txt", '0', 0600, 5 },
		{ "b/link", '2', 0777, 0 },
		{ "run.sh", '0', 0755, 18 },
	};
	char *dir = make_tree();
	struct tar t;
	size_t off = 0, i;

	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_tree(&t, "", dir), 0);
	assert_int_equal(tar_finish(&t), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const unsigned char *h = (const unsigned char *)t.out.ptr + off;
		unsigned long long size = octal_field(h + 124, 11);

		assert_header_ok(h);
		assert_string_equal((const char *)h, want[i].name);
		assert_int_equal(h[156], want[i].type);
		assert_int_equal(octal_field(h + 100, 7), want[i].mode);
		assert_int_equal(size, want[i].size);
		off += TAR_BLOCK + (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	}
	assert_string_equal(t.out.ptr + 4 * TAR_BLOCK + 157, "data.txt"); /* b/link */
	assert_int_equal(off + 2 * TAR_BLOCK, t.out.len);

	/* the same tree gives the same bytes (fixed owner and mtime) */
	{
		struct tar again;

		tar_init(&again, 1 << 20);
		assert_int_equal(tar_add_tree(&again, "", dir), 0);
		assert_int_equal(tar_finish(&again), 0);
		assert_int_equal(again.out.len, t.out.len);
		assert_memory_equal(again.out.ptr, t.out.ptr, t.out.len);
		tar_release(&again);
	}
	tar_release(&t);

	/* under a prefix, the top directory gets its own entry */
	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_tree(&t, "ctx", dir), 0);
	assert_string_equal(t.out.ptr, "ctx/");
	assert_string_equal(t.out.ptr + TAR_BLOCK, "ctx/A.md");
	tar_release(&t);
	remove_tree(dir);
}

static void tar__refuses_special_files_and_missing_paths(void **state)
{
	char *dir = make_tree();
	char path[512];
	struct tar t;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_tree(&t, "", dir), DIVE_EUSAGE);
	assert_non_null(strstr(dive_error_last(), "not a regular file"));
	tar_release(&t);

	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_path(&t, "x", "/nonexistent/dive-test"), DIVE_ENOTFOUND);
	assert_int_equal(tar_add_tree(&t, "", "/nonexistent/dive-test"), DIVE_ENOTFOUND);
	/* a host file larger than the archive may hold */
	tar_release(&t);
	tar_init(&t, 4 * TAR_BLOCK);
	snprintf(path, sizeof(path), "%s/run.sh", dir);
	assert_int_equal(tar_add_path(&t, "run.sh", path), 0);
	assert_int_equal(tar_add_path(&t, "run2.sh", path), DIVE_ETOOBIG);
	tar_release(&t);
	remove_tree(dir);
}

/* The line of a `tar -tv` listing that ends with tail starts with mode_owner and shows size. */
static void assert_listed(const char *listing, const char *mode_owner, const char *size, const char *tail)
{
	const char *end = strstr(listing, tail), *start;
	char line[512], field[32];

	if (!end)
		fail_msg("'%s' is not in the listing:\n%s", tail, listing);
	start = end;
	while (start > listing && start[-1] != '\n')
		start--;
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
	assert_int_equal(strncmp(line, mode_owner, strlen(mode_owner)), 0);
	/* the size is the first field after the owner, however wide the column is */
	assert_int_equal(sscanf(line + strlen(mode_owner), "%31s", field), 1);
	assert_string_equal(field, size);
}

/* GNU tar reads the archive back: names, modes, link targets and content. */
static void tar__reads_back_with_tar_tvf(void **state)
{
	char *dir = make_tree();
	char file[] = "/tmp/dive-test-tar-XXXXXX.tar";
	char cmd[700], line[512], listing[4096] = "";
	struct tar t;
	FILE *f, *p;
	int fd;

	if (access("/usr/bin/tar", X_OK) != 0 && access("/bin/tar", X_OK) != 0)
		skip();
	tar_init(&t, 1 << 20);
	assert_int_equal(tar_add_file(&t, "hello.txt", "hello world\n", 12, 0640), 0);
	assert_int_equal(tar_add_tree(&t, "tree", dir), 0);
	assert_int_equal(tar_finish(&t), 0);
	fd = mkstemps(file, 4);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_int_equal(fwrite(t.out.ptr, 1, t.out.len, f), t.out.len);
	fclose(f);

	snprintf(cmd, sizeof(cmd), "tar --numeric-owner -tvf '%s' 2>&1", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		strncat(listing, line, sizeof(listing) - strlen(listing) - 1);
	assert_int_equal(pclose(p), 0);
	assert_listed(listing, "-rw-r----- 0/0", "12", "hello.txt\n");
	assert_listed(listing, "drwxr-x--- 0/0", "0", "tree/b/\n");
	assert_listed(listing, "-rwxr-xr-x 0/0", "18", "tree/run.sh\n");
	assert_listed(listing, "lrwxrwxrwx 0/0", "0", "tree/b/link -> data.txt\n");

	snprintf(cmd, sizeof(cmd), "tar -xOf '%s' tree/b/data.txt", file);
	p = popen(cmd, "r");
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	assert_string_equal(line, "data\n");

	unlink(file);
	tar_release(&t);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tar__writes_headers_with_valid_checksums_and_padding),
		cmocka_unit_test(tar__refuses_to_grow_past_its_maximum),
		cmocka_unit_test(tar__rejects_names_that_escape_or_do_not_fit),
		cmocka_unit_test(tar__long_names_travel_in_pax_headers),
		cmocka_unit_test(tar__adds_a_host_tree_sorted_with_modes_and_symlinks),
		cmocka_unit_test(tar__refuses_special_files_and_missing_paths),
		cmocka_unit_test(tar__reads_back_with_tar_tvf),
	};

	return cmocka_run_group_tests_name("tar", tests, NULL, NULL);
}
