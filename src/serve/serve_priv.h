/* serve_priv.h - what the parts of `dive serve` share (see serve.h). */
#ifndef DIVE_SERVE_PRIV_H
#define DIVE_SERVE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "dive/buf.h"
#include "dive/metrics.h"
#include "dive/serve.h"

#define SERVE_SESSIONS_MAX 64
#define SERVE_SESSION_TTL_S (12 * 3600)
#define SERVE_SSE_MAX 32
#define SERVE_BODY_MAX 4096
#define SERVE_ID_HEX 64             /* 32 random bytes */

struct serve_session {
	char id[SERVE_ID_HEX + 1];      /* "" when the slot is free */
	long long expires_s;
};

struct serve_auth {
	const struct dive_secret *token;
	unsigned char key[32];          /* signs CSRF tokens; new at every start */
	pthread_mutex_t mu;
	struct serve_session sessions[SERVE_SESSIONS_MAX];
};

struct serve_events {
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	unsigned long long generation;  /* bumped by every notification */
	char last_table[64];
	int clients;
	int connected;                  /* the LISTEN connection is up */
};

struct serve {
	const struct serve_opts *o;
	struct MHD_Daemon *daemon;
	atomic_int stop;
	pthread_mutex_t metrics_mu;
	struct metrics *metrics;
	pthread_mutex_t read_mu;        /* the read connection of the API */
	struct store *read;
	pthread_mutex_t work_mu;        /* actions and scheduled work, one at a time */
	struct serve_auth auth;
	struct serve_events ev;
};

/* What a handler answers; body owned by the reply. */
struct serve_reply {
	unsigned status;
	const char *content_type;
	struct dive_buf body;
	char set_cookie[2][256];
};

void serve_reply_init(struct serve_reply *r);
void serve_reply_json(struct serve_reply *r, unsigned status, cJSON *doc);   /* takes doc */
void serve_reply_error(struct serve_reply *r, unsigned status, const char *message);

/* serve_auth.c */
int serve_auth_init(struct serve_auth *a, const struct dive_secret *token);
void serve_auth_release(struct serve_auth *a);
int serve_random_hex(char *out, size_t nbytes);    /* out holds 2 * nbytes + 1 */
/* Constant time; 1 when equal. */
int serve_secret_equal(const char *a, size_t alen, const char *b, size_t blen);
/* "Authorization: Bearer <token>" matches. */
int serve_auth_bearer(struct serve_auth *a, const char *header);
/* The session named by the cookie, if live; sid gets its id. */
int serve_auth_session(struct serve_auth *a, const char *cookie, char sid[SERVE_ID_HEX + 1]);
int serve_auth_login(struct serve_auth *a, const char *token, size_t len, char sid[SERVE_ID_HEX + 1]);
void serve_auth_logout(struct serve_auth *a, const char *sid);
/* hex HMAC-SHA256(key, purpose ":" id): the CSRF token of a session or a pre-session. */
void serve_auth_csrf(struct serve_auth *a, char out[65], const char *purpose, const char *id);
int serve_auth_csrf_ok(struct serve_auth *a, const char *given, const char *purpose, const char *id);

/* serve_events.c */
int serve_events_start(struct serve *s);
void serve_events_stop(struct serve *s);
/* The /events response (NULL when too many streams are open). */
struct MHD_Response *serve_events_response(struct serve *s);

/* serve_api.c */
struct serve_request {
	const char *method, *url;
	const char *body;                /* POST: the JSON body (bounded), else NULL */
	int signed_in;
	char sid[SERVE_ID_HEX + 1];
};
void serve_api_state(struct serve *s, struct serve_reply *r);
void serve_api_spoke(struct serve *s, struct serve_reply *r, const char *code);
void serve_api_plan(struct serve *s, struct serve_reply *r, int prune);
void serve_api_audits(struct serve *s, struct serve_reply *r);
void serve_api_action(struct serve *s, struct serve_reply *r, const char *verb, const char *body);
/* Scheduled work and the audit after an action (work_mu held by the caller). */
int serve_audit_now(struct serve *s, struct store *st, const char *trigger);
int serve_prune_now(struct serve *s, struct store *st);
void serve_note(struct serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
