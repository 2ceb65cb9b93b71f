/*
 * promtext.h - the Prometheus text exposition format (version 0.0.4), written
 * into a bounded buffer: "# HELP", "# TYPE", then the samples of a family.
 *
 * Label values are escaped (backslash, double quote, newline) and cut to
 * PROMTEXT_LABEL_MAX bytes; names are the caller's constants.  Values are
 * written exactly: integers without a decimal point, others with %.17g,
 * "+Inf", "-Inf", "NaN".
 *
 * A family's samples must follow its promtext_family() line with no other
 * family between (the format requires it); nothing here reorders.
 */
#ifndef DIVE_PROMTEXT_H
#define DIVE_PROMTEXT_H

#include "dive/buf.h"

#define PROMTEXT_LABEL_MAX 128
#define PROMTEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* type: "counter", "gauge", "histogram". */
int promtext_family(struct dive_buf *b, const char *name, const char *type, const char *help);

/*
 * One sample: name (the family's, or with _bucket/_sum/_count), labels as
 * pairs {"instance", "DEU", "service", "keycloak", NULL} (may be NULL),
 * then extra (one more pair, e.g. "le", "+Inf"; both NULL for none).
 */
int promtext_sample(struct dive_buf *b, const char *name, const char *const *labels, const char *extra_key,
		    const char *extra_value, double value);

/* "+Inf", "0.5", "120" for a bucket bound. */
void promtext_format_value(char out[32], double v);

#endif
