/* promtext.c - the Prometheus text exposition format (see promtext.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/promtext.h"

void promtext_format_value(char out[32], double v)
{
	if (isnan(v))
		snprintf(out, 32, "NaN");
	else if (isinf(v))
		snprintf(out, 32, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9.007199254740992e15)
		snprintf(out, 32, "%.0f", v);
	else {
		/* the shortest of 15 or 17 digits that reads back as v */
		snprintf(out, 32, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, 32, "%.17g", v);
	}
}

/* HELP text: backslash and newline escaped. */
static int add_help(struct dive_buf *b, const char *s)
{
	int rc = 0;

	for (; *s && rc == 0; s++) {
		if (*s == '\\')
			rc = dive_buf_adds(b, "\\\\");
		else if (*s == '\n')
			rc = dive_buf_adds(b, "\\n");
		else
			rc = dive_buf_add(b, s, 1);
	}
	return rc;
}

int promtext_family(struct dive_buf *b, const char *name, const char *type, const char *help)
{
	int rc;

	if ((rc = dive_buf_printf(b, "# HELP %s ", name)) < 0 || (rc = add_help(b, help)) < 0)
		return rc;
	return dive_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

static int add_label(struct dive_buf *b, int first, const char *key, const char *value)
{
	size_t i, n = strlen(value);
	int rc;

	if (n > PROMTEXT_LABEL_MAX)
		n = PROMTEXT_LABEL_MAX;
	if ((rc = dive_buf_printf(b, "%s%s=\"", first ? "" : ",", key)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if (value[i] == '\\')
			rc = dive_buf_adds(b, "\\\\");
		else if (value[i] == '"')
			rc = dive_buf_adds(b, "\\\"");
		else if (value[i] == '\n')
			rc = dive_buf_adds(b, "\\n");
		else
			rc = dive_buf_add(b, value + i, 1);
	}
	return rc < 0 ? rc : dive_buf_adds(b, "\"");
}

int promtext_sample(struct dive_buf *b, const char *name, const char *const *labels, const char *extra_key,
		    const char *extra_value, double value)
{
	char num[32];
	int rc, first = 1;

	if ((rc = dive_buf_adds(b, name)) < 0)
		return rc;
	if ((labels && labels[0]) || extra_key) {
		if ((rc = dive_buf_adds(b, "{")) < 0)
			return rc;
		for (; labels && labels[0] && labels[1]; labels += 2, first = 0)
			if ((rc = add_label(b, first, labels[0], labels[1])) < 0)
				return rc;
		if (extra_key && (rc = add_label(b, first, extra_key, extra_value)) < 0)
			return rc;
		if ((rc = dive_buf_adds(b, "}")) < 0)
			return rc;
	}
	promtext_format_value(num, value);
	return dive_buf_printf(b, " %s\n", num);
}
