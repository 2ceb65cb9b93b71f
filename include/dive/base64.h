/*
 * base64.h - base64url (RFC 4648 §5, no padding) for JWTs and PKCE, and
 * standard base64 decoding.  Decoders refuse bytes outside the alphabet.
 */
#ifndef DIVE_BASE64_H
#define DIVE_BASE64_H

#include <stddef.h>

#include "dive/buf.h"

/* Append the base64url text of data (no padding) to out. */
int base64url_encode(struct dive_buf *out, const void *data, size_t len);
/* Append the bytes of base64url text (padding tolerated) to out; DIVE_EUSAGE on a bad byte. */
int base64url_decode(struct dive_buf *out, const char *text, size_t len);

#endif
