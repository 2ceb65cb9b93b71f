/*
 * jwt.h - a JSON Web Token read, and its signature checked (RFC 7515/7519).
 *
 * jwt_decode() splits and decodes a compact JWS without trusting it.
 * jwt_verify() checks the signature against a JWKS (the "keys" document a
 * realm publishes): RS256 only, the key chosen by the header's "kid"
 * (RSA, use "sig" or unset); "none", HMAC and every other algorithm are
 * refused.  The cryptography is OpenSSL's (EVP); nothing is hand-written.
 *
 * Errors: DIVE_EUSAGE for a token or key set that is malformed, DIVE_EFAIL
 * for a signature that does not verify or a key that is not there, each
 * with one line.  A token is a credential: messages never include it.
 */
#ifndef DIVE_JWT_H
#define DIVE_JWT_H

#include <cjson/cJSON.h>

#define JWT_MAX 16384

struct jwt {
	cJSON *header;
	cJSON *claims;
};

int jwt_decode(struct jwt *out, const char *token);
void jwt_release(struct jwt *j);
int jwt_verify(const char *token, const cJSON *jwks);

#endif
