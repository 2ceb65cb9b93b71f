/*
 * serve.h - `dive serve`, the one long-running dive process (DESIGN §10):
 * an HTTP server (libmicrohttpd) with
 *
 *   GET  /healthz          "ok" (no state is read: the process answers)
 *   GET  /metrics          the Prometheus exposition (metrics.h), per scrape
 *   GET  /                 the reconciliation page (web/, embedded in the binary)
 *   GET  /api/state        the fleet on the three layers, locks, breakers, runs, errors
 *   GET  /api/spoke/CODE   one instance: services, federation objects, last checks
 *   GET  /api/plan         what reconcile would do now (a dry run: no lock, no write)
 *   GET  /api/audits       the recorded audit reports
 *   GET  /api/session      whether this browser has a session, and its CSRF token
 *   GET  /events           server-sent events: "change" when the state store changes
 *   POST /api/login        token -> session cookie (HttpOnly, SameSite=Strict)
 *   POST /api/logout
 *   POST /api/reconcile    {"prune": false} or {"prune": true, "confirm": "prune"}
 *   POST /api/approve      {"code": "DEU"}
 *   POST /api/suspend      {"code": "DEU", "reason": "..."}
 *
 * Bind rules.  The default address is 127.0.0.1:9469.  An address outside
 * the loopback range (127.0.0.0/8, ::1) needs a token file (mode 0600 or
 * stricter, at least 16 characters); serve_listen_parse() and
 * serve_run() refuse otherwise, before anything listens.  Beyond loopback
 * every GET but /healthz and the page's static files needs the token as
 * "Authorization: Bearer" or a session; on loopback reads are open.
 *
 * Actions.  Every POST needs a session (signed in with the token) and the
 * session's CSRF token in the X-CSRF-Token header; the login POST carries
 * the CSRF token of the browser's pre-session cookie.  Anything else is
 * 403 and changes nothing.  Without a token file nobody can sign in: the
 * page is read-only.  Actions go through fedsync.h (the CLI's code paths,
 * its locks, lock wait 0: a held lock is 409), one at a time, and are
 * followed by an audit recorded with trigger "action".
 *
 * Scheduled work (main thread, between signals): an audit every
 * audit_interval_s (0: none), a reconcile --prune every prune_interval_s
 * (0: none, the default).  SIGTERM or SIGINT stops the server: open event
 * streams end, running requests finish, serve_run() returns 0.
 *
 * Live updates.  A thread LISTENs on channel dive_events (migration 0010's
 * triggers) on a connection of its own and wakes the event streams.
 *
 * Nothing served carries a secret: pages and JSON hold names, states,
 * counts and messages cleaned like recorded errors.
 */
#ifndef DIVE_SERVE_H
#define DIVE_SERVE_H

#include <stdio.h>
#include <sys/socket.h>

#include "dive/secret.h"

struct store;

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9469"
#define SERVE_TOKEN_MIN 16
#define SERVE_TOKEN_MAX 4096

struct serve_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	int v6;
	int loopback;
	char text[64];              /* "127.0.0.1:9469" */
};

/* "127.0.0.1:9469", "[::1]:9469", "0.0.0.0:9469"; DIVE_EUSAGE otherwise. */
int serve_listen_parse(struct serve_addr *out, const char *text);

/*
 * Read the token: a regular file of ours, mode 0600 or stricter, one line
 * of SERVE_TOKEN_MIN..SERVE_TOKEN_MAX printable characters (a final newline
 * is dropped).  DIVE_EUSAGE naming the file and what is wrong otherwise.
 */
int serve_token_load(struct dive_secret *out, const char *path);

struct serve_opts {
	struct serve_addr listen;
	const struct dive_secret *token;   /* NULL: no token (loopback only, read-only page) */
	struct store *store;               /* the dispatcher's: audits and prunes of the main thread */
	const char *state_url;             /* for the server's other connections; never printed */
	const char *docker_host;
	const char *instances_dir;
	const char *secrets_spec;
	long audit_interval_s;             /* 0: no scheduled audit */
	long prune_interval_s;             /* 0: no scheduled prune */
	/* one line per event worth a log line (started, audit done, action, stopping); may be NULL */
	void (*note)(void *arg, const char *line);
	void *note_arg;
	/* called once listening (tests and the command's "listening on" line); may be NULL */
	void (*ready)(void *arg, const struct serve_addr *bound);
};

/* Runs until SIGTERM/SIGINT.  0 on a clean stop; DIVE_EUSAGE / DIVE_EFAIL when it cannot start. */
int serve_run(const struct serve_opts *o);

/* The page's files, embedded at build time (cmake/embed_web.cmake). */
struct serve_asset {
	const char *path;          /* "/", "/app.js" */
	const char *content_type;
	const char *data;
	unsigned long len;
};

extern const struct serve_asset serve_assets[];   /* ends with path == NULL */

#endif
