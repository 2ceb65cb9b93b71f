/*
 * compose.h - a stack file (Compose format) read into structs with libyaml.
 *
 * Only the subset DIVE uses is accepted, and everything else is an error
 * with its place, so a typo fails loudly instead of being ignored:
 *
 *   tests/fixtures/compose/unknown-key.yml:9: unknown key 'healtcheck' in service 'backend'
 *
 * Accepted: top-level name, version (ignored), services, networks, volumes,
 * x-dive (below) and other x-* keys (ignored).  Per service: image,
 * container_name, command and entrypoint (string, split like a shell, or
 * list), environment (list or map), env_file, ports (short form with a host
 * address, or long form: target, published, host_ip, protocol, mode, name,
 * app_protocol), volumes (short form: named, bind, options; or long form,
 * see struct compose_mount), tmpfs, networks (list, or map with aliases),
 * depends_on (list, or map with condition service_started/service_healthy/
 * service_completed_successfully, required and restart), healthcheck (test,
 * interval, timeout, retries, start_period, disable), restart, labels, user,
 * init, extra_hosts, working_dir, profiles, mem_limit, memswap_limit,
 * mem_reservation, cpus, pids_limit, deploy (resources only: limits memory,
 * cpus, pids; reservations memory), logging (driver, options), ulimits,
 * cap_add, cap_drop, sysctls.  Keys starting with x- are ignored at every
 * level that is not data (labels, environment, sysctls, logging options are
 * data).  YAML anchors, aliases and merge keys ('<<: *base', '<<: [*a, *b]':
 * keys written in the map win, then the first source that has the key) are
 * read as YAML 1.1 defines them.  build, secrets, configs, extends and the
 * like, and the parts of deploy other than resources, are refused by name;
 * anything else unknown is refused with its place.  Labels of a service may
 * not start with "dive." or "com.docker.compose.": those are dive's
 * (apply.h).
 *
 * Every value is interpolated (interp.h) with the environment given to
 * compose_load; a value that carries a secret is flagged (struct
 * compose_env.secret, struct compose_argv.secret) and only environment,
 * command, entrypoint and healthcheck.test may carry one: a secret in any
 * other field is an error, so it can never reach a name, a label or a log.
 * Variables listed in x-dive.secrets are secret whatever provides them.
 *
 * Messages never hold a value that came from the environment, secret or
 * not (issue 10): a message quotes the file's own text, and a value that
 * was interpolated is quoted as written, ${VAR} unexpanded.  Names are never
 * interpolated (service keys, depends_on, networks, profiles, environment
 * variable names in the list form "NAME=value"), so whatever prints a name
 * (graph.h) prints the file's text too.
 *
 * Bounds (all input from outside is bounded): COMPOSE_FILE_MAX bytes,
 * COMPOSE_DEPTH_MAX levels of nesting, COMPOSE_SERVICES_MAX services,
 * COMPOSE_ITEMS_MAX entries in one list or map, COMPOSE_STRING_MAX bytes in
 * one value, COMPOSE_NAME_MAX bytes in a name, COMPOSE_NODES_MAX nodes read
 * (aliases count every time they are read), durations up to 24h.
 *
 * Errors: DIVE_EUSAGE (DIVE_ETOOBIG for an oversized file) with
 * "FILE:LINE: message" and taxonomy code ERRC_COMPOSE_PARSE, or
 * ERRC_SECRET_MISSING when an unset required variable is a declared secret.
 * Dependencies are checked by the graph (graph.h), the one place that does.
 *
 * The x-dive extension (documented in docs/architecture/dependency-graph.md):
 *
 *   x-dive:
 *     secrets: [POSTGRES_PASSWORD, ...]   # variables that are secrets
 *     federation: {approval: auto}        # the hub's approval policy: auto | manual (default)
 *     services:
 *       keycloak:                          # a service of this file
 *         timeout: 240s                    # readiness timeout (static)
 *         timeout_min: 180s                # bounds for a learned timeout
 *         timeout_max: 300s
 *         probe: https://127.0.0.1:${PORT_KEYCLOAK_MGMT}/health/ready
 *         unhealthy: tolerate              # or fail (the default)
 *
 * Ownership: compose_load allocates *out; compose_free releases it (NULL is
 * fine) and wipes every value that carries a secret.
 */
#ifndef DIVE_COMPOSE_H
#define DIVE_COMPOSE_H

#include <stddef.h>

#include "dive/interp.h"

#define COMPOSE_FILE_MAX (1 << 20)
#define COMPOSE_DEPTH_MAX 32
#define COMPOSE_SERVICES_MAX 128
#define COMPOSE_ITEMS_MAX 512
#define COMPOSE_STRING_MAX INTERP_LEN_MAX
#define COMPOSE_NAME_MAX 63
#define COMPOSE_NODES_MAX 100000
#define COMPOSE_DURATION_MAX_MS (24L * 3600 * 1000)
#define COMPOSE_BYTES_MAX (1LL << 50)   /* 1 PiB: sizes (mem_limit ...) */

enum compose_condition {
	COMPOSE_SERVICE_STARTED,
	COMPOSE_SERVICE_HEALTHY,
	COMPOSE_SERVICE_COMPLETED,  /* service_completed_successfully */
};

/* "service_started", ... */
const char *compose_condition_name(enum compose_condition c);

/* A word list that may carry a secret: command, entrypoint, healthcheck test. */
struct compose_argv {
	char **v;            /* interpolated words */
	size_t n;
	int set;             /* given in the file (an empty list overrides the image) */
	int secret;          /* some word carries a secret value */
	int interpolated;    /* some word came through interpolation */
	char *shown;         /* printable one line: as written when interpolated, else the words */
};

struct compose_env {
	char *name;
	char *value;         /* NULL: listed without a value and unset, so not passed */
	int secret;          /* never print value */
	int line;
};

/* ports: the short form "ADDRESS:HOST:CONTAINER/PROTO" or the long form (a map). */
struct compose_port {
	char host_ip[48];    /* "" = every interface */
	int host_port;       /* 0 = chosen by the engine */
	int container_port;
	char protocol[8];    /* "tcp", "udp" or "sctp" */
	int line;
};

enum compose_mount_type {
	COMPOSE_MOUNT_VOLUME,    /* a named volume of the file */
	COMPOSE_MOUNT_BIND,      /* a host path, made absolute against the file's directory */
	COMPOSE_MOUNT_ANONYMOUS, /* target only */
};

/*
 * volumes: the short form "SOURCE:TARGET[:OPTIONS]" (options ro, rw, z, Z,
 * nocopy and the propagation modes, comma-separated) or the long form (a
 * map: type volume or bind, source, target, read_only, bind.propagation,
 * bind.create_host_path, bind.selinux, volume.nocopy; type tmpfs becomes an
 * entry of tmpfs).
 */
struct compose_mount {
	enum compose_mount_type type;
	char *source;        /* volume name or absolute host path; NULL when anonymous */
	char *target;        /* absolute path in the container */
	int read_only;
	char propagation[10];/* "" or shared, slave, private, rshared, rslave, rprivate (binds) */
	char selinux;        /* 0, 'z' or 'Z' (binds) */
	int nocopy;          /* volumes: do not copy the image's content in */
	int no_create;       /* bind.create_host_path: false: the host path must exist */
	int line;
};

struct compose_netref {
	char *network;       /* key of a top-level network, or "default" */
	char **aliases;
	size_t naliases;
	int line;
};

struct compose_dep {
	char *service;
	enum compose_condition condition;
	int required;        /* default 1 */
	int restart;         /* long form restart: true */
	int line;
};

enum compose_hc_kind {
	COMPOSE_HC_IMAGE,    /* no healthcheck in the file: the image's own, if any */
	COMPOSE_HC_CMD,      /* ["CMD", argv...] */
	COMPOSE_HC_SHELL,    /* "string" or ["CMD-SHELL", "string"]: test.v[0] */
	COMPOSE_HC_NONE,     /* ["NONE"] or disable: true */
};

struct compose_healthcheck {
	enum compose_hc_kind kind;
	struct compose_argv test;
	long interval_ms;    /* 0: the engine's default (30s) */
	long timeout_ms;     /* 0: the engine's default (30s) */
	long start_period_ms;
	int retries;         /* 0: the engine's default (3) */
	int line;            /* 0 when absent */
};

/* labels, extra_hosts, sysctls, logging options: ordered as written. */
struct compose_kv {
	char *key;
	char *value;
	int line;
};

enum compose_unhealthy {
	COMPOSE_UNHEALTHY_FAIL,      /* unhealthy fails the service at once (Compose's rule) */
	COMPOSE_UNHEALTHY_TOLERATE,  /* keep waiting until the timeout: it may recover */
};

/* x-dive.services.<name>: how the scheduler decides a service is ready. */
struct compose_dive_service {
	char *service;
	long timeout_ms;     /* 0: not set (graph.h supplies the default) */
	long timeout_min_ms; /* 0: not set; bounds for a learned timeout */
	long timeout_max_ms;
	char *probe;         /* http://, https:// or tcp://host:port from the host; NULL = none */
	enum compose_unhealthy unhealthy;
	int line;
};

/* x-dive.federation.approval (the hub's stack file): how a registering spoke is approved. */
enum compose_approval {
	COMPOSE_APPROVAL_UNSET,   /* not written: manual */
	COMPOSE_APPROVAL_MANUAL,  /* pending until `dive federation approve` (production) */
	COMPOSE_APPROVAL_AUTO,    /* approved by the spoke's deploy (a development hub) */
};

struct compose_dive {
	char **secrets;      /* variable names */
	size_t nsecrets;
	enum compose_approval approval;
	int approval_line;   /* 0 when not written */
	struct compose_dive_service *services;
	size_t nservices;
	int line;            /* 0 when absent */
};

/*
 * Resources: mem_limit, memswap_limit, mem_reservation, cpus, pids_limit
 * and deploy.resources (limits: memory, cpus, pids; reservations: memory).
 * A key and its deploy.resources twin may both be given only with the same
 * value.  Sizes are bytes ("512m", "1g", "1.5GiB", a plain number);
 * cpus is a decimal ("0.5").  0 means unset everywhere.
 */
struct compose_resources {
	long long memory;             /* bytes: HostConfig.Memory */
	long long memory_swap;        /* bytes of memory + swap; -1 unlimited */
	long long memory_reservation; /* bytes: a soft limit */
	long long nano_cpus;          /* cpus x 1e9 */
	long long pids;               /* -1 unlimited */
	int line;                     /* of the first key; 0 when none */
};

struct compose_ulimit {
	char *name;          /* nofile, nproc, core ... (the engine's names) */
	long long soft;
	long long hard;      /* -1: unlimited */
	int line;
};

struct compose_logging {
	char *driver;        /* NULL: the engine's default */
	struct compose_kv *options;
	size_t noptions;
	int line;            /* 0 when absent */
};

struct compose_service {
	char *name;
	int line;
	char *image;
	char *container_name;        /* NULL: the engine's naming is not used by dive */
	struct compose_argv command;
	struct compose_argv entrypoint;
	struct compose_env *environment;
	size_t nenvironment;
	char **env_files;            /* absolute paths, read when the container is created */
	size_t nenv_files;
	struct compose_port *ports;
	size_t nports;
	struct compose_mount *volumes;
	size_t nvolumes;
	char **tmpfs;                /* "/run" or "/run:size=64m" */
	size_t ntmpfs;
	struct compose_netref *networks;
	size_t nnetworks;
	struct compose_dep *depends_on;
	size_t ndepends_on;
	struct compose_healthcheck healthcheck;
	char *restart;               /* no, always, on-failure[:N], unless-stopped; NULL = no */
	struct compose_kv *labels;
	size_t nlabels;
	char *user;
	int init;                    /* -1 unset, 0, 1 */
	struct compose_kv *extra_hosts; /* host -> address */
	size_t nextra_hosts;
	char *working_dir;
	char **profiles;
	size_t nprofiles;
	struct compose_resources resources;
	struct compose_ulimit *ulimits;
	size_t nulimits;
	struct compose_logging logging;
	char **cap_add;              /* as written: NET_ADMIN, CAP_NET_ADMIN, ALL */
	size_t ncap_add;
	char **cap_drop;
	size_t ncap_drop;
	struct compose_kv *sysctls;
	size_t nsysctls;
	const struct compose_dive_service *dive; /* its x-dive settings, or NULL */
};

struct compose_network {
	char *key;           /* as written under networks: */
	char *name;          /* name:, or NULL */
	int external;
	char *driver;
	int internal;
	struct compose_kv *labels;
	size_t nlabels;
	int line;
};

struct compose_volume {
	char *key;
	char *name;
	int external;
	char *driver;
	struct compose_kv *labels;
	size_t nlabels;
	int line;
};

struct compose {
	char *path;          /* as given to compose_load */
	char *dir;           /* absolute directory of the file, for relative binds */
	char *name;          /* top-level name: (the project), or NULL */
	struct compose_service *services;  /* in file order */
	size_t nservices;
	struct compose_network *networks;
	size_t nnetworks;
	struct compose_volume *volumes;
	size_t nvolumes;
	struct compose_dive dive;
	int placeholders;    /* some value holds a placeholder (INTERP_PLACEHOLDERS) */
};

/*
 * Read, check and interpolate the stack file at path with env (NULL: no
 * variables at all).  Returns 0 and *out, or an error as described above
 * with *out NULL.
 */
int compose_load(struct compose **out, const char *path, const struct interp_env *env);
/* The same from memory; name is used in messages and for relative paths. */
int compose_load_string(struct compose **out, const char *name, const char *text, size_t len,
			const struct interp_env *env);
void compose_free(struct compose *c);

/* The service called name, or NULL. */
const struct compose_service *compose_service_find(const struct compose *c, const char *name);
/* Index of the service called name, or -1. */
int compose_service_index(const struct compose *c, const char *name);

/*
 * The service's configuration hash: SHA-256 (hex, 64 characters and NUL)
 * of its normalised, interpolated definition.  Normalised: maps are sorted
 * by key and lists that are sets (ports, volumes, tmpfs, networks, aliases,
 * extra_hosts) by value, durations are milliseconds, the string and list
 * forms of command/entrypoint/healthcheck/environment/labels mean the same,
 * so key order and formatting never change the hash and any change to what
 * the container is made of does.  Left out on purpose: depends_on,
 * profiles and x-dive, which decide when a container starts, not what it
 * is (changing them must not recreate it).  Secret values are part of the
 * hash (a new secret means a new container); only the digest is exposed.
 */
void compose_config_hash(char out[65], const struct compose_service *s);

/*
 * Parse a duration as written in the file ("10s", "1m30s", "500ms", "1h",
 * "1.5s"; units h, m, s, ms, us, ns).  Returns 0, or DIVE_EUSAGE with no
 * message set (the caller knows the place).
 */
int compose_parse_duration(long *out_ms, const char *s);

/*
 * Parse a size as written in the file: a number of bytes, or a number
 * (fractions allowed) and a unit b, k, m, g, t, p (any case, powers of
 * 1024, an optional "i" and "b" after it: 512m, 1g, 1.5GiB, 64kb), at most
 * COMPOSE_BYTES_MAX.  Returns 0, or DIVE_EUSAGE with no message set.
 */
int compose_parse_bytes(long long *out, const char *s);

#endif
