/*
 * country.h - the country table: the only source of codes, names and the
 * index every port and name is derived from (DESIGN.md §5).
 *
 * 38 rows: the hub (USA, index 0), the other 31 NATO members (1..31) and six
 * partners (32..37), in the order of the predecessor's offset table
 * (reference/predecessor.md §9.1), so an operator's "offset" stays the same.
 * An index never changes once published: ports (ports.h) and docs/ports.md
 * are computed from it.
 *
 * Input from the user goes through country_parse() (or country_parse_spoke()
 * where the hub is not allowed), which validates the shape, bounds the length
 * and sets one clear DIVE_EUSAGE message, suggesting the closest code when
 * there is one.  country_find() is the quiet lookup for trusted input.
 *
 * To add a country: append a row at the end of the table in
 * src/model/country.c with the next index (never reorder or reuse one), then
 * regenerate the table in docs/ports.md; tests/unit/test_ports.c fails until
 * both agree.
 */
#ifndef DIVE_COUNTRY_H
#define DIVE_COUNTRY_H

#include <stddef.h>

enum dive_country_kind {
	DIVE_COUNTRY_HUB,       /* USA: the hub, never a spoke */
	DIVE_COUNTRY_NATO,      /* the other 31 NATO members */
	DIVE_COUNTRY_PARTNER,   /* AUS, NZL, JPN, KOR, ISR, UKR */
};

struct dive_country {
	const char *code;             /* "DEU": three upper-case ASCII letters */
	const char *name;             /* "Germany": English, ASCII */
	int index;                    /* 0..37, stable; USA = 0 */
	enum dive_country_kind kind;
};

/* The row for code (exactly three letters, any case), or NULL.  Sets no error. */
const struct dive_country *country_find(const char *code);

/*
 * Validate user input and find its row.  On success *out is the row and 0 is
 * returned.  Otherwise *out is NULL and DIVE_EUSAGE is returned with one line
 * in the last error, e.g. "unknown country code 'DEX'; did you mean 'DEU'?".
 * The input is never echoed longer than 16 characters, and non-printable
 * characters, quotes and backslashes are escaped.
 */
int country_parse(const struct dive_country **out, const char *input);

/* Same, but refuses the hub: "'USA' is the hub; use 'dive hub'". */
int country_parse_spoke(const struct dive_country **out, const char *input);

/* The code in lower case, for object names such as dive-spoke-deu-keycloak. */
void country_lower(char out[4], const struct dive_country *c);

/* "hub", "nato" or "partner". */
const char *country_kind_name(enum dive_country_kind kind);

/* The table in index order: country_at(i)->index == i; NULL past the end. */
size_t country_count(void);
const struct dive_country *country_at(size_t i);

#endif
