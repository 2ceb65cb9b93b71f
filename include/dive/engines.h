/*
 * engines.h - the Docker engine an instance runs on, by name: "local" is the
 * engine at --docker-host (DOCKER_HOST); any other name is a row of
 * dive.engines (engine_store.h): a tcp:// URL and the paths of its
 * mutual-TLS material, opened with docker_open_tls() (the material is
 * checked before anything is sent).
 *
 * Each engine has its own circuit breaker, "docker:<name>" ("docker:local"
 * for the local one), class "docker" (breaker.h): engines_connect() and
 * engines_check() go through it with the docker retry policy, so an engine
 * that is down opens its own breaker and leaves the others alone.
 *
 * Errors: as engine_store_get() for an unknown name, as docker_open_tls()
 * for bad material, as guard_run() for the connection (DIVE_ECIRCUIT when the
 * breaker is open, DIVE_ETLS with its code for a refused certificate).
 */
#ifndef DIVE_ENGINES_H
#define DIVE_ENGINES_H

#include "dive/breaker.h"
#include "dive/cert.h"
#include "dive/docker.h"
#include "dive/engine_store.h"
#include "dive/guard.h"

struct store;

/* "docker:<name>"; NULL or "" is local. */
void engines_breaker_name(char out[BREAKER_NAME_MAX + 1], const char *name);

/*
 * Open the engine named name (NULL: local) without contacting it.  row
 * (may be NULL) gets its row (for local: name "local", url the redacted
 * --docker-host).  s may be NULL only for local.
 */
int engines_open(struct docker **out, struct engine_row *row, struct store *s, const char *name,
		 const char *local_host);

/* /_ping and /version through the engine's breaker and the docker retry policy. */
int engines_connect(struct docker *d, struct store *s, const char *name, struct guard_report *rep);

#define ENGINES_WARN_MAX 2

struct engines_check_report {
	struct engine_row row;
	int tls;                                  /* mutual TLS is configured */
	struct cert_material_report material;     /* tls: the CA and client certificate as read */
	char version[64], api[16];                /* what the engine said */
	struct guard_report guard;                /* attempts, breaker refusal */
	long long ms;
	int nwarnings;                            /* certificates expiring within warn_days */
	char warnings[ENGINES_WARN_MAX][256];
};

/*
 * Check an engine end to end: its material (dates, key, purpose), then a
 * guarded ping and version over (m)TLS, which verifies the engine's
 * certificate against its CA and makes the engine verify dive's.  0 when
 * all of it passed (warnings do not fail it).
 */
int engines_check(struct engines_check_report *out, struct store *s, const char *name, const char *local_host,
		  int warn_days);

/*
 * The host of an engine's tcp:// URL ("[::1]" -> "::1"); anything else is
 * the local engine, whose ports are on DIVE_PORTS_BIND.
 */
void engines_url_host(char *out, size_t n, const char *url);
/* "http://HOST:PORT", an IPv6 host in brackets. */
void engines_http_url(char *out, size_t n, const char *host, int port);

/*
 * Where instance code's published ports are reached: the host of the
 * engine it is placed on, or DIVE_PORTS_BIND for the local engine (also
 * when s is NULL or the instance has no row).  *remote (may be NULL) says
 * whether it is placed on another engine than the local one.
 */
int engines_instance_host(char *out, size_t n, int *remote, struct store *s, const char *code);

/*
 * DIVE_HUB_ADDR: an IP address of the hub's host that remote engines
 * reach (the hub publishes the ports spokes use on it as well as on
 * DIVE_PORTS_BIND).  "" when unset; DIVE_EUSAGE (ERRC_CONFIG_INVALID) when
 * it is not an IP address or is an unspecified one (0.0.0.0, ::): every
 * interface is never published by default.
 */
int engines_hub_addr(char *out, size_t n);

#endif
