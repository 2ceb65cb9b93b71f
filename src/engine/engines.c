/* engines.c - Docker engines by name, each behind its own breaker (see engines.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/ports.h"
#include "dive/settings.h"
#include "dive/store.h"

static int is_local(const char *name)
{
	return !name || !*name || !strcmp(name, ENGINE_LOCAL);
}

void engines_breaker_name(char out[BREAKER_NAME_MAX + 1], const char *name)
{
	snprintf(out, BREAKER_NAME_MAX + 1, "docker:%.*s", ENGINE_NAME_MAX, is_local(name) ? ENGINE_LOCAL : name);
}

int engines_open(struct docker **out, struct engine_row *row, struct store *s, const char *name,
		 const char *local_host)
{
	struct engine_row local;
	struct docker_tls tls;
	int rc;

	*out = NULL;
	if (!row)
		row = &local;
	memset(row, 0, sizeof(*row));
	if (is_local(name)) {
		snprintf(row->name, sizeof(row->name), "%s", ENGINE_LOCAL);
		docker_host_redact(row->url, sizeof(row->url), local_host ? local_host : "unix:///var/run/docker.sock");
		return docker_open(out, local_host, NULL);
	}
	if (!s)
		return dive_error_set(DIVE_EUSAGE, "engine '%.40s' is in the state store, which is not open", name);
	if ((rc = engine_store_get(s, row, name)) < 0)
		return rc;
	tls.ca = row->tls_ca;
	tls.cert = row->tls_cert;
	tls.key = row->tls_key;
	return docker_open_tls(out, row->url, row->tls_ca[0] ? &tls : NULL, NULL);
}

static int negotiate_op(void *arg, long *http_status, int *code)
{
	struct docker *d = arg;
	int rc = docker_negotiate(d);

	*http_status = d->last_status;
	if (rc < 0)
		*code = dive_error_last_code();
	return rc;
}

int engines_connect(struct docker *d, struct store *s, const char *name, struct guard_report *rep)
{
	char breaker[BREAKER_NAME_MAX + 1];
	struct guard_ops ops;
	struct guard_call call;

	engines_breaker_name(breaker, name);
	if (!s) /* no store, no shared breaker: one plain attempt */
		return docker_negotiate(d);
	memset(&call, 0, sizeof(call));
	guard_ops_store(&ops, s);
	call.breaker = breaker;
	call.cls = RETRY_DOCKER;
	call.op = negotiate_op;
	call.arg = d;
	return guard_run(&ops, &call, rep);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void warn_about(struct engines_check_report *r, const struct cert_info *c, const char *what, time_t now,
		       int warn_days)
{
	if (r->nwarnings < ENGINES_WARN_MAX &&
	    cert_expiry_warning(r->warnings[r->nwarnings], sizeof(r->warnings[0]), c, what, now, warn_days))
		r->nwarnings++;
}

int engines_check(struct engines_check_report *out, struct store *s, const char *name, const char *local_host,
		  int warn_days)
{
	struct docker *d = NULL;
	long long t0 = mono_ms();
	time_t now = time(NULL);
	int rc;

	memset(out, 0, sizeof(*out));
	rc = engines_open(&d, &out->row, s, name, local_host);
	if (rc == 0 && out->row.tls_ca[0]) {
		struct cert_material m = { out->row.tls_ca, out->row.tls_cert, out->row.tls_key };

		/* docker_open_tls checked it already; this keeps what it read for the report */
		out->tls = 1;
		rc = cert_material_check(&out->material, &m, now);
		if (rc == 0) {
			warn_about(out, &out->material.ca, "engine CA", now, warn_days);
			warn_about(out, &out->material.cert, "dive's client certificate", now, warn_days);
		}
	}
	if (rc == 0)
		rc = engines_connect(d, s, name, &out->guard);
	if (rc == 0) {
		snprintf(out->version, sizeof(out->version), "%s", d->engine_version);
		snprintf(out->api, sizeof(out->api), "%s", d->api);
	}
	out->ms = mono_ms() - t0;
	docker_close(d);
	return rc;
}

void engines_url_host(char *out, size_t n, const char *url)
{
	const char *h = url + 6, *end;

	if (strncmp(url, "tcp://", 6)) {
		snprintf(out, n, "%s", DIVE_PORTS_BIND);
		return;
	}
	if (*h == '[')
		end = strchr(++h, ']');
	else
		end = strrchr(h, ':');
	snprintf(out, n, "%.*s", end ? (int)(end - h) : (int)strlen(h), h);
}

void engines_http_url(char *out, size_t n, const char *host, int port)
{
	int v6 = strchr(host, ':') != NULL;

	snprintf(out, n, "http://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

int engines_instance_host(char *out, size_t n, int *remote, struct store *s, const char *code)
{
	char placed[ENGINE_NAME_MAX + 1] = ENGINE_LOCAL;
	struct engine_row row;
	int deployed = 0, rc;

	snprintf(out, n, "%s", DIVE_PORTS_BIND);
	if (remote)
		*remote = 0;
	if (!s || !s->ready)
		return 0;
	rc = engine_store_placement(s, code, placed, &deployed);
	if (rc == DIVE_ENOTFOUND) {
		dive_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!strcmp(placed, ENGINE_LOCAL))
		return 0;
	if ((rc = engine_store_get(s, &row, placed)) < 0)
		return rc;
	engines_url_host(out, n, row.url);
	if (remote)
		*remote = 1;
	return 0;
}

int engines_hub_addr(char *out, size_t n)
{
	const char *v = settings_getenv("DIVE_HUB_ADDR");
	unsigned char a[16], zero[16] = { 0 };
	int v6;

	if (n)
		out[0] = '\0';
	if (!v || !*v)
		return 0;
	v6 = strchr(v, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, v, a) != 1 || !memcmp(a, zero, v6 ? 16 : 4))
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID,
				       "DIVE_HUB_ADDR '%.64s' is not an address of this host (an IP address, not 0.0.0.0 "
				       "or ::)", v);
	snprintf(out, n, "%s", v);
	return 0;
}
