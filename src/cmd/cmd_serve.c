/*
 * cmd_serve.c - `dive serve` (serve.h) and `dive metrics` (metrics.h).
 *
 * serve checks its flags and the token file before anything listens (bad
 * input: one line, exit 2), then runs until SIGTERM or SIGINT (exit 0).
 * metrics prints the exposition, or writes it for node_exporter's textfile
 * collector: DIR/dive.prom through a temporary file and rename(), so the
 * collector never reads half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dive/settings.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/metrics.h"
#include "dive/serve.h"
#include "dive/store.h"

#define INTERVAL_MAX_S (366L * 24 * 3600)

/* "30s", "10m", "24h", "1d", "1w"; "0" or "off": none. */
static int parse_interval(long *out, const char *name, const char *s)
{
	static const struct {
		char unit;
		long mult;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 } };
	char *end;
	long v;
	size_t i;

	if (!strcmp(s, "0") || !strcmp(s, "off")) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (!errno && end != s && v > 0 && end[0] && !end[1])
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (units[i].unit == end[0] && v <= INTERVAL_MAX_S / units[i].mult) {
				*out = v * units[i].mult;
				return 0;
			}
	return dive_error_set(DIVE_EUSAGE, "option '--%s' takes a duration such as 30s, 10m, 24h, 1d or 1w (or off), "
					   "not '%.32s'", name, s);
}

static void note(void *arg, const char *line)
{
	struct dive_ctx *ctx = arg;
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	if (ctx->quiet)
		return;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(ctx->err, "%s dive serve: %s\n", ts, line);
	fflush(ctx->err);
}

static int cmd_serve(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *token_file = dive_opt_str(inv, "token-file", NULL);
	struct dive_secret token = DIVE_SECRET_INIT;
	struct serve_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	if (serve_listen_parse(&o.listen, dive_opt_str(inv, "listen", SERVE_DEFAULT_LISTEN)) < 0 ||
	    parse_interval(&o.audit_interval_s, "audit-interval", dive_opt_str(inv, "audit-interval", "1d")) < 0 ||
	    parse_interval(&o.prune_interval_s, "prune-interval", dive_opt_str(inv, "prune-interval", "off")) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	if (token_file && (rc = serve_token_load(&token, token_file)) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	if (!o.listen.loopback && !token_file)
		return dive_fail(ctx, DIVE_EUSAGE, "refusing to listen on %s beyond loopback without --token-file "
				 "(a file of mode 0600 holding the token)", o.listen.text);
	o.token = token_file ? &token : NULL;
	o.store = ctx->store;
	o.state_url = ctx->store->url;
	o.docker_host = ctx->docker_host;
	o.instances_dir = ctx->instances_dir;
	o.secrets_spec = settings_getenv("DIVE_SECRETS");
	o.note = note;
	o.note_arg = ctx;
	rc = serve_run(&o);
	dive_secret_release(&token);
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot serve");
	return DIVE_EXIT_OK;
}

/* DIR/dive.prom, written whole or not at all. */
static int write_textfile(struct dive_ctx *ctx, const char *dir, const struct dive_buf *b)
{
	char tmp[4096], dst[4096];
	struct stat st;
	FILE *f;
	int fd;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return dive_fail(ctx, DIVE_EUSAGE, "'%.200s' is not a directory", dir);
	if ((size_t)snprintf(dst, sizeof(dst), "%s/dive.prom", dir) >= sizeof(dst) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.dive.prom.%ld.tmp", dir, (long)getpid()) >= sizeof(tmp))
		return dive_fail(ctx, DIVE_EUSAGE, "the directory name is too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return dive_fail(ctx, DIVE_EFAIL, "cannot create '%.200s': %s", tmp, strerror(errno));
	f = fdopen(fd, "w");
	if (!f || fwrite(b->ptr, 1, b->len, f) != b->len || fflush(f) != 0 || fsync(fd) != 0) {
		if (f)
			fclose(f);
		else
			close(fd);
		unlink(tmp);
		return dive_fail(ctx, DIVE_EFAIL, "cannot write '%.200s'", tmp);
	}
	fclose(f);
	if (rename(tmp, dst) < 0) {
		unlink(tmp);
		return dive_fail(ctx, DIVE_EFAIL, "cannot rename '%.200s' to '%.200s': %s", tmp, dst, strerror(errno));
	}
	return DIVE_EXIT_OK;
}

static int cmd_metrics(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct metrics_opts mo = { ctx->store->url, ctx->docker_host, 0, 0, 0 };
	const char *dir = dive_opt_str(inv, "textfile", NULL);
	struct metrics *m = NULL;
	struct dive_buf b;
	int rc;

	if ((rc = metrics_open(&m, &mo)) < 0)
		return dive_fail_last(ctx, rc, "cannot collect metrics");
	dive_buf_init(&b, METRICS_OUTPUT_MAX);
	rc = metrics_collect(m, &b);
	metrics_close(m);
	if (rc < 0) {
		dive_buf_release(&b);
		return dive_fail_last(ctx, rc, "cannot collect metrics");
	}
	if (dir)
		rc = write_textfile(ctx, dir, &b);
	else
		rc = fwrite(b.ptr, 1, b.len, ctx->out) == b.len ? DIVE_EXIT_OK : DIVE_EXIT_FAILURE;
	dive_buf_release(&b);
	return rc;
}

static const struct dive_opt serve_opts[] = {
	{ .name = "listen", .type = DIVE_OPT_STRING, .arg = "HOST:PORT", .help = "where to listen (default " SERVE_DEFAULT_LISTEN "); beyond loopback only with --token-file" },
	{ .name = "token-file", .type = DIVE_OPT_STRING, .arg = "FILE", .help = "the operator token (mode 0600): sign-in for the page's actions; bearer for reads beyond loopback" },
	{ .name = "audit-interval", .type = DIVE_OPT_STRING, .arg = "DURATION", .help = "run the federation audit (detect-only) and record it this often (default 1d; off: never)" },
	{ .name = "prune-interval", .type = DIVE_OPT_STRING, .arg = "DURATION", .help = "run reconcile --prune under the usual locks this often (default off; e.g. 1w)" },
	DIVE_OPT_END,
};

static const struct dive_opt metrics_opts[] = {
	{ .name = "textfile", .type = DIVE_OPT_STRING, .arg = "DIR", .help = "write DIR/dive.prom atomically for node_exporter's textfile collector instead of printing" },
	DIVE_OPT_END,
};

const struct dive_verb cmd_serve_verb = {
	.name = "serve", .fn = cmd_serve, .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER, .opts = serve_opts, .issue = 14,
	.summary = "HTTP server: /metrics, /healthz, the reconciliation page at / (read-only without a session), "
		   "scheduled audits",
};

const struct dive_verb cmd_metrics_verb = {
	.name = "metrics", .fn = cmd_metrics, .flags = DIVE_NEEDS_STATE | DIVE_NEEDS_DOCKER, .opts = metrics_opts,
	.issue = 14, .summary = "print the Prometheus metrics once, or write them for node_exporter (--textfile)",
};
