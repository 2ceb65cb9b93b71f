/*
 * serve_auth.c - the token, operator sessions and CSRF tokens of `dive serve`
 * (see serve.h).
 *
 * The token is read once into a struct dive_secret and compared in
 * constant time.  A session is 32 random bytes (hex) in an HttpOnly,
 * SameSite=Strict cookie, kept in memory for SERVE_SESSION_TTL_S (a restart
 * signs everybody out: nothing is lost but the sign-in).  A CSRF token is
 * HMAC-SHA256 over "<purpose>:<id>" with a key drawn at start, so it needs
 * no storage: "csrf" with the session id for actions, "login" with the
 * browser's pre-session cookie for the sign-in itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dive/error.h"
#include "dive/file.h"
#include "dive/sha256.h"
#include "serve_priv.h"

int serve_token_load(struct dive_secret *out, const char *path)
{
	struct dive_buf b;
	struct stat st;
	size_t n, i;
	int rc;

	if (lstat(path, &st) < 0)
		return dive_error_set(errno == ENOENT ? DIVE_ENOTFOUND : DIVE_EUSAGE, "cannot read token file '%.200s': %s",
				      path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return dive_error_set(DIVE_EUSAGE, "token file '%.200s' is not a regular file", path);
	if (st.st_mode & 077)
		return dive_error_set(DIVE_EUSAGE, "token file '%.200s' is readable by others (mode %04o): chmod 600 it", path,
				      (unsigned)(st.st_mode & 07777));
	if (st.st_uid != geteuid())
		return dive_error_set(DIVE_EUSAGE, "token file '%.200s' belongs to another user", path);
	if ((rc = dive_file_read(&b, path, SERVE_TOKEN_MAX + 2, "token file")) < 0) {
		dive_buf_release(&b);
		return rc;
	}
	n = b.len;
	while (n && (b.ptr[n - 1] == '\n' || b.ptr[n - 1] == '\r'))
		n--;
	for (i = 0; i < n; i++)
		if ((unsigned char)b.ptr[i] <= ' ' || (unsigned char)b.ptr[i] >= 0x7f)
			break;
	if (i < n || n < SERVE_TOKEN_MIN || n > SERVE_TOKEN_MAX) {
		explicit_bzero(b.ptr ? b.ptr : "", b.ptr ? b.len : 0);
		dive_buf_release(&b);
		return dive_error_set(DIVE_EUSAGE, "token file '%.200s' must hold one line of %d to %d printable characters "
						   "without spaces", path, SERVE_TOKEN_MIN, SERVE_TOKEN_MAX);
	}
	b.ptr[n] = '\0';
	dive_secret_set(out, b.ptr);
	explicit_bzero(b.ptr, b.len);
	dive_buf_release(&b);
	return 0;
}

int serve_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];
	size_t i;

	if (nbytes > sizeof(raw) || getrandom(raw, nbytes, 0) != (ssize_t)nbytes)
		return dive_error_set(DIVE_EFAIL, "cannot draw random bytes");
	for (i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

int serve_secret_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = (unsigned char)(alen != blen);
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int serve_auth_init(struct serve_auth *a, const struct dive_secret *token)
{
	memset(a, 0, sizeof(*a));
	a->token = token;
	pthread_mutex_init(&a->mu, NULL);
	if (getrandom(a->key, sizeof(a->key), 0) != (ssize_t)sizeof(a->key))
		return dive_error_set(DIVE_EFAIL, "cannot draw random bytes");
	return 0;
}

void serve_auth_release(struct serve_auth *a)
{
	explicit_bzero(a->key, sizeof(a->key));
	explicit_bzero(a->sessions, sizeof(a->sessions));
	pthread_mutex_destroy(&a->mu);
}

int serve_auth_bearer(struct serve_auth *a, const char *header)
{
	const char *t;

	if (!a->token || !header || strncmp(header, "Bearer ", 7))
		return 0;
	t = dive_secret_reveal(a->token);
	return serve_secret_equal(header + 7, strlen(header + 7), t, strlen(t));
}

static long long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int serve_auth_session(struct serve_auth *a, const char *cookie, char sid[SERVE_ID_HEX + 1])
{
	long long now = now_s();
	int i, found = 0;

	sid[0] = '\0';
	if (!cookie || strlen(cookie) != SERVE_ID_HEX)
		return 0;
	pthread_mutex_lock(&a->mu);
	for (i = 0; i < SERVE_SESSIONS_MAX; i++) {
		struct serve_session *s = &a->sessions[i];

		if (!s->id[0])
			continue;
		if (s->expires_s <= now) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		if (serve_secret_equal(s->id, SERVE_ID_HEX, cookie, SERVE_ID_HEX)) {
			memcpy(sid, s->id, SERVE_ID_HEX + 1);
			found = 1;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return found;
}

int serve_auth_login(struct serve_auth *a, const char *token, size_t len, char sid[SERVE_ID_HEX + 1])
{
	long long now = now_s(), oldest = 0;
	const char *t;
	int i, slot = -1;

	sid[0] = '\0';
	if (!a->token)
		return dive_error_set(DIVE_EUSAGE, "this server has no token file: nobody can sign in");
	t = dive_secret_reveal(a->token);
	if (!token || !serve_secret_equal(token, len, t, strlen(t)))
		return dive_error_set(DIVE_EUSAGE, "wrong token");
	if (serve_random_hex(sid, 32) < 0)
		return DIVE_EFAIL;
	pthread_mutex_lock(&a->mu);
	for (i = 0; i < SERVE_SESSIONS_MAX; i++) {
		struct serve_session *s = &a->sessions[i];

		if (!s->id[0] || s->expires_s <= now) {
			slot = i;
			break;
		}
		if (slot < 0 || s->expires_s < oldest) {
			slot = i;
			oldest = s->expires_s;
		}
	}
	memcpy(a->sessions[slot].id, sid, SERVE_ID_HEX + 1);
	a->sessions[slot].expires_s = now + SERVE_SESSION_TTL_S;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

void serve_auth_logout(struct serve_auth *a, const char *sid)
{
	int i;

	pthread_mutex_lock(&a->mu);
	for (i = 0; i < SERVE_SESSIONS_MAX; i++)
		if (a->sessions[i].id[0] && !strcmp(a->sessions[i].id, sid))
			memset(&a->sessions[i], 0, sizeof(a->sessions[i]));
	pthread_mutex_unlock(&a->mu);
}

/* HMAC-SHA256 (RFC 2104) with the 32-byte key. */
static void hmac(unsigned char out[32], const unsigned char key[32], const char *msg, size_t len)
{
	unsigned char pad[64], inner[32];
	struct sha256 h;
	int i;

	for (i = 0; i < 64; i++)
		pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x36);
	sha256_init(&h);
	sha256_update(&h, pad, 64);
	sha256_update(&h, msg, len);
	sha256_final(&h, inner);
	for (i = 0; i < 64; i++)
		pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x5c);
	sha256_init(&h);
	sha256_update(&h, pad, 64);
	sha256_update(&h, inner, 32);
	sha256_final(&h, out);
	explicit_bzero(pad, sizeof(pad));
}

void serve_auth_csrf(struct serve_auth *a, char out[65], const char *purpose, const char *id)
{
	char msg[160];
	unsigned char mac[32];
	int i, n = snprintf(msg, sizeof(msg), "%s:%s", purpose, id);

	hmac(mac, a->key, msg, (size_t)n);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

int serve_auth_csrf_ok(struct serve_auth *a, const char *given, const char *purpose, const char *id)
{
	char want[65];

	if (!given || !id || !id[0])
		return 0;
	serve_auth_csrf(a, want, purpose, id);
	return serve_secret_equal(given, strlen(given), want, 64);
}
