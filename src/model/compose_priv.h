/*
 * compose_priv.h - what the parts of the stack-file loader share (compose.h
 * is the contract; this header is not for other modules).
 *
 * The loader is split along its seams:
 *
 *   compose.c          the top level (services:, networks:, volumes:, x-dive,
 *                      name:), references between parts, loading, release
 *   compose_yaml.c     the YAML node reader: messages with file:line, shapes
 *                      (maps, lists, bounds), interpolated values, names, word
 *                      lists, string lists, key=value pairs
 *   compose_service.c  the service field table and the fields of the process
 *                      (command, environment, healthcheck, depends_on ...)
 *   compose_net.c      ports, networks and extra_hosts of a service
 *   compose_storage.c  volumes and tmpfs of a service
 *   compose_merge.c    YAML merge keys, resolved before the document is read
 *   compose_host.c     what a service asks of the host: resources, logging,
 *                      ulimits, capabilities, sysctls
 *   compose_hash.c     compose_config_hash()
 *   instance.c         the instance file (instance.h), read with the same reader
 *
 * Merge keys ('<<') are resolved in the document before it is read
 * (cl_merge_keys), so every reader sees plain maps.
 *
 * Names: cl_* are the reader's helpers, cs_* the service fields that live
 * outside compose_service.c.  Each returns 0 or a negative DIVE_E* code with
 * the message set ("FILE:LINE: ...", taxonomy ERRC_COMPOSE_PARSE).
 */
#ifndef DIVE_COMPOSE_PRIV_H
#define DIVE_COMPOSE_PRIV_H

#include <stddef.h>
#include <string.h>

#include <yaml.h>

#include "dive/compose.h"
#include "dive/interp.h"
#include "dive/xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WHAT_MAX 192

/* Append a zeroed element to a (pointer, count) pair and return it. */
#define PUSH(arr, n) \
	((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), \
	 memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

struct loader {
	const char *path;
	yaml_document_t doc;
	int have_doc;
	const struct interp_env *user;  /* the caller's environment */
	struct interp_env env;          /* user + the secrets x-dive declares */
	struct compose *c;
	size_t visits;
	char last_var[INTERP_NAME_MAX + 1];
	int last_found;
	unsigned last_flags;            /* interp flags of the last cl_value() */
};

#define MAP_EACH(L, n, p, k, v) \
	for ((p) = (n)->data.mapping.pairs.start; \
	     (p) < (n)->data.mapping.pairs.top && ((k) = cl_node_at((L), (p)->key)) && \
	     ((v) = cl_node_at((L), (p)->value)); \
	     (p)++)
#define SEQ_EACH(L, n, i, v) \
	for ((i) = (n)->data.sequence.items.start; \
	     (i) < (n)->data.sequence.items.top && ((v) = cl_node_at((L), *(i))); (i)++)
#define KEY(k) ((const char *)(k)->data.scalar.value)
/* The last value read stands for an unset variable (graph-only reading): skip checks on its shape. */
#define PLACEHOLDER(L) ((L)->last_flags & INTERP_PLACEHOLDER)

/* --- messages (compose_yaml.c) --- */
int cl_line_of(const yaml_node_t *n);
int cl_fail_at(struct loader *L, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cl_fail(struct loader *L, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * The one way a value reaches a message: s when scalar n holds no
 * interpolation, else n's text as written (compose_yaml.c).
 */
const char *cl_shown(char out[80], const yaml_node_t *n, const char *s);

/* --- nodes --- */
const char *cl_kind_name(const yaml_node_t *n);
int cl_is_null(const yaml_node_t *n);
yaml_node_t *cl_node_at(struct loader *L, int id);
int cl_touch(struct loader *L, const yaml_node_t *n);
/* The raw text of a scalar, checked for NUL bytes and length. */
int cl_raw_text(struct loader *L, const yaml_node_t *n, const char *what, const char **out);
/* A map of at most COMPOSE_ITEMS_MAX pairs with distinct, non-empty, bounded keys. */
int cl_check_map(struct loader *L, const yaml_node_t *n, const char *what);
int cl_check_seq(struct loader *L, const yaml_node_t *n, const char *what);

/*
 * The document of text in L->doc (at most max bytes, no NUL, one document,
 * COMPOSE_DEPTH_MAX levels): 0 and its root, or the error with its place.
 * An empty document (nothing, or only comments) is an error unless
 * empty_ok (then *root is NULL).  The caller deletes L->doc when L->have_doc.
 */
int cl_load_document(struct loader *L, const char *text, size_t len, size_t max, int empty_ok, yaml_node_t **root);

/* Merge keys ('<<') resolved in the whole document, before it is read (compose_merge.c). */
int cl_merge_keys(struct loader *L);

/* --- values --- */
enum value_opts {
	V_SECRET_OK = 1 << 0,   /* the field may carry a secret */
	V_NULL_OK = 1 << 1,     /* an empty value gives NULL */
};

int cl_is_declared_secret(const struct loader *L, const char *name);
/* The environment compose interpolates with: the caller's, plus declared secrets. */
int cl_loader_lookup(const struct interp_env *env, const char *name, const char **value, int *secret);
void cl_wipe_free(char *s);
/*
 * The interpolated value of scalar n: *out is NULL for an empty value with
 * V_NULL_OK; *iflags (may be NULL) gets the interp flags (interp.h).
 */
int cl_value(struct loader *L, const yaml_node_t *n, const char *what, unsigned opts, char **out,
	     unsigned *iflags);
/* The same for raw, a part of n's text (messages are placed at n). */
int cl_expand(struct loader *L, const yaml_node_t *n, const char *raw, const char *what, unsigned opts, char **out,
	      unsigned *iflags);
int cl_get_str(struct loader *L, const yaml_node_t *n, const char *what, char **out);
int cl_get_bool(struct loader *L, const yaml_node_t *n, const char *what, int *out);
int cl_get_int(struct loader *L, const yaml_node_t *n, const char *what, long min, long max, long *out);
int cl_get_duration(struct loader *L, const yaml_node_t *n, const char *what, long *out);
/* Sizes (compose_parse_bytes; "-1" too when minus_one_ok) and CPUs (x 1e9). */
int cl_get_bytes(struct loader *L, const yaml_node_t *n, const char *what, int minus_one_ok, long long *out);
int cl_get_cpus(struct loader *L, const yaml_node_t *n, const char *what, long long *out_nano);
/* Service, network, volume and profile names: [A-Za-z0-9][A-Za-z0-9_.-]*, bounded. */
int cl_valid_name(const char *s, size_t max);
int cl_check_name(struct loader *L, const yaml_node_t *n, const char *what, const char *s);
int cl_get_name(struct loader *L, const yaml_node_t *n, const char *what, char **out);
int cl_get_names(struct loader *L, const yaml_node_t *n, const char *what, char ***out, size_t *count);
/* Relative paths are taken from the file's directory. */
char *cl_absolute(const struct loader *L, const char *p);

/* --- word lists, string lists, pairs --- */
char *cl_join_words(char *const *v, size_t n);
void cl_argv_release(struct compose_argv *a);
int cl_get_argv(struct loader *L, const yaml_node_t *n, const char *what, int split, struct compose_argv *out);
char *cl_argv_shown(struct loader *L, const struct compose_argv *a, const yaml_node_t *n, size_t skip);
typedef int (*item_check_fn)(struct loader *L, const yaml_node_t *n, const char *what, const char *s);
int cl_get_strlist(struct loader *L, const yaml_node_t *n, const char *what, int string_ok,
		   item_check_fn check, char ***out, size_t *count);
/* dups_ok: the list form may repeat a key (extra_hosts: one host, several addresses). */
int cl_get_kv(struct loader *L, const yaml_node_t *n, const char *what, const char *seps, int dups_ok,
	      struct compose_kv **out, size_t *count);
/* The node of entry i that cl_get_kv read from n (the key of a map, the item of a list). */
const yaml_node_t *cl_kv_node(struct loader *L, const yaml_node_t *n, size_t i);

/* --- services (compose_service.c, compose_net.c, compose_storage.c) --- */
struct svc_ctx {
	struct loader *L;
	struct compose_service *s;
	const char *what;          /* "services.backend.image" */
};

int cl_parse_service(struct loader *L, yaml_node_t *k, yaml_node_t *n, struct compose_service *s);
int cs_ports(struct svc_ctx *x, yaml_node_t *n);
int cs_networks(struct svc_ctx *x, yaml_node_t *n);
int cs_extra_hosts(struct svc_ctx *x, yaml_node_t *v);
int cs_volumes(struct svc_ctx *x, yaml_node_t *n);
int cs_tmpfs(struct svc_ctx *x, yaml_node_t *v);
/* compose_host.c */
int cs_mem_limit(struct svc_ctx *x, yaml_node_t *v);
int cs_mem_reservation(struct svc_ctx *x, yaml_node_t *v);
int cs_memswap_limit(struct svc_ctx *x, yaml_node_t *v);
int cs_cpus(struct svc_ctx *x, yaml_node_t *v);
int cs_pids_limit(struct svc_ctx *x, yaml_node_t *v);
int cs_deploy(struct svc_ctx *x, yaml_node_t *n);
int cs_logging(struct svc_ctx *x, yaml_node_t *n);
int cs_ulimits(struct svc_ctx *x, yaml_node_t *n);
int cs_cap_add(struct svc_ctx *x, yaml_node_t *v);
int cs_cap_drop(struct svc_ctx *x, yaml_node_t *v);
int cs_sysctls(struct svc_ctx *x, yaml_node_t *n);

#endif
