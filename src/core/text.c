/* text.c - clean text and safe echoes of unclean text (see text.h). */
#include <string.h>

#include "dive/text.h"

/*
 * The length of the UTF-8 sequence of a character that is not a control
 * character at s, or 0 when s starts something else.
 */
static size_t clean_char(const unsigned char *s)
{
	unsigned cp;
	size_t n, i;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0; /* C0, DEL, a continuation byte, or never UTF-8 */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0; /* overlong, out of range, or a surrogate */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0; /* C1 controls */
	return n;
}

int text_is_clean(const char *s, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (p[i]) {
		if (!(n = clean_char(p + i))) {
			if (at)
				*at = i;
			return 0;
		}
		i += n;
	}
	return 1;
}

void text_shown(char *out, size_t n, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t i = 0, o = 0, k, room = n - 4; /* keep space for "..." */

	while (p[i] && o < room) {
		k = clean_char(p + i);
		if (!k) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + k > room)
			break;
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	if (p[i]) {
		/* the rest fits whole when short enough; else cut */
		size_t rest = strlen((const char *)p + i);

		if (o + rest <= n - 1 && text_is_clean((const char *)p + i, NULL)) {
			memcpy(out + o, p + i, rest);
			o += rest;
		} else {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o] = '\0';
}
