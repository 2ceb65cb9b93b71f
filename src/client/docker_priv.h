/*
 * docker_priv.h - what the docker_*.c files share; not part of the contract
 * (include/dive/docker.h is).
 *
 * A call is described by a struct docker_op: the request, the taxonomy codes
 * its failures carry and how its message names the object.  docker_op_run()
 * does one buffered exchange; docker_stream_run() one streamed exchange.
 * Both map failures the same way (docker_fail_status()).
 */
#ifndef DIVE_DOCKER_PRIV_H
#define DIVE_DOCKER_PRIV_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "dive/docker.h"

#define DOCKER_ERROR_BODY_MAX (64u << 10)   /* an error answer of a streamed call */

struct docker_op {
	const char *method;       /* "GET" when NULL */
	const char *path;         /* versioned path with its query: "/networks/create" */
	const cJSON *json;        /* body, or NULL */
	const char *what;         /* for messages: "remove network 'n'"; NULL: docker_call's wording */
	int code_notfound;        /* taxonomy code for 404, 0: none */
	int code_conflict;        /* for 409 (and 403 when conflict_403) */
	int code_fail;            /* for 5xx and other failures */
	long timeout_ms;          /* 0: d->timeout_ms */
	int ignore_missing;       /* 404 is success */
	int conflict_403;         /* 403 means "already exists" (network connect) */
	/* streamed calls: a request body produced while it is sent (http.h), instead of body/body_len */
	long (*read_body)(void *arg, char *buf, size_t n);
	void *read_arg;
};

/* One buffered exchange; *out (may be NULL) gets the parsed answer or NULL. */
int docker_op_run(struct docker *d, cJSON **out, const struct docker_op *op);

/*
 * One streamed exchange.  A 2xx body goes to on_data; any other status
 * collects at most DOCKER_ERROR_BODY_MAX bytes and becomes an error as
 * docker_fail_status() says.  Returns 0 when the body ended, on_data's
 * non-zero value when it stopped the transfer, or a negative DIVE_E*.
 * A transport timeout is returned as DIVE_ETIMEOUT with the transport's
 * message; the caller words it.
 */
int docker_stream_run(struct docker *d, const struct docker_op *op, const char *content_type,
		      const void *body, size_t body_len,
		      int (*on_data)(void *arg, const char *p, size_t n), void *arg);

/* Map a non-2xx status and its body to an error (message and taxonomy code). */
int docker_fail_status(const struct docker_op *op, long status, const char *body);
/* Wrap a transport failure (unreachable, timeout) in op's words, with its code. */
int docker_fail_transport(const struct docker_op *op, int rc);

/*
 * Names before they reach a URL, at most 128 bytes, DIVE_EUSAGE otherwise.
 * docker_check_name: containers, networks, volumes, aliases and ids,
 * [a-zA-Z0-9][a-zA-Z0-9_.-]*.  docker_check_ref: image references and
 * paths, which may also hold ':', '/' and '@', but no "..", "//" or final '/'.
 */
int docker_check_name(const char *what, const char *s);
int docker_check_ref(const char *what, const char *s);

/*
 * GET a list at path ("/containers/json?all=1") filtered by labels (may be
 * NULL); the answer, or its member field when not NULL ("Volumes"), must be
 * an array (null counts as empty); *out is that array.
 */
int docker_list_labels(struct docker *d, cJSON **out, const char *path, const char *field,
		       const char *const *labels, const char *what);

/*
 * One line of the engine's JSON-message streams (build, load):
 * {"stream":...}, {"aux":{...}}, {"error":...,"errorDetail":{"message":...}}.
 * docker_msg_parse() fills m from line (DIVE_EFAIL, naming what, when the
 * line is not a JSON object); the pointers live until docker_msg_release().
 */
struct docker_msg {
	cJSON *doc;
	const char *stream;       /* NULL when absent */
	const char *error;        /* errorDetail.message, else error; NULL when neither */
	const cJSON *aux;
};

int docker_msg_parse(struct docker_msg *m, const char *line, size_t len, const char *what);
void docker_msg_release(struct docker_msg *m);
/* snprintf of src without the newlines, carriage returns and spaces at its end. */
void docker_trim_copy(char *dst, size_t n, const char *src);

/* A NULL-terminated string array as a JSON array (never NULL). */
cJSON *docker_json_strings(const char *const *v);

#endif
