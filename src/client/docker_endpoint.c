/*
 * docker_endpoint.c - which engine a client talks to and how: the unix
 * socket, plain HTTP to a loopback address, or https with client
 * certificates (see docker.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dive/cert.h"
#include "dive/docker.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
#define DOCKER_TIMEOUT_MS 60000
#define DOCKER_HOST_MAX 1024

/* The last '@' of the authority part of host ("tcp://user:pw@h:p"), or NULL. */
static const char *userinfo_end(const char *host, const char **start)
{
	const char *scheme = strstr(host, "://");
	const char *end, *at = NULL, *p;

	*start = scheme ? scheme + 3 : host;
	end = *start + strcspn(*start, "/?#");
	for (p = *start; p < end; p++)
		if (*p == '@')
			at = p;
	return at;
}

void docker_host_redact(char *out, size_t n, const char *host)
{
	const char *start, *at;

	if (!host) {
		snprintf(out, n, "%s", "");
		return;
	}
	at = userinfo_end(host, &start);
	if (!at)
		snprintf(out, n, "%.200s", host);
	else
		snprintf(out, n, "%.*s***%.200s", (int)(start - host), host, at);
}

/* "HOST:PORT" after tcp://; *loopback says whether HOST is this machine's loopback. */
static int check_tcp(const char *rest, const char *shown, int *loopback)
{
	char hostpart[256];
	const char *colon, *port;
	unsigned char addr[16];
	size_t hlen, i;
	long p;
	char *end;

	*loopback = 0;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (!close || close[1] != ':')
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' is not tcp://[IPV6]:PORT", shown);
		hlen = (size_t)(close - rest - 1);
		if (hlen == 0 || hlen >= sizeof(hostpart))
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' has no usable address", shown);
		memcpy(hostpart, rest + 1, hlen);
		hostpart[hlen] = '\0';
		if (inet_pton(AF_INET6, hostpart, addr) != 1)
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s': '%s' is not an IPv6 address", shown, hostpart);
		*loopback = !strcmp(hostpart, "::1");
		port = close + 2;
	} else {
		colon = strrchr(rest, ':');
		if (!colon || colon == rest)
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' is not tcp://HOST:PORT", shown);
		hlen = (size_t)(colon - rest);
		if (hlen >= sizeof(hostpart))
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' has a host name that is too long", shown);
		memcpy(hostpart, rest, hlen);
		hostpart[hlen] = '\0';
		for (i = 0; i < hlen; i++)
			if (!((hostpart[i] >= 'a' && hostpart[i] <= 'z') || (hostpart[i] >= 'A' && hostpart[i] <= 'Z') ||
			      (hostpart[i] >= '0' && hostpart[i] <= '9') || hostpart[i] == '.' || hostpart[i] == '-'))
				return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' is not tcp://HOST:PORT", shown);
		*loopback = !strcmp(hostpart, "localhost") ||
			    (inet_pton(AF_INET, hostpart, addr) == 1 && addr[0] == 127);
		port = colon + 1;
	}
	p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535 || port[0] == '+' || port[0] == '-')
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' needs a port from 1 to 65535", shown);
	return 0;
}

static void set_tls(struct docker *d, const struct docker_tls *tls)
{
	d->tls = xcalloc(1, sizeof(*d->tls));
	d->tls->ca = xstrdup(tls->ca);
	d->tls->cert = xstrdup(tls->cert);
	d->tls->key = xstrdup(tls->key);
}

int docker_open_tls(struct docker **out, const char *host, const struct docker_tls *tls, struct http_transport *t)
{
	char shown[DOCKER_HOST_MAX + 8];
	struct docker *d;
	int rc, loopback = 0;

	*out = NULL;
	if (!host || !*host)
		host = DOCKER_DEFAULT_HOST;
	if (strlen(host) > DOCKER_HOST_MAX)
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host is too long (at most %d characters)", DOCKER_HOST_MAX);
	docker_host_redact(shown, sizeof(shown), host);
	if (userinfo_end(host, &(const char *){ NULL }))
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' carries user information: dive never sends credentials in a URL "
				"(engines authenticate dive by its client certificate)", shown);
	if (!strncmp(host, "unix://", 7) && host[7] == '/') {
		if (tls)
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "TLS material is for tcp:// engines, not the unix socket '%s'", shown);
	} else if (!strncmp(host, "tcp://", 6) && host[6]) {
		if ((rc = check_tcp(host + 6, shown, &loopback)) < 0)
			return rc;
		if (!tls && !loopback)
			return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "refusing plain HTTP to docker host '%s': only a loopback address may go without "
					"TLS (give a CA, a client certificate and its key)", shown);
		if (tls && (rc = cert_material_check(NULL, &(struct cert_material){ tls->ca, tls->cert, tls->key },
						     time(NULL))) < 0)
			return rc;
	} else {
		return dive_error_setc(DIVE_EUSAGE, ERRC_CONFIG_INVALID, "docker host '%s' is neither unix:///PATH nor tcp://HOST:PORT", shown);
	}

	d = xcalloc(1, sizeof(*d));
	d->transport = t ? t : &http_curl;
	d->stream = &docker_stream_curl;
	d->timeout_ms = DOCKER_TIMEOUT_MS;
	d->host = xstrdup(host);
	snprintf(d->api, sizeof(d->api), "%s", DOCKER_API_MAX);
	if (host[0] == 'u') {
		d->socket_path = xstrdup(host + 7);
		d->base = xstrdup("http://localhost");
	} else {
		d->base = xasprintf("%s://%s", tls ? "https" : "http", host + 6);
		if (tls)
			set_tls(d, tls);
	}
	*out = d;
	return 0;
}

int docker_open(struct docker **out, const char *host, struct http_transport *t)
{
	return docker_open_tls(out, host, NULL, t);
}

int docker_clone(struct docker **out, const struct docker *d)
{
	struct docker_tls tls;
	int rc;

	if (d->tls) {
		tls.ca = d->tls->ca;
		tls.cert = d->tls->cert;
		tls.key = d->tls->key;
	}
	rc = docker_open_tls(out, d->host, d->tls ? &tls : NULL, d->transport);
	if (rc < 0)
		return rc;
	(*out)->stream = d->stream;
	(*out)->timeout_ms = d->timeout_ms;
	snprintf((*out)->api, sizeof((*out)->api), "%s", d->api);
	snprintf((*out)->engine_version, sizeof((*out)->engine_version), "%s", d->engine_version);
	return 0;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	if (d->tls) {
		free((char *)d->tls->ca);
		free((char *)d->tls->cert);
		free((char *)d->tls->key);
		free(d->tls);
	}
	free(d->host);
	free(d->socket_path);
	free(d->base);
	free(d);
}
