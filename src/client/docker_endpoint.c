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
#include "dive/text.h"
#include "dive/xalloc.h"
#include "docker_priv.h"

#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
#define DOCKER_TIMEOUT_MS 60000
#define DOCKER_HOST_MAX 1024

#define DOCKER_SOCKET_MAX 107   /* sun_path holds 108 bytes with the NUL */

/* The address for a message: cut, unprintable bytes as '?', userinfo as "***". */
static int bad_host(const char *host, const char *why)
{
	char shown[120], hidden[DOCKER_HOST_MAX + 8];
	const char *at = strrchr(host, '@'), *rest = strstr(host, "://");
	int rc;

	if (at && rest && at > rest) {
		snprintf(hidden, sizeof(hidden), "%.*s***%s", (int)(rest + 3 - host), host, at);
		host = hidden;
	} else if (at) {
		host = "***";
	}
	text_shown(shown, sizeof(shown), host);
	rc = dive_error_set(DIVE_EUSAGE, "docker host '%s' %s", shown, why);
	dive_error_set_code(ERRC_CONFIG_INVALID);
	return rc;
}

static int host_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

static int ipv6_ok(const char *s, size_t n)
{
	size_t i, colons = 0;

	if (n < 2 || n > 45)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		colons += c == ':';
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return 0;
	}
	return colons >= 2;
}

/* tcp://HOST[:PORT][/]: the offsets of the host and whether a port was given. */
static int parse_tcp(const char *host, const char **h, size_t *hn, int *has_port)
{
	const char *p = host + 6, *end = p + strlen(p), *colon;
	long port;
	char *pe;

	if (end > p && end[-1] == '/')
		end--;
	if (memchr(p, '@', (size_t)(end - p)))
		return bad_host(host, "carries a user or password: give the engine's address only (tcp://HOST:PORT)");
	if (memchr(p, '/', (size_t)(end - p)) || memchr(p, '?', (size_t)(end - p)) || memchr(p, '#', (size_t)(end - p)))
		return bad_host(host, "has a path or a query: tcp:// takes HOST:PORT only");
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close || !ipv6_ok(p + 1, (size_t)(close - p - 1)))
			return bad_host(host, "has no valid [IPv6] address (tcp://[::1]:2375)");
		*h = p;
		*hn = (size_t)(close + 1 - p);
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			return bad_host(host, "has something after the ']' that is not ':PORT'");
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		*h = p;
		*hn = colon ? (size_t)(colon - p) : (size_t)(end - p);
		if (!host_name_ok(p, *hn))
			return bad_host(host, "has no valid host name or address (tcp://HOST:PORT)");
	}
	*has_port = colon != NULL;
	if (!colon)
		return bad_host(host, "needs a port (tcp://HOST:PORT; 2376 is the engine's TLS port)");
	if (colon) {
		port = strtol(colon + 1, &pe, 10);
		if (colon + 1 == end || pe != end || colon[1] < '0' || colon[1] > '9' || port < 1 || port > 65535)
			return bad_host(host, "has no port from 1 to 65535 after ':'");
	}
	return 0;
}

int docker_host_check(const char *host)
{
	const char *h;
	size_t hn;
	int has_port;

	if (!host || !*host)
		return 0; /* the default */
	if (strlen(host) > DOCKER_HOST_MAX)
		return bad_host("(too long)", "is longer than 1024 bytes");
	if (!text_is_clean(host, NULL))
		return bad_host(host, "has a control character or a byte that is not UTF-8");
	if (!strncmp(host, "unix://", 7)) {
		if (host[7] != '/')
			return bad_host(host, "needs an absolute socket path (unix:///var/run/docker.sock)");
		if (strlen(host + 7) > DOCKER_SOCKET_MAX)
			return bad_host(host, "names a socket path longer than 107 bytes");
		return 0;
	}
	if (!strncmp(host, "tcp://", 6))
		return parse_tcp(host, &h, &hn, &has_port);
	return bad_host(host, "is neither unix:///PATH nor tcp://HOST:PORT");
}

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
	char shown[DOCKER_HOST_MAX + 8], normal[DOCKER_HOST_MAX + 16];
	struct docker *d;
	int rc, loopback = 0;

	*out = NULL;
	if (!host || !*host)
		host = DOCKER_DEFAULT_HOST;
	/* the address as an operator writes it (docker_host_check), then what this machine allows */
	if ((rc = docker_host_check(host)) < 0)
		return rc;
	if (!strncmp(host, "tcp://", 6)) {
		const char *h;
		size_t hn;
		int has_port = 1;

		if ((rc = parse_tcp(host, &h, &hn, &has_port)) < 0)
			return rc;
		if (host[strlen(host) - 1] == '/') {
			/* "tcp://HOST:PORT/" as Docker's own clients accept it */
			snprintf(normal, sizeof(normal), "%.*s", (int)strlen(host) - 1, host);
			host = normal;
		}
	}
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
	(*out)->guard = d->guard;
	(*out)->timeout_ms = d->timeout_ms;
	snprintf((*out)->api, sizeof((*out)->api), "%s", d->api);
	snprintf((*out)->engine_version, sizeof((*out)->engine_version), "%s", d->engine_version);
	return 0;
}

void docker_set_guard(struct docker *d, const struct docker_guard *g)
{
	if (g)
		d->guard = *g;
	else
		memset(&d->guard, 0, sizeof(d->guard));
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
