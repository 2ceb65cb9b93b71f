/* test_oidc.c - base64url, JWT signatures (keys made by OpenSSL here), and login pages read like a browser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dive/base64.h"
#include "dive/error.h"
#include "dive/jwt.h"
#include "dive/oidc.h"

static void base64url__round_trips_every_length(void **state)
{
	unsigned char data[64];
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37 + 11);
	for (n = 0; n <= sizeof(data); n++) {
		struct dive_buf e, d;

		dive_buf_init(&e, 256);
		dive_buf_init(&d, 256);
		assert_int_equal(base64url_encode(&e, data, n), 0);
		assert_null(strpbrk(dive_buf_str(&e), "+/="));
		assert_int_equal(base64url_decode(&d, dive_buf_str(&e), e.len), 0);
		assert_int_equal(d.len, n);
		if (n)
			assert_memory_equal(d.ptr, data, n);
		dive_buf_release(&e);
		dive_buf_release(&d);
	}
}

static void base64url__known_vectors_and_refusals(void **state)
{
	struct dive_buf b;

	(void)state;
	dive_buf_init(&b, 64);
	assert_int_equal(base64url_encode(&b, "\xfb\xff", 2), 0);
	assert_string_equal(dive_buf_str(&b), "-_8");
	dive_buf_reset(&b);
	assert_int_equal(base64url_decode(&b, "Zm9vYmFy", 8), 0);
	assert_string_equal(dive_buf_str(&b), "foobar");
	dive_buf_reset(&b);
	assert_int_equal(base64url_decode(&b, "Zm9v!mFy", 8), DIVE_EUSAGE);
	assert_int_equal(base64url_decode(&b, "Z", 1), DIVE_EUSAGE);
	dive_buf_release(&b);
}

/* --- JWTs signed here with a fresh RSA key ------------------------------------------- */

static EVP_PKEY *key;

static int make_key(void **state)
{
	(void)state;
	key = EVP_RSA_gen(2048);
	return key ? 0 : -1;
}

static int free_key(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

static char *b64(const void *p, size_t n)
{
	struct dive_buf b;

	dive_buf_init(&b, 8192);
	base64url_encode(&b, p, n);
	return dive_buf_detach(&b);
}

static cJSON *jwks_of(EVP_PKEY *k, const char *kid)
{
	BIGNUM *n = NULL, *e = NULL;
	unsigned char nb[512], eb[16];
	int nl, el;
	char *ns, *es;
	cJSON *doc = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(doc, "keys"), *jwk = cJSON_CreateObject();

	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e);
	nl = BN_bn2bin(n, nb);
	el = BN_bn2bin(e, eb);
	ns = b64(nb, (size_t)nl);
	es = b64(eb, (size_t)el);
	cJSON_AddStringToObject(jwk, "kid", kid);
	cJSON_AddStringToObject(jwk, "kty", "RSA");
	cJSON_AddStringToObject(jwk, "use", "sig");
	cJSON_AddStringToObject(jwk, "n", ns);
	cJSON_AddStringToObject(jwk, "e", es);
	cJSON_AddItemToArray(keys, jwk);
	free(ns);
	free(es);
	BN_free(n);
	BN_free(e);
	return doc;
}

static char *sign(const char *header, const char *claims)
{
	char *h = b64(header, strlen(header)), *c = b64(claims, strlen(claims)), *input, *s, *out;
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	input = malloc(strlen(h) + strlen(c) + 2);
	sprintf(input, "%s.%s", h, c);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input)), 1);
	s = b64(sig, siglen);
	out = malloc(strlen(input) + strlen(s) + 2);
	sprintf(out, "%s.%s", input, s);
	EVP_MD_CTX_free(md);
	free(h);
	free(c);
	free(input);
	free(s);
	return out;
}

static void jwt__verifies_rs256_with_the_key_named_by_kid(void **state)
{
	cJSON *jwks = jwks_of(key, "k1");
	char *t = sign("{\"alg\":\"RS256\",\"kid\":\"k1\"}", "{\"iss\":\"http://localhost:1/realms/x\",\"clearance\":\"SECRET\"}");
	struct jwt j;

	(void)state;
	assert_int_equal(jwt_verify(t, jwks), 0);
	assert_int_equal(jwt_decode(&j, t), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j.claims, "clearance")), "SECRET");
	jwt_release(&j);
	free(t);
	cJSON_Delete(jwks);
}

static void jwt__refuses_a_changed_payload_another_key_and_alg_none(void **state)
{
	cJSON *jwks = jwks_of(key, "k1"), *other;
	char *t = sign("{\"alg\":\"RS256\",\"kid\":\"k1\"}", "{\"clearance\":\"UNCLASSIFIED\"}");
	char *forged = sign("{\"alg\":\"RS256\",\"kid\":\"k1\"}", "{\"clearance\":\"TOP_SECRET\"}");
	char *none = sign("{\"alg\":\"none\",\"kid\":\"k1\"}", "{\"clearance\":\"TOP_SECRET\"}");
	char *mixed, *dot1, *dot2;
	EVP_PKEY *k2 = EVP_RSA_gen(2048);

	(void)state;
	/* the signature of one token on the payload of another */
	dot1 = strrchr(t, '.');
	dot2 = strrchr(forged, '.');
	mixed = malloc(strlen(forged) + strlen(dot1) + 1);
	memcpy(mixed, forged, (size_t)(dot2 - forged));
	strcpy(mixed + (dot2 - forged), dot1);
	assert_int_equal(jwt_verify(mixed, jwks), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "does not verify"));
	assert_int_equal(jwt_verify(none, jwks), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "not RS256"));
	other = jwks_of(k2, "k1");
	assert_int_equal(jwt_verify(t, other), DIVE_EFAIL);
	cJSON_Delete(other);
	other = jwks_of(key, "k2");
	assert_int_equal(jwt_verify(t, other), DIVE_EFAIL);
	assert_non_null(strstr(dive_error_last(), "no RSA signing key"));
	assert_int_equal(jwt_verify("a.b", jwks), DIVE_EUSAGE);
	cJSON_Delete(other);
	EVP_PKEY_free(k2);
	free(t);
	free(forged);
	free(none);
	free(mixed);
	cJSON_Delete(jwks);
}

/* --- login pages ---------------------------------------------------------------------- */

static const char login_page[] =
	"<html><head><title>Sign in to Germany</title></head><body>"
	"<form id=\"kc-locale\" action=\"/locale\"><input type=\"hidden\" name=\"kc_locale\" value=\"de\"></form>"
	"<form id=\"kc-form-login\" onsubmit=\"login.disabled = true; return true;\" "
	"action=\"http://localhost:18011/realms/dive-v3-broker-deu/login-actions/authenticate?session_code=abc&amp;"
	"execution=e1&amp;client_id=dive-v3-broker-usa&amp;tab_id=t9\" method=\"post\">"
	"<input tabindex=\"1\" id=\"username\" name=\"username\" value=\"\" type=\"text\" autofocus>"
	"<input tabindex=\"2\" id=\"password\" name=\"password\" type=\"password\" autocomplete=\"off\">"
	"<input type='hidden' id='id-hidden-input' name='credentialId' value='c&#61;1'/>"
	"<span id=\"input-error\" class=\"pf-m-error\" aria-live=\"polite\">\n   Invalid username or password.\n</span>"
	"</form></body></html>";

static void oidc__finds_the_login_form_its_action_and_hidden_fields(void **state)
{
	struct oidc_form f;
	char words[200];

	(void)state;
	assert_int_equal(oidc_form_parse(&f, login_page), 1);
	assert_true(f.has_password);
	assert_string_equal(f.action, "http://localhost:18011/realms/dive-v3-broker-deu/login-actions/authenticate?"
				      "session_code=abc&execution=e1&client_id=dive-v3-broker-usa&tab_id=t9");
	assert_int_equal(f.nfields, 1);
	assert_string_equal(f.hidden[0].name, "credentialId");
	assert_string_equal(f.hidden[0].value, "c=1");
	oidc_page_words(words, sizeof(words), login_page);
	assert_string_equal(words, "Sign in to Germany: Invalid username or password.");
}

static void oidc__a_review_page_is_a_form_without_password(void **state)
{
	static const char review[] = "<title>Update Account Information</title><form action=\"/x?a=1&amp;b=2\">"
				     "<input name=\"firstName\" type=\"text\"></form>";
	struct oidc_form f;

	(void)state;
	assert_int_equal(oidc_form_parse(&f, review), 1);
	assert_false(f.has_password);
	assert_string_equal(f.action, "/x?a=1&b=2");
	assert_int_equal(oidc_form_parse(&f, "<p>no form</p>"), 0);
}

static void oidc__refuses_incomplete_options_before_any_request(void **state)
{
	struct oidc_login_opts o = { 0 };
	struct oidc_login_result r;

	(void)state;
	o.issuer = "ftp://x";
	assert_int_equal(oidc_login(&r, &o), DIVE_EUSAGE);
	o.issuer = "http://127.0.0.1:1/realms/x";
	assert_int_equal(oidc_login(&r, &o), DIVE_EUSAGE);
	assert_null(r.claims);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base64url__round_trips_every_length),
		cmocka_unit_test(base64url__known_vectors_and_refusals),
		cmocka_unit_test(jwt__verifies_rs256_with_the_key_named_by_kid),
		cmocka_unit_test(jwt__refuses_a_changed_payload_another_key_and_alg_none),
		cmocka_unit_test(oidc__finds_the_login_form_its_action_and_hidden_fields),
		cmocka_unit_test(oidc__a_review_page_is_a_form_without_password),
		cmocka_unit_test(oidc__refuses_incomplete_options_before_any_request),
	};

	return cmocka_run_group_tests(tests, make_key, free_key);
}
