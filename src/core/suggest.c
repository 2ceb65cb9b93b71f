/* suggest.c - "did you mean": the closest name by edit distance (see suggest.h). */
#include <string.h>

#include "dive/suggest.h"

#define SUGGEST_MAXLEN 64

/* Damerau-Levenshtein (optimal string alignment) distance, bounded input. */
size_t dive_edit_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, SUGGEST_MAXLEN), lb = strnlen(b, SUGGEST_MAXLEN);
	size_t d[SUGGEST_MAXLEN + 1][SUGGEST_MAXLEN + 1];
	size_t i, j;

	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *dive_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL, *prefix = NULL;
	size_t best_d = (size_t)-1, i, wl = strlen(word);
	int prefixes = 0;

	if (wl == 0 || wl > SUGGEST_MAXLEN)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t d = dive_edit_distance(word, cands[i]);

		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
		if (!strncmp(cands[i], word, wl)) {
			prefix = cands[i];
			prefixes++;
		}
	}
	/* A unique prefix says more than a distance; then a typo: at most 2
	 * edits, and fewer than half the word changed. */
	if (prefixes == 1 && wl >= 2)
		return prefix;
	if (best && best_d <= 2 && best_d * 2 < wl + 1)
		return best;
	return NULL;
}
