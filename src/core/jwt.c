/* jwt.c - decode a JWS and verify RS256 against a JWKS with OpenSSL (see jwt.h). */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "dive/base64.h"
#include "dive/error.h"
#include "dive/jwt.h"

/* The three parts of a compact JWS; dots[0..1] are the offsets of the separators. */
static int split(const char *token, size_t dots[2], size_t *len)
{
	size_t i, n = 0;

	*len = strlen(token);
	if (*len == 0 || *len > JWT_MAX)
		return dive_error_set(DIVE_EUSAGE, "a token must be 1 to %d bytes", JWT_MAX);
	for (i = 0; i < *len; i++) {
		if (token[i] == '.') {
			if (n == 2)
				return dive_error_set(DIVE_EUSAGE, "a token has three parts");
			dots[n++] = i;
		}
	}
	if (n != 2)
		return dive_error_set(DIVE_EUSAGE, "a token has three parts");
	return 0;
}

static cJSON *decode_json(const char *text, size_t len, const char *what)
{
	struct dive_buf b;
	cJSON *doc = NULL;

	dive_buf_init(&b, JWT_MAX);
	if (base64url_decode(&b, text, len) == 0)
		doc = cJSON_ParseWithLength(dive_buf_str(&b), b.len);
	dive_buf_release(&b);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		dive_error_set(DIVE_EUSAGE, "the token's %s is not a base64url JSON object", what);
		return NULL;
	}
	return doc;
}

int jwt_decode(struct jwt *out, const char *token)
{
	size_t dots[2], len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = split(token, dots, &len)) < 0)
		return rc;
	if (!(out->header = decode_json(token, dots[0], "header")))
		return DIVE_EUSAGE;
	if (!(out->claims = decode_json(token + dots[0] + 1, dots[1] - dots[0] - 1, "payload"))) {
		jwt_release(out);
		return DIVE_EUSAGE;
	}
	return 0;
}

void jwt_release(struct jwt *j)
{
	cJSON_Delete(j->header);
	cJSON_Delete(j->claims);
	j->header = j->claims = NULL;
}

static BIGNUM *bn_of(const cJSON *key, const char *name)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(key, name));
	struct dive_buf b;
	BIGNUM *bn = NULL;

	if (!v)
		return NULL;
	dive_buf_init(&b, 2048);
	if (base64url_decode(&b, v, strlen(v)) == 0 && b.len > 0)
		bn = BN_bin2bn((const unsigned char *)b.ptr, (int)b.len, NULL);
	dive_buf_release(&b);
	return bn;
}

static EVP_PKEY *rsa_key(const cJSON *jwk)
{
	BIGNUM *n = bn_of(jwk, "n"), *e = bn_of(jwk, "e");
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!n || !e)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static const cJSON *find_key(const cJSON *jwks, const char *kid)
{
	const cJSON *k;

	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(jwks, "keys")) {
		const char *kty = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "kty"));
		const char *use = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "use"));
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "kid"));

		if (kty && !strcmp(kty, "RSA") && (!use || !strcmp(use, "sig")) && id && kid && !strcmp(id, kid))
			return k;
	}
	return NULL;
}

int jwt_verify(const char *token, const cJSON *jwks)
{
	struct dive_buf sig;
	struct jwt j;
	size_t dots[2], len;
	const char *alg, *kid;
	const cJSON *jwk;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	int rc;

	if ((rc = jwt_decode(&j, token)) < 0)
		return rc;
	split(token, dots, &len);
	alg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j.header, "alg"));
	kid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j.header, "kid"));
	if (!alg || strcmp(alg, "RS256")) {
		rc = dive_error_set(DIVE_EFAIL, "the token is signed with '%.16s', not RS256", alg ? alg : "nothing");
		goto out;
	}
	if (!(jwk = find_key(jwks, kid))) {
		rc = dive_error_set(DIVE_EFAIL, "no RSA signing key '%.64s' in the issuer's key set", kid ? kid : "");
		goto out;
	}
	if (!(pkey = rsa_key(jwk))) {
		rc = dive_error_set(DIVE_EUSAGE, "the issuer's key '%.64s' is not a usable RSA key", kid);
		goto out;
	}
	dive_buf_init(&sig, 1024);
	if (base64url_decode(&sig, token + dots[1] + 1, len - dots[1] - 1) < 0 || sig.len == 0) {
		dive_buf_release(&sig);
		rc = dive_error_set(DIVE_EUSAGE, "the token's signature is not base64url");
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestVerify(md, (const unsigned char *)sig.ptr, sig.len, (const unsigned char *)token, dots[1]) != 1)
		rc = dive_error_set(DIVE_EFAIL, "the token's signature does not verify with key '%.64s'", kid);
	dive_buf_release(&sig);
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	jwt_release(&j);
	return rc;
}
