/* base64.c - base64url (see base64.h). */
#include <string.h>

#include "dive/base64.h"
#include "dive/error.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_encode(struct dive_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char quad[4];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t n = len - i >= 3 ? 3 : len - i;

		if (n > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		quad[0] = alphabet[(v >> 18) & 63];
		quad[1] = alphabet[(v >> 12) & 63];
		quad[2] = alphabet[(v >> 6) & 63];
		quad[3] = alphabet[v & 63];
		rc = dive_buf_add(out, quad, n + 1);
	}
	return rc;
}

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

int base64url_decode(struct dive_buf *out, const char *text, size_t len)
{
	unsigned v = 0;
	int bits = 0, rc = 0;
	size_t i;

	while (len > 0 && text[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return dive_error_set(DIVE_EUSAGE, "base64 text of impossible length %zu", len);
	for (i = 0; rc == 0 && i < len; i++) {
		int x = value_of((unsigned char)text[i]);

		if (x < 0)
			return dive_error_set(DIVE_EUSAGE, "a byte that is not base64url at offset %zu", i);
		v = (v << 6) | (unsigned)x;
		bits += 6;
		if (bits >= 8) {
			unsigned char b = (unsigned char)(v >> (bits - 8));

			bits -= 8;
			rc = dive_buf_add(out, &b, 1);
		}
	}
	return rc;
}
