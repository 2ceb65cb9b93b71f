/* country.c - the country table and the parsing of codes (see country.h). */
#include <string.h>

#include "dive/country.h"
#include "dive/error.h"
#include "dive/suggest.h"

#define CODE_LEN 3
#define SHOW_MAX 16   /* input characters echoed in a message */
#define INPUT_MAX 64  /* input characters looked at for a name match */

#define HUB DIVE_COUNTRY_HUB
#define NATO DIVE_COUNTRY_NATO
#define PARTNER DIVE_COUNTRY_PARTNER

/* Index order; the index is part of every port, so rows are only appended. */
static const struct dive_country countries[] = {
	{ "USA", "United States", 0, HUB },
	{ "ALB", "Albania", 1, NATO },
	{ "BEL", "Belgium", 2, NATO },
	{ "BGR", "Bulgaria", 3, NATO },
	{ "CAN", "Canada", 4, NATO },
	{ "HRV", "Croatia", 5, NATO },
	{ "CZE", "Czechia", 6, NATO },
	{ "DNK", "Denmark", 7, NATO },
	{ "EST", "Estonia", 8, NATO },
	{ "FIN", "Finland", 9, NATO },
	{ "FRA", "France", 10, NATO },
	{ "DEU", "Germany", 11, NATO },
	{ "GRC", "Greece", 12, NATO },
	{ "HUN", "Hungary", 13, NATO },
	{ "ISL", "Iceland", 14, NATO },
	{ "ITA", "Italy", 15, NATO },
	{ "LVA", "Latvia", 16, NATO },
	{ "LTU", "Lithuania", 17, NATO },
	{ "LUX", "Luxembourg", 18, NATO },
	{ "MNE", "Montenegro", 19, NATO },
	{ "NLD", "Netherlands", 20, NATO },
	{ "MKD", "North Macedonia", 21, NATO },
	{ "NOR", "Norway", 22, NATO },
	{ "POL", "Poland", 23, NATO },
	{ "PRT", "Portugal", 24, NATO },
	{ "ROU", "Romania", 25, NATO },
	{ "SVK", "Slovakia", 26, NATO },
	{ "SVN", "Slovenia", 27, NATO },
	{ "ESP", "Spain", 28, NATO },
	{ "SWE", "Sweden", 29, NATO },
	{ "TUR", "Turkey", 30, NATO },
	{ "GBR", "United Kingdom", 31, NATO },
	{ "AUS", "Australia", 32, PARTNER },
	{ "NZL", "New Zealand", 33, PARTNER },
	{ "JPN", "Japan", 34, PARTNER },
	{ "KOR", "South Korea", 35, PARTNER },
	{ "ISR", "Israel", 36, PARTNER },
	{ "UKR", "Ukraine", 37, PARTNER },
};

#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static const char *const kind_names[] = {
	[DIVE_COUNTRY_HUB] = "hub",
	[DIVE_COUNTRY_NATO] = "nato",
	[DIVE_COUNTRY_PARTNER] = "partner",
};

/* ASCII only: the C library's case functions follow the locale (Turkish 'i'). */
static int ascii_alpha(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static char ascii_upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

static char ascii_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* s equals t ignoring ASCII case; s is read at most up to t's length + 1. */
static int ascii_case_equal(const char *s, const char *t)
{
	for (; *t; s++, t++)
		if (ascii_upper(*s) != ascii_upper(*t))
			return 0;
	return *s == '\0';
}

/* Upper-case a three-letter code into out; 0 when s is not exactly that. */
static int code_upper(char out[CODE_LEN + 1], const char *s)
{
	size_t i;

	for (i = 0; i < CODE_LEN; i++) {
		if (!ascii_alpha(s[i]))
			return 0;
		out[i] = ascii_upper(s[i]);
	}
	out[CODE_LEN] = '\0';
	return s[CODE_LEN] == '\0';
}

size_t country_count(void)
{
	return NCOUNTRIES;
}

const struct dive_country *country_at(size_t i)
{
	return i < NCOUNTRIES ? &countries[i] : NULL;
}

const char *country_kind_name(enum dive_country_kind kind)
{
	if ((size_t)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

const struct dive_country *country_find(const char *code)
{
	char up[CODE_LEN + 1];
	size_t i;

	if (!code || !code_upper(up, code))
		return NULL;
	for (i = 0; i < NCOUNTRIES; i++)
		if (!strcmp(countries[i].code, up))
			return &countries[i];
	return NULL;
}

void country_lower(char out[4], const struct dive_country *c)
{
	size_t i;

	out[0] = '\0';
	if (!c)
		return;
	for (i = 0; i < CODE_LEN && c->code[i]; i++)
		out[i] = ascii_lower(c->code[i]);
	out[i] = '\0';
}

/*
 * The input as it may appear in a message: at most SHOW_MAX characters,
 * printable ASCII as is, quotes and backslashes escaped, everything else as
 * \xNN, and "..." when cut.  out must hold SHOW_MAX * 4 + 4 bytes.
 */
#define SHOWN_SIZE (SHOW_MAX * 4 + 4)

static void escape_input(char out[SHOWN_SIZE], const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; s[i] && i < SHOW_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\'' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0xf];
		}
	}
	if (s[i]) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* The code whose English name is the input ("germany" -> DEU), or NULL. */
static const char *suggest_by_name(const char *input)
{
	size_t i;

	if (strnlen(input, INPUT_MAX + 1) > INPUT_MAX)
		return NULL;
	for (i = 0; i < NCOUNTRIES; i++)
		if (ascii_case_equal(input, countries[i].name))
			return countries[i].code;
	return NULL;
}

/* A code one edit away from a well-formed unknown code ("DEX" -> DEU). */
static const char *suggest_by_code(const char *up)
{
	const char *codes[NCOUNTRIES];
	size_t i;

	for (i = 0; i < NCOUNTRIES; i++)
		codes[i] = countries[i].code;
	return dive_suggest(up, codes, NCOUNTRIES);
}

int country_parse(const struct dive_country **out, const char *input)
{
	char shown[SHOWN_SIZE], up[CODE_LEN + 1];
	const char *hint;

	*out = NULL;
	if (!input || !*input)
		return dive_error_set(DIVE_EUSAGE, "missing country code; see 'dive spoke list-countries'");
	escape_input(shown, input);
	if (!code_upper(up, input)) {
		hint = suggest_by_name(input);
		if (hint)
			return dive_error_set(DIVE_EUSAGE,
					      "invalid country code '%s': expected three letters; did you mean '%s'?",
					      shown, hint);
		return dive_error_set(DIVE_EUSAGE,
				      "invalid country code '%s': expected three letters such as 'DEU'; "
				      "see 'dive spoke list-countries'", shown);
	}
	*out = country_find(up);
	if (*out)
		return 0;
	hint = suggest_by_code(up);
	if (hint)
		return dive_error_set(DIVE_EUSAGE, "unknown country code '%s'; did you mean '%s'?", shown, hint);
	return dive_error_set(DIVE_EUSAGE, "unknown country code '%s'; see 'dive spoke list-countries'", shown);
}

int country_parse_spoke(const struct dive_country **out, const char *input)
{
	int rc = country_parse(out, input);

	if (rc < 0)
		return rc;
	if ((*out)->kind == DIVE_COUNTRY_HUB) {
		rc = dive_error_set(DIVE_EUSAGE, "'%s' is the hub; use 'dive hub'", (*out)->code);
		*out = NULL;
	}
	return rc;
}
