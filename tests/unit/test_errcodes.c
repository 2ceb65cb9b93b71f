/* test_errcodes.c - the error taxonomy: its rows, string tables, thresholds and document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/cli.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/retry.h"

#define DOC_PATH "docs/architecture/error-taxonomy.md"
#define DOC_MAX (1 << 20)

static void errcodes__codes_are_unique_sorted_and_in_their_hundred(void **state)
{
	size_t i;

	assert_true(errcode_count() > 40);
	for (i = 0; i < errcode_count(); i++) {
		const struct errcode *e = errcode_at(i);

		assert_true(e->code >= 1001 && e->code <= 1799);
		assert_true(e->code % 100 != 0);
		if (i > 0)
			assert_true(errcode_at(i - 1)->code < e->code); /* sorted, hence unique */
		assert_ptr_equal(errcode_find(e->code), e);
	}
	assert_null(errcode_at(errcode_count()));
	assert_null(errcode_find(0));
	assert_null(errcode_find(1000));
	assert_null(errcode_find(9999));
}

static void errcodes__every_row_has_a_summary_and_a_remediation(void **state)
{
	size_t i;

	for (i = 0; i < errcode_count(); i++) {
		const struct errcode *e = errcode_at(i);

		assert_non_null(e->summary);
		assert_non_null(e->remediation);
		if (!*e->remediation || !*e->summary)
			fail_msg("error code %d has an empty summary or remediation", e->code);
		/* Summaries read like dive's messages: lowercase start, no final period. */
		if ((e->summary[0] >= 'A' && e->summary[0] <= 'Z' && e->summary[1] >= 'a') ||
		    e->summary[strlen(e->summary) - 1] == '.')
			fail_msg("error code %d: summary '%s' is not lowercase without a final period", e->code, e->summary);
		/* Nothing may break the Markdown tables of the document. */
		assert_null(strpbrk(e->summary, "|\n`"));
		assert_null(strpbrk(e->remediation, "|\n`"));
		assert_true((unsigned)e->category < ERRCAT__COUNT);
		assert_true((unsigned)e->severity < ERRSEV__COUNT);
		assert_true((unsigned)e->klass < ERRCLASS__COUNT);
	}
}

static int is_upper_snake(const char *s)
{
	size_t i;

	if (!(s[0] >= 'A' && s[0] <= 'Z'))
		return 0;
	for (i = 0; s[i]; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
		if (s[i] == '_' && (s[i + 1] == '_' || !s[i + 1]))
			return 0;
	}
	return i <= 32;
}

static void errcodes__names_are_unique_and_upper_snake(void **state)
{
	size_t i, j;

	for (i = 0; i < errcode_count(); i++) {
		const struct errcode *e = errcode_at(i);
		char lower[64];

		if (!is_upper_snake(e->name))
			fail_msg("error code %d: name '%s' is not UPPER_SNAKE", e->code, e->name);
		for (j = 0; j < i; j++)
			assert_string_not_equal(errcode_at(j)->name, e->name);
		assert_ptr_equal(errcode_find_name(e->name), e);
		for (j = 0; e->name[j] && j < sizeof(lower) - 1; j++)
			lower[j] = (char)(e->name[j] >= 'A' && e->name[j] <= 'Z' ? e->name[j] - 'A' + 'a' : e->name[j]);
		lower[j] = '\0';
		assert_ptr_equal(errcode_find_name(lower), e);
	}
	assert_null(errcode_find_name("NO_SUCH_CODE"));
	assert_null(errcode_find_name(NULL));
	assert_int_equal(errcode_find_name("service_timeout")->code, 1204);
}

static void errcodes__enums_round_trip_through_their_tables(void **state)
{
	int i;

	for (i = 0; i < ERRCAT__COUNT; i++) {
		enum errcat c = ERRCAT__COUNT;

		assert_int_equal(errcat_parse(&c, errcat_name((enum errcat)i)), 0);
		assert_int_equal(c, i);
		assert_true(*errcat_meaning((enum errcat)i));
	}
	for (i = 0; i < ERRSEV__COUNT; i++) {
		enum errsev s = ERRSEV__COUNT;

		assert_int_equal(errsev_parse(&s, errsev_name((enum errsev)i)), 0);
		assert_int_equal(s, i);
		assert_true(*errsev_meaning((enum errsev)i));
		assert_int_equal(err_thresholds[i].sev, i);
	}
	for (i = 0; i < ERRCLASS__COUNT; i++) {
		enum errclass k = ERRCLASS__COUNT;

		assert_int_equal(errclass_parse(&k, errclass_name((enum errclass)i)), 0);
		assert_int_equal(k, i);
		assert_true(*errclass_meaning((enum errclass)i));
	}
	{
		enum errsev s = ERRSEV_LOW;
		enum errcat c = ERRCAT_LOCK;
		enum errclass k = ERRCLASS_PERMANENT;

		assert_int_equal(errsev_parse(&s, "HIGH"), 0);
		assert_int_equal(s, ERRSEV_HIGH);
		assert_int_equal(errsev_parse(&s, "severe"), DIVE_EUSAGE);
		assert_int_equal(s, ERRSEV_HIGH);
		assert_non_null(strstr(dive_error_last(), "'severe'"));
		assert_int_equal(errcat_parse(&c, "disk"), DIVE_EUSAGE);
		assert_int_equal(c, ERRCAT_LOCK);
		assert_int_equal(errclass_parse(&k, NULL), DIVE_EUSAGE);
		assert_int_equal(k, ERRCLASS_PERMANENT);
	}
	assert_string_equal(errsev_name((enum errsev)ERRSEV__COUNT), "unknown");
	assert_string_equal(errcat_name((enum errcat)-1), "unknown");
	assert_string_equal(errclass_name((enum errclass)99), "unknown");
	assert_true(errclass_retried(ERRCLASS_TRANSIENT));
	assert_true(errclass_retried(ERRCLASS_RECOVERABLE));
	assert_false(errclass_retried(ERRCLASS_PERMANENT));
}

/* Check "dive GROUP VERB [--option ...]" against the command table. */
static void check_dive_command(int code, const char *cmd)
{
	char words[8][48];
	int n = 0, w;
	const struct dive_group *g;
	const struct dive_verb *v = NULL;
	const char *p = cmd;

	while (*p && n < 8) {
		size_t len = strcspn(p, " ;&");

		if (len == 0)
			break;
		if (len >= sizeof(words[0]))
			len = sizeof(words[0]) - 1;
		memcpy(words[n], p, len);
		words[n++][len] = '\0';
		p += len;
		while (*p == ' ')
			p++;
	}
	if (n < 2)
		fail_msg("error code %d: remediation '%s' names no dive command", code, cmd);
	for (g = dive_groups; g->name; g++)
		if (!strcmp(g->name, words[1]))
			break;
	if (!g->name)
		fail_msg("error code %d: remediation '%s': no command 'dive %s'", code, cmd, words[1]);
	w = 2;
	if (g->leaf) {
		v = g->leaf;
	} else {
		if (n < 3)
			fail_msg("error code %d: remediation '%s' names no verb", code, cmd);
		for (v = g->verbs; v->name; v++)
			if (!strcmp(v->name, words[2]))
				break;
		if (!v->name)
			fail_msg("error code %d: remediation '%s': no verb 'dive %s %s'", code, cmd, g->name, words[2]);
		w = 3;
	}
	for (; w < n; w++) {
		const struct dive_opt *o;
		int found = 0;

		if (strncmp(words[w], "--", 2))
			continue;
		for (o = v->opts; o && o->name; o++)
			found |= !strcmp(o->name, words[w] + 2);
		for (o = dive_global_opts; o->name; o++)
			found |= !strcmp(o->name, words[w] + 2);
		if (!found)
			fail_msg("error code %d: remediation '%s': 'dive %s %s' has no option '%s'", code, cmd, g->name,
				 v->name, words[w]);
	}
}

static void errcodes__remediations_name_real_commands(void **state)
{
	size_t i;

	for (i = 0; i < errcode_count(); i++) {
		const struct errcode *e = errcode_at(i);
		const char *p = e->remediation;

		/* Every "dive ..." in a remediation must run: group, verb and options exist. */
		while ((p = strstr(p, "dive ")) != NULL) {
			if (p == e->remediation || p[-1] == ' ')
				check_dive_command(e->code, p);
			p += 5;
		}
	}
}

static void errcodes__bash_codes_are_never_reused(void **state)
{
	size_t i;

	assert_true(errcode_legacy_count() > 0);
	for (i = 0; i < errcode_legacy_count(); i++) {
		const struct errcode_legacy *l = errcode_legacy_at(i);
		const struct errcode *now = errcode_find(l->now);

		assert_true(l->code >= 1001 && l->code <= 1505);
		assert_non_null(now);
		assert_true(*l->note);
		assert_ptr_equal(errcode_legacy_find(l->code), l);
		assert_ptr_equal(errcode_legacy_find_name(l->name), l);
		if (l->now == l->code) {
			/* renamed: same number, same meaning, new name */
			assert_string_not_equal(now->name, l->name);
			assert_non_null(strstr(l->note, "renamed"));
		} else {
			/* retired: the number means nothing in dive, now or later */
			assert_null(errcode_find(l->code));
			assert_non_null(strstr(l->note, "retired"));
		}
		assert_null(errcode_find_name(l->name));
	}
	assert_null(errcode_legacy_at(errcode_legacy_count()));
	assert_null(errcode_legacy_find(1204));
}

static void errcodes__thresholds_stop_and_warn_as_documented(void **state)
{
	int counts[ERRSEV__COUNT] = { 0 };
	char why[128];

	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_CONTINUE);
	assert_string_equal(why, "");

	counts[ERRSEV_CRITICAL] = 1;
	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_STOP);
	assert_string_equal(why, "1 critical error in this run (at most 0 allowed)");
	counts[ERRSEV_CRITICAL] = 0;

	counts[ERRSEV_HIGH] = 1;
	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_CONTINUE);
	counts[ERRSEV_HIGH] = 2;
	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_STOP);
	assert_non_null(strstr(why, "2 high errors"));
	counts[ERRSEV_HIGH] = 0;

	counts[ERRSEV_MEDIUM] = 3;
	assert_int_equal(errthreshold_exceeded(counts, NULL, 0), ERRTHR_CONTINUE);
	counts[ERRSEV_MEDIUM] = 4;
	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_STOP);
	counts[ERRSEV_MEDIUM] = 0;

	counts[ERRSEV_LOW] = 10;
	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_CONTINUE);
	counts[ERRSEV_LOW] = 11;
	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_WARN);
	assert_non_null(strstr(why, "11 low errors"));

	/* The strongest action wins; why names the most severe threshold. */
	counts[ERRSEV_HIGH] = 2;
	assert_int_equal(errthreshold_exceeded(counts, why, sizeof(why)), ERRTHR_STOP);
	assert_non_null(strstr(why, "high"));

	counts[ERRSEV_LOW] = -5;
	counts[ERRSEV_HIGH] = -1;
	assert_int_equal(errthreshold_exceeded(counts, why, 8), ERRTHR_CONTINUE);
	assert_string_equal(errthr_action_name(ERRTHR_STOP), "stop");
	assert_string_equal(errthr_action_name(ERRTHR_WARN), "warn");
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(DOC_MAX + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, DOC_MAX, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* The line of s that starts at line number n (1-based), up to 200 characters. */
static void line_at(char *out, size_t outlen, const char *s, int n)
{
	size_t len;

	while (--n > 0 && (s = strchr(s, '\n')) != NULL)
		s++;
	if (!s) {
		snprintf(out, outlen, "(end of file)");
		return;
	}
	len = strcspn(s, "\n");
	snprintf(out, outlen, "%.*s", (int)(len > 200 ? 200 : len), s);
}

static void errcodes__document_is_up_to_date(void **state)
{
	const char *src = getenv("DIVE_SOURCE_DIR") ? getenv("DIVE_SOURCE_DIR") : DIVE_SOURCE_DIR;
	char path[1024], *rendered = NULL, *committed;
	size_t rendered_len = 0, committed_len = 0, i;
	FILE *mem;

	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/%s", src, DOC_PATH);
	mem = open_memstream(&rendered, &rendered_len);
	assert_non_null(mem);
	assert_int_equal(errcodes_render_markdown(mem, retry_render_markdown), 0);
	fclose(mem);

	committed = read_file(path, &committed_len);
	if (!committed) {
		free(rendered);
		fail_msg("%s is missing; create it with: ./build/dive errors doc > %s", path, DOC_PATH);
	}
	if (committed_len != rendered_len || memcmp(committed, rendered, rendered_len)) {
		char want[256], have[256];
		int line = 1;

		for (i = 0; i < committed_len && i < rendered_len && committed[i] == rendered[i]; i++)
			if (committed[i] == '\n')
				line++;
		line_at(want, sizeof(want), rendered, line);
		line_at(have, sizeof(have), committed, line);
		print_error("%s differs from the tables at line %d:\n  file:   %s\n  tables: %s\n", DOC_PATH, line,
			    have, want);
		free(committed);
		free(rendered);
		fail_msg("regenerate it: ./build/dive errors doc > %s", DOC_PATH);
	}
	/* The document shows every code and the retry table. */
	for (i = 0; i < errcode_count(); i++) {
		char cell[64];

		snprintf(cell, sizeof(cell), "| %d | `%s` |", errcode_at(i)->code, errcode_at(i)->name);
		assert_non_null(strstr(rendered, cell));
	}
	assert_non_null(strstr(rendered, "| keycloak | 1000 | 2 | 15000 |"));
	free(committed);
	free(rendered);
}

static void errcodes__render_without_retry_section(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);

	assert_int_equal(errcodes_render_markdown(mem, NULL), 0);
	fclose(mem);
	assert_null(strstr(out, "## Retry policies"));
	assert_non_null(strstr(out, "## Codes of the bash tool"));
	assert_non_null(strstr(out, "| 1103 | `TERRAFORM_INIT` | 1305 `KEYCLOAK_CONFIG` |"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errcodes__codes_are_unique_sorted_and_in_their_hundred),
		cmocka_unit_test(errcodes__every_row_has_a_summary_and_a_remediation),
		cmocka_unit_test(errcodes__names_are_unique_and_upper_snake),
		cmocka_unit_test(errcodes__enums_round_trip_through_their_tables),
		cmocka_unit_test(errcodes__remediations_name_real_commands),
		cmocka_unit_test(errcodes__bash_codes_are_never_reused),
		cmocka_unit_test(errcodes__thresholds_stop_and_warn_as_documented),
		cmocka_unit_test(errcodes__document_is_up_to_date),
		cmocka_unit_test(errcodes__render_without_retry_section),
	};

	return cmocka_run_group_tests_name("errcodes", tests, NULL, NULL);
}
