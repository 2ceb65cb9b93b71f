/*
 * docker.h - Docker Engine API client over the unix socket (or tcp://).
 *
 * docker_open() parses the endpoint; docker_negotiate() asks /_ping and
 * /version and settles on min(DOCKER_API_MAX, the engine's ApiVersion) for
 * versioned paths.  Request bodies and answers use the API 1.41 shapes.
 *
 * Every call is one attempt (retries and the breaker belong to the caller),
 * bounded in time (a timeout per request; the events stream an overall
 * deadline) and in size (a cap on every body, every streamed line and frame
 * payload), and maps failures to DIVE_E* codes carrying the engine's own
 * message:
 *
 *   cannot connect      DIVE_EUNAVAIL    ERRC_DOCKER_UNREACHABLE
 *   no answer in time   DIVE_ETIMEOUT    ERRC_DOCKER_UNREACHABLE
 *   connection dropped  DIVE_EFAIL       ERRC_DOCKER_UNREACHABLE
 *   404                 DIVE_ENOTFOUND   ERRC_IMAGE_MISSING for images and container
 *                                        create ("No such image"), else none
 *   409                 DIVE_ECONFLICT   ERRC_CONTAINER_CONFLICT for container create
 *   403 "already" (*)   DIVE_ECONFLICT
 *   400                 DIVE_EUSAGE      the operation's code, as for 5xx
 *   5xx and others      DIVE_EFAIL       the operation's code (CONTAINER_START,
 *                                        NETWORK_SETUP, VOLUME_CREATE, IMAGE_MISSING)
 *   (*) network connect and remove: API 1.41 answers "endpoint already
 *   exists" and "network has active endpoints" with 403.
 *
 * d->last_status keeps the HTTP status of the last exchange (0 when none
 * came back) for retry_is_retryable() in retry.h.  Calls that remove
 * something take DOCKER_REMOVE_IGNORE_MISSING so a repeated removal
 * succeeds; stop and start treat "already" (304) as success.
 *
 * Two swappable backends, for tests: d->transport (struct http_transport
 * from http.h, one buffered exchange) and d->stream (struct docker_stream
 * below, a body handed over as it arrives: events, logs, build).  Both are
 * the libcurl ones unless replaced after docker_open().
 *
 * Names and ids are checked before they reach a URL, at most 128 bytes:
 * containers, networks, volumes and aliases [a-zA-Z0-9][a-zA-Z0-9_.-]*,
 * image references also ':', '/' and '@' (no "..", "//" or final '/'); a bad
 * one is DIVE_EUSAGE.
 *
 * To add a call: one function per engine endpoint, in the file of its
 * concept (docker.c containers and images, docker_network.c,
 * docker_volume.c, docker_events.c, docker_logs.c, docker_build.c,
 * docker_transfer.c for image export and load, docker_endpoint.c for
 * opening: the endpoint and its TLS material), going
 * through docker_call() or the internal docker_op (src/client/docker_priv.h).
 *
 * Lifecycle: docker_open / docker_close.  Plain calls may share a struct
 * docker between threads (each call has its own curl handle; last_status
 * is atomic, so it says what some recent call saw); a streamed call
 * (events, logs, build) reads last_status after its exchange, so it gets
 * a client of its own: the events thread of apply.c opens one.
 */
#ifndef DIVE_DOCKER_H
#define DIVE_DOCKER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "dive/buf.h"

#include "dive/http.h"

#define DOCKER_API_MAX "1.41"

#define DOCKER_EVENT_MAX_LINE (64u << 10)   /* one event as JSON */
#define DOCKER_BUILD_MAX_LINE (64u << 10)   /* one line of build output */
#define DOCKER_BUILD_MAX_CONTEXT (1024u << 20)  /* a JDK and Keycloak fit */
#define DOCKER_LOGS_MAX (8u << 20)          /* default cap on a logs answer */

/*
 * A streamed exchange.  perform() sends req and hands the body to on_data
 * in chunks of any size as it arrives, with the HTTP status (known before
 * the first chunk).  on_data returns 0 to go on; anything else stops the
 * transfer and perform() returns that value.  Otherwise perform() returns
 * 0 when the body ended (*status set, also when the body was empty), or
 * DIVE_EUNAVAIL / DIVE_ETIMEOUT (req->timeout_ms is the deadline of the
 * whole exchange) / DIVE_EFAIL with the message set.
 */
struct docker_stream {
	int (*perform)(struct docker_stream *s, const struct http_req *req, long *status,
		       int (*on_data)(void *arg, long status, const char *p, size_t n), void *arg);
};

/* The real one (libcurl). */
extern struct docker_stream docker_stream_curl;

/*
 * Guarding.  Every buffered call (docker_op_run: create, start, stop,
 * inspect, list, remove, networks, volumes, images) is one attempt handed
 * to d->guard.run when a guard is set (docker_set_guard()): the engine
 * installs a hook that runs it under the retry policy of the docker class
 * and through the breaker of the engine ("docker:local"), so this layer
 * knows neither.  Streamed calls (logs, events, build, image transfer) are
 * not retried: half a stream cannot be sent again.  A create that failed
 * in transport may have been carried out; when its retry finds the name
 * taken by a container with exactly the labels it asked for, that
 * container is the answer.  With no guard a call is one attempt.
 */
typedef int (*docker_attempt_fn)(void *arg, long *http_status, int *code);

struct docker_guard {
	int (*run)(void *data, docker_attempt_fn op, void *arg);
	void *data;
};

struct docker {
	struct docker_guard guard; /* zero: one attempt per call */
	struct http_transport *transport;
	struct docker_stream *stream;
	char *socket_path;       /* unix socket, or NULL for tcp */
	char *base;              /* "http://localhost", "http://127.0.0.1:port" or "https://host:port" */
	char *host;              /* what docker_open was given: "unix:///...", "tcp://host:port" */
	struct http_tls *tls;    /* mutual TLS (paths owned by the client), or NULL */
	char api[16];            /* negotiated API version, e.g. "1.41" */
	char engine_version[64];
	long timeout_ms;         /* per request, unless a call takes its own */
	_Atomic long last_status; /* HTTP status of the last exchange, 0 if none */
};

/*
 * An engine address as an operator writes it (DOCKER_HOST, --docker-host):
 * unix:///PATH (an absolute socket path, at most 107 bytes) or
 * tcp://HOST[:PORT][/] with HOST a name, an IPv4 address or [IPv6], PORT
 * 1-65535 (2375 when left out).  No user or password (a tcp:// engine is
 * reached over TLS, not with credentials in the URL), no path, no query.
 * 0, or DIVE_EUSAGE with ERRC_CONFIG_INVALID and one line that shows the
 * address with anything before '@' replaced by "***".  Touches nothing.
 */
int docker_host_check(const char *host);
/*
 * host as docker_host_check() takes it; NULL = default.  Checked first.
 * Plain tcp:// is allowed only to a loopback address (127.0.0.0/8, [::1],
 * localhost): anywhere else the engine API is root on that host for whoever
 * reaches it, so it takes docker_open_tls().
 */
int docker_open(struct docker **out, const char *host, struct http_transport *t);

/* Mutual TLS material: paths, all three. */
struct docker_tls {
	const char *ca;          /* the CA the engine's certificate must chain to (nothing else is trusted) */
	const char *cert;        /* dive's client certificate */
	const char *key;         /* its key, mode 0600 */
};

/*
 * tcp://HOST:PORT over https with client certificates (tls NULL: as
 * docker_open).  The material is checked first (cert.h
 * cert_material_check: readable, a CA, not expired, the key belongs to the
 * certificate), so a bad file fails here with its own code (DIVE_ETLS);
 * what the engine says about it fails the first call (http.h lists the codes).
 */
int docker_open_tls(struct docker **out, const char *host, const struct docker_tls *tls, struct http_transport *t);

/*
 * A second client for the same engine, with the same TLS material and
 * backends, for a thread of its own (a streamed call reads last_status).
 * The negotiated API version carries over.
 */
int docker_clone(struct docker **out, const struct docker *d);

/* Install (g not NULL) or remove the guard; a clone carries it over. */
void docker_set_guard(struct docker *d, const struct docker_guard *g);

/* host with any user information replaced by three asterisks, for messages. */
void docker_host_redact(char *out, size_t n, const char *host);

void docker_close(struct docker *d);

/* GET /_ping must answer "OK". */
int docker_ping(struct docker *d);
/* /_ping + /version: sets d->api and d->engine_version. */
int docker_negotiate(struct docker *d);

/*
 * One request to a versioned path ("/containers/json"); body is JSON or NULL.
 * On success *out (if not NULL) holds the parsed JSON answer or NULL when
 * the answer was empty.  Non-2xx statuses become errors as described above.
 */
int docker_call(struct docker *d, cJSON **out, const char *method, const char *path, const cJSON *body);

/*
 * The "filters" query value for label filters: {"label":["k=v","k2"]},
 * URL-encoded, appended to out.  labels is NULL-terminated, may be NULL
 * or empty (then nothing is appended).  Each label is "key" or
 * "key=value", at most 256 bytes, without control characters (DIVE_EUSAGE).
 */
int docker_filters_labels(struct dive_buf *out, const char *const *labels);
/* Any filters object ({"type":["container"],"event":["health_status"]}), URL-encoded. */
int docker_filters_encode(struct dive_buf *out, const cJSON *filters);

/* Flags for the calls that remove something. */
enum docker_remove_flags {
	DOCKER_REMOVE_FORCE = 1 << 0,          /* containers: kill first; images, volumes: force */
	DOCKER_REMOVE_IGNORE_MISSING = 1 << 1, /* a 404 is success: removing twice is fine */
};

/* Containers. */
int docker_container_create(struct docker *d, char **out_id, const char *name, const cJSON *spec);
int docker_container_start(struct docker *d, const char *id);
/* A stopped container is success (304). */
int docker_container_stop(struct docker *d, const char *id, int timeout_s);
/* signal: "SIGKILL", "TERM", "9"...; NULL is SIGKILL.  Not running is DIVE_ECONFLICT. */
int docker_container_kill(struct docker *d, const char *id, const char *signal);
/* flags: enum docker_remove_flags (1 is DOCKER_REMOVE_FORCE); anonymous volumes go too. */
int docker_container_remove(struct docker *d, const char *id, int flags);
/*
 * GET the engine's description of one object: a container (name or id), a
 * network, a volume or an image (a reference).  The name is checked first
 * (DIVE_EUSAGE); a missing object is DIVE_ENOTFOUND (an image with
 * ERRC_IMAGE_MISSING).  The four *_inspect functions below are this.
 */
enum docker_kind { DOCKER_CONTAINER, DOCKER_NETWORK, DOCKER_VOLUME, DOCKER_IMAGE };
int docker_inspect(struct docker *d, cJSON **out, enum docker_kind kind, const char *name);
int docker_container_inspect(struct docker *d, cJSON **out, const char *id);
/*
 * GET /containers/json?all=1&filters={"label":[...]}: every container, running
 * or not, that carries all the labels ("k" or "k=v"); *out is a JSON array.
 */
int docker_container_list(struct docker *d, cJSON **out, const char *const *labels);
/*
 * POST /containers/{id}/wait?condition=not-running: wait at most timeout_ms
 * (DIVE_ETIMEOUT after) for the container to stop; *out_code gets its exit
 * status.  A container that is not running returns at once.
 */
int docker_container_wait(struct docker *d, int *out_code, const char *id, long timeout_ms);

/* Networks. */
/*
 * POST /networks/create with Name and CheckDuplicate set by the client over
 * spec (Driver, Labels, Internal, Options...; may be NULL: a bridge network).
 * An existing name is DIVE_ECONFLICT.
 */
int docker_network_create(struct docker *d, char **out_id, const char *name, const cJSON *spec);
/*
 * Attach a container; aliases (NULL-terminated, may be NULL) are its extra
 * DNS names on this network.  A running container already attached is
 * DIVE_ECONFLICT; the engine accepts a stopped one again (200).
 */
int docker_network_connect(struct docker *d, const char *network, const char *container,
			   const char *const *aliases);
int docker_network_disconnect(struct docker *d, const char *network, const char *container, int force);
int docker_network_inspect(struct docker *d, cJSON **out, const char *network);
/* Networks carrying all the labels; *out is a JSON array. */
int docker_network_list(struct docker *d, cJSON **out, const char *const *labels);
/* flags: DOCKER_REMOVE_IGNORE_MISSING.  A network with containers attached is DIVE_ECONFLICT. */
int docker_network_remove(struct docker *d, const char *network, int flags);

/* Volumes. */
/*
 * POST /volumes/create; labels is an object {"k":"v"} or NULL.  The engine
 * answers an existing name with that volume (whatever its labels): compare
 * *out's Labels when that matters.  out may be NULL.
 */
int docker_volume_create(struct docker *d, cJSON **out, const char *name, const cJSON *labels);
int docker_volume_inspect(struct docker *d, cJSON **out, const char *name);
/* Volumes carrying all the labels; *out is a JSON array (the answer's "Volumes"). */
int docker_volume_list(struct docker *d, cJSON **out, const char *const *labels);
/* flags: enum docker_remove_flags.  A volume in use is DIVE_ECONFLICT. */
int docker_volume_remove(struct docker *d, const char *name, int flags);

/* Images. */
int docker_image_inspect(struct docker *d, cJSON **out, const char *name);
/* POST /images/{name}/tag: repo "dive/x", tag "local" (NULL: "latest"). */
int docker_image_tag(struct docker *d, const char *name, const char *repo, const char *tag);
/* flags: enum docker_remove_flags. */
int docker_image_remove(struct docker *d, const char *name, int flags);

/*
 * GET /images/{name}/get: the image as a tar archive (what docker save
 * writes), handed to on_data in chunks as it arrives (on_data: 0 to go on,
 * a negative DIVE_E* to stop).  timeout_ms bounds the whole transfer (0:
 * DOCKER_TRANSFER_TIMEOUT_MS).  A missing image is DIVE_ENOTFOUND with
 * ERRC_IMAGE_MISSING; other failures carry ERRC_IMAGE_COPY.
 */
#define DOCKER_TRANSFER_TIMEOUT_MS (30L * 60 * 1000)
int docker_image_export(struct docker *d, const char *name, long timeout_ms,
			int (*on_data)(void *arg, const char *p, size_t n), void *arg);

/*
 * POST /images/load with the archive read_body produces (http.h: bytes
 * written, 0 at the end, negative to abort), sent as it is produced.  The
 * engine's answer is JSON lines; an error in them (also after a 200) is
 * DIVE_EFAIL with ERRC_IMAGE_COPY and the engine's message.  loaded (may be
 * NULL, n bytes) gets the first "Loaded image: ..." reference.
 */
int docker_image_load(struct docker *d, long timeout_ms, long (*read_body)(void *arg, char *buf, size_t n), void *arg,
		      char *loaded, size_t n);

struct docker_build_opts {
	const cJSON *labels;      /* {"k":"v"} for the image, or NULL */
	const cJSON *buildargs;   /* {"BASE":"dive/base:local"}, or NULL */
	const char *dockerfile;   /* path inside the context; NULL: "Dockerfile" */
	int nocache;
	long timeout_ms;          /* the whole build; 0: 10 minutes */
	/* each "stream" line of output, as it comes (may be NULL) */
	void (*on_output)(void *arg, const char *text);
	void *arg;
};

/*
 * POST /build?t=NAME with the tar archive as body (tar.h).  The answer is
 * a stream of JSON lines ({"stream":...}, {"aux":{"ID":...}},
 * {"error":...,"errorDetail":{"message":...}}), each at most
 * DOCKER_BUILD_MAX_LINE bytes.  A build that fails is DIVE_EFAIL with
 * ERRC_IMAGE_MISSING and the engine's error message, also when the status
 * was 200.  *out_id (out_id may be NULL) gets the image id when the engine
 * reported it.  The intermediate containers are removed either way.
 */
int docker_image_build(struct docker *d, char **out_id, const char *name, const void *context, size_t len,
		       const struct docker_build_opts *o);
/*
 * Build from a directory: its whole tree becomes the context (tar.h,
 * at most DOCKER_BUILD_MAX_CONTEXT bytes), then docker_image_build().
 */
int docker_image_build_dir(struct docker *d, char **out_id, const char *name, const char *dir,
			   const struct docker_build_opts *o);

/* Events. */
struct docker_event {
	const char *type;        /* "container", "network", "image", "volume", ... */
	const char *action;      /* "start", "die", "health_status: healthy", ... */
	const char *id;          /* Actor.ID */
	const char *name;        /* Actor.Attributes.name, or "" */
	long long time_nano;     /* timeNano (through a double: exact to about 0.25 us) */
	const cJSON *attributes; /* Actor.Attributes (labels among them), or NULL */
	const cJSON *raw;        /* the whole event */
};

struct docker_events_opts {
	const cJSON *filters;    /* {"type":["container"],"event":["health_status"]}, or NULL */
	const char *since;       /* "1700000000" or "1700000000.250000000" (unix time), or NULL */
	const char *until;       /* the engine ends the stream there, or NULL */
	long timeout_ms;         /* the overall deadline of the stream, > 0 */
	size_t max_line;         /* one event at most; 0: DOCKER_EVENT_MAX_LINE */
};

/*
 * GET /events: on_event is called once per event, in order.  It returns 0
 * to go on, > 0 to stop (docker_events then returns 0), or a negative
 * DIVE_E* with the message set (returned unchanged).  The stream also ends
 * at the deadline (DIVE_ETIMEOUT), and when the engine ends it: 0 when
 * opts->until was given, otherwise DIVE_EUNAVAIL.  Pass a "since" taken
 * before the action whose events are awaited so none are missed.
 */
int docker_events(struct docker *d, const struct docker_events_opts *o,
		  int (*on_event)(void *arg, const struct docker_event *ev), void *arg);

/* "since"/"until" text for the current time minus back_ms (CLOCK_REALTIME). */
void docker_events_time(char *out, size_t n, long back_ms);

/* Logs. */
enum docker_log_stream {
	DOCKER_LOG_STDIN = 0,
	DOCKER_LOG_STDOUT = 1,
	DOCKER_LOG_STDERR = 2,
};

struct docker_logs_opts {
	int tail;                /* last N lines; < 0: all */
	int tty;                 /* the container has a TTY: the answer is raw, not framed */
	int timestamps;
	size_t max_bytes;        /* payload cap, DIVE_ETOOBIG past it; 0: DOCKER_LOGS_MAX */
	long timeout_ms;         /* 0: d->timeout_ms */
	long since;              /* only lines from this Unix time on; 0: from the start */
};

/*
 * GET /containers/{id}/logs?stdout=1&stderr=1&tail=N[&since=T] (never follows).
 * on_data gets the payload in order, with its stream, split wherever the
 * transport split it.  It returns 0 to go on or a negative DIVE_E* to stop.
 */
int docker_container_logs(struct docker *d, const char *id, const struct docker_logs_opts *o,
			  int (*on_data)(void *arg, enum docker_log_stream s, const char *p, size_t n), void *arg);
/* The same, collected: stdout into out_stdout, stderr into out_stderr (either may be NULL). */
int docker_container_logs_collect(struct docker *d, struct dive_buf *out_stdout, struct dive_buf *out_stderr,
				  const char *id, const struct docker_logs_opts *o);

/*
 * The incremental parsers the streaming calls use, public so they can be
 * tested and reused.  Both take chunks of any size and keep only what
 * they need between chunks.
 */

/* JSON lines: '\n'-separated, '\r' before it dropped, empty lines skipped. */
struct docker_lines {
	struct dive_buf line;    /* the incomplete line so far */
	int (*on_line)(void *arg, char *line, size_t len);  /* 0 go on, else stop with it */
	void *arg;
};

void docker_lines_init(struct docker_lines *l, size_t max_line,
		       int (*on_line)(void *arg, char *line, size_t len), void *arg);
void docker_lines_release(struct docker_lines *l);
/* DIVE_ETOOBIG when a line exceeds max_line; otherwise 0 or on_line's value. */
int docker_lines_feed(struct docker_lines *l, const char *p, size_t n);
/* A last line without '\n' at the end of the stream. */
int docker_lines_finish(struct docker_lines *l);

/*
 * The multiplexed stream of a container without TTY: frames of an 8-byte
 * header {stream, 0, 0, 0, size as 32-bit big-endian} and size bytes of
 * payload.  A header with an unknown stream or non-zero padding is
 * DIVE_EFAIL (not a multiplexed stream).
 */
struct docker_frames {
	unsigned char hdr[8];
	size_t hdr_len;          /* header bytes held so far */
	size_t left;             /* payload bytes of the current frame still to come */
	enum docker_log_stream stream;
	size_t total;            /* payload bytes delivered so far */
	size_t max_total;        /* DIVE_ETOOBIG past it; 0: no cap */
	int (*on_data)(void *arg, enum docker_log_stream s, const char *p, size_t n);
	void *arg;
};

void docker_frames_init(struct docker_frames *f, size_t max_total,
			int (*on_data)(void *arg, enum docker_log_stream s, const char *p, size_t n), void *arg);
int docker_frames_feed(struct docker_frames *f, const char *p, size_t n);
/* DIVE_EFAIL when the stream ended inside a frame. */
int docker_frames_finish(struct docker_frames *f);

/*
 * Files in a container, as tar archives (the engine's /containers/{id}/archive).
 * put: the archive (tar.h) is extracted at path, which must exist in the
 * container; at most DOCKER_ARCHIVE_MAX bytes.  get: the file or tree at
 * path as an archive in out (initialised here with max; release it either
 * way); DIVE_ENOTFOUND when path does not exist.  Read a member with
 * tar_find() (tar.h).
 */
#define DOCKER_ARCHIVE_MAX (64u << 20)
int docker_container_put_archive(struct docker *d, const char *container, const char *path, const void *tar,
				 size_t len);
int docker_container_get_archive(struct docker *d, struct dive_buf *out, const char *container, const char *path,
				 size_t max);

#endif
