/*
 * suggest.h - "did you mean": the closest name by edit distance.
 *
 * Pure and bounded (words longer than 64 bytes are never suggested); every
 * layer that refuses a name may offer the likely one: the dispatcher for
 * commands and options, the country table for codes, errors for names.
 */
#ifndef DIVE_SUGGEST_H
#define DIVE_SUGGEST_H

#include <stddef.h>

/*
 * The candidate closest to word by edit distance, if close enough to be a
 * likely typo (or a unique prefix); NULL otherwise.
 */
const char *dive_suggest(const char *word, const char *const *cands, size_t n);
/* Damerau-Levenshtein (optimal string alignment) distance of the first 64 bytes of each. */
size_t dive_edit_distance(const char *a, const char *b);

#endif
