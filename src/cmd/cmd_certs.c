/*
 * cmd_certs.c - `dive certs ...`: the deployment's certificate authority for
 * mutual TLS with remote Docker engines (pki.h), under <instances>/pki.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/pki.h"

#define MAX_ARGS_SANS PKI_SANS_MAX
#define ROTATE_NAMES_MAX 64

static int dir_of(struct dive_ctx *ctx, char out[PKI_PATH_MAX])
{
	if (pki_dir(out, PKI_PATH_MAX, ctx->instances_dir) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	return DIVE_EXIT_OK;
}

static void label_of(char *out, size_t n, const struct pki_entry *e)
{
	snprintf(out, n, "%s%s%s", pki_kind_name(e->kind), e->name[0] ? "/" : "", e->name);
}

static cJSON *entry_json(const struct pki_entry *e, time_t now, int warn_days)
{
	cJSON *o = cJSON_CreateObject();
	char t[32];

	cJSON_AddStringToObject(o, "kind", pki_kind_name(e->kind));
	cJSON_AddStringToObject(o, "name", e->name);
	cJSON_AddStringToObject(o, "cert", e->paths.cert);
	cJSON_AddStringToObject(o, "key", e->paths.key);
	if (!e->ok) {
		cJSON_AddStringToObject(o, "status", "unreadable");
		cJSON_AddStringToObject(o, "error", e->error);
		return o;
	}
	cJSON_AddStringToObject(o, "subject", e->info.subject_cn);
	cJSON_AddStringToObject(o, "issuer", e->info.issuer_cn);
	cJSON_AddStringToObject(o, "sans", e->info.sans);
	cJSON_AddStringToObject(o, "serial", e->info.serial);
	cJSON_AddStringToObject(o, "sha256", e->info.sha256);
	cert_format_time(t, e->info.not_before);
	cJSON_AddStringToObject(o, "not_before", t);
	cert_format_time(t, e->info.not_after);
	cJSON_AddStringToObject(o, "not_after", t);
	cJSON_AddNumberToObject(o, "days_left", (double)cert_days_left(&e->info, now));
	cJSON_AddStringToObject(o, "status", cert_validity_name(cert_validity(&e->info, now, warn_days)));
	return o;
}

static void print_issued(struct dive_ctx *ctx, const char *verb, const struct pki_entry *e)
{
	char t[32], label[PKI_NAME_MAX + 16];

	label_of(label, sizeof(label), e);
	cert_format_time(t, e->info.not_after);
	fprintf(ctx->out, "%s%s%s%s%s%s, valid until %s\n", verb, e->kind == PKI_CA ? "" : " ",
		e->kind == PKI_CA ? "" : label, e->info.sans[0] ? " (" : "", e->info.sans, e->info.sans[0] ? ")" : "", t);
	fprintf(ctx->out, "  certificate %s\n  key         %s (mode 0600)\n", e->paths.cert, e->paths.key);
}

static int cmd_certs_init(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	char dir[PKI_PATH_MAX];
	struct pki_entry e;
	int rc, days = (int)dive_opt_int(inv, "days", PKI_CA_DAYS_DEFAULT);

	if ((rc = dir_of(ctx, dir)) != DIVE_EXIT_OK)
		return rc;
	if (ctx->dry_run) {
		fprintf(ctx->out, "would create a certificate authority in %s/ca, valid for %d days\n", dir, days);
		return DIVE_EXIT_OK;
	}
	rc = pki_init(&e, dir, dive_opt_str(inv, "cn", NULL), days, 0);
	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot create the certificate authority");
	if (ctx->json)
		return dive_print_json(ctx, entry_json(&e, time(NULL), 0));
	print_issued(ctx, "created the certificate authority", &e);
	fprintf(ctx->out, "next: dive certs issue client dive; dive certs issue engine NAME --san ADDRESS\n");
	return DIVE_EXIT_OK;
}

/* "a,b,c" in buf into v (at most max - 1 items, NULL-terminated); buf is cut up. */
static int split_list(char *buf, const char **v, size_t max)
{
	char *save = NULL, *tok;
	size_t n = 0;

	v[0] = NULL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n + 1 >= max)
			return dive_error_set(DIVE_EUSAGE, "at most %zu subject alternative names", max - 1);
		v[n++] = tok;
		v[n] = NULL;
	}
	return 0;
}

static int cmd_certs_issue(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct pki_issue_opts o;
	const char *sans[MAX_ARGS_SANS + 2];
	const char *san_opt = dive_opt_str(inv, "san", NULL);
	char dir[PKI_PATH_MAX], buf[4200];
	struct pki_entry e;
	int rc;

	memset(&o, 0, sizeof(o));
	if (pki_kind_parse(&o.kind, inv->argv[0]) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	o.name = inv->argc > 1 ? inv->argv[1] : "dive";
	if (o.kind == PKI_ENGINE && inv->argc < 2)
		return dive_fail(ctx, DIVE_EUSAGE, "an engine certificate needs the engine's name");
	snprintf(buf, sizeof(buf), "%s", san_opt ? san_opt : "");
	if (split_list(buf, sans, sizeof(sans) / sizeof(sans[0])) < 0)
		return dive_fail(ctx, DIVE_EUSAGE, "%s", dive_error_last());
	if (o.kind == PKI_CLIENT && sans[0])
		return dive_fail(ctx, DIVE_EUSAGE, "--san is for engine certificates: a client is known by its name");
	o.sans = sans;
	o.days = (int)dive_opt_int(inv, "days", PKI_LEAF_DAYS_DEFAULT);
	if ((rc = dir_of(ctx, dir)) != DIVE_EXIT_OK)
		return rc;
	if (ctx->dry_run) {
		fprintf(ctx->out, "would issue %s certificate '%s' for %d days\n", pki_kind_name(o.kind), o.name, o.days);
		return DIVE_EXIT_OK;
	}
	rc = pki_issue(&e, dir, &o);
	if (rc < 0)
		return cmd_fail_hint(ctx, rc, "cannot issue the certificate", NULL);
	if (ctx->json)
		return dive_print_json(ctx, entry_json(&e, time(NULL), 0));
	print_issued(ctx, "issued", &e);
	if (o.kind == PKI_ENGINE)
		fprintf(ctx->out, "on the engine's host: dockerd --tlsverify --tlscacert %s --tlscert %s --tlskey %s "
				  "-H tcp://0.0.0.0:2376\n", e.paths.ca, e.paths.cert, e.paths.key);
	else
		fprintf(ctx->out, "register an engine with it: dive engine add NAME --url tcp://HOST:2376 --tls-ca %s "
				  "--tls-cert %s --tls-key %s\n", e.paths.ca, e.paths.cert, e.paths.key);
	return DIVE_EXIT_OK;
}

static int cmd_certs_list(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct pki_entry *v = NULL;
	char dir[PKI_PATH_MAX], t[32], label[PKI_NAME_MAX + 16], warn[256];
	int rc, warn_days = (int)dive_opt_int(inv, "warn-days", CERT_WARN_DAYS_DEFAULT), bad = 0, expiring = 0;
	time_t now = time(NULL);
	size_t n = 0, i;
	cJSON *doc = NULL, *arr = NULL;

	if ((rc = dir_of(ctx, dir)) != DIVE_EXIT_OK)
		return rc;
	if ((rc = pki_list(&v, &n, dir)) < 0)
		return dive_fail_last(ctx, rc, "cannot list certificates");
	if (ctx->json) {
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "dir", dir);
		cJSON_AddNumberToObject(doc, "warn_days", warn_days);
		arr = cJSON_AddArrayToObject(doc, "certificates");
	} else if (n == 0) {
		fprintf(ctx->out, "no certificates in %s: 'dive certs init' creates the certificate authority\n", dir);
	} else {
		fprintf(ctx->out, "%-20s %-26s %-21s %6s  %-13s %s\n", "CERTIFICATE", "SUBJECT", "NOT AFTER", "DAYS",
			"STATUS", "NAMES");
	}
	for (i = 0; i < n; i++) {
		enum cert_validity val = v[i].ok ? cert_validity(&v[i].info, now, warn_days) : CERT_EXPIRED;

		bad |= !v[i].ok || val == CERT_EXPIRED || val == CERT_NOT_YET_VALID;
		label_of(label, sizeof(label), &v[i]);
		if (arr) {
			cJSON_AddItemToArray(arr, entry_json(&v[i], now, warn_days));
			continue;
		}
		if (!v[i].ok) {
			fprintf(ctx->out, "%-20s unreadable: %s\n", label, v[i].error);
			continue;
		}
		cert_format_time(t, v[i].info.not_after);
		fprintf(ctx->out, "%-20s %-26.26s %-21s %6ld  %-13s %s\n", label, v[i].info.subject_cn, t,
			cert_days_left(&v[i].info, now), cert_validity_name(val), v[i].info.sans[0] ? v[i].info.sans : "-");
		if (cert_expiry_warning(warn, sizeof(warn), &v[i].info, label, now, warn_days)) {
			fprintf(ctx->err, "warning: %s\n", warn);
			expiring = 1;
		}
	}
	free(v);
	if (doc) {
		cJSON_AddBoolToObject(doc, "ok", !bad);
		dive_print_json(ctx, doc);
	} else if (bad || expiring) {
		cmd_hint(ctx, bad ? ERRC_TLS_CERT_EXPIRED : ERRC_TLS_CERT_EXPIRING, NULL);
	}
	return bad ? DIVE_EXIT_UNHEALTHY : DIVE_EXIT_OK;
}

static int cmd_certs_rotate(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	const char *names[ROTATE_NAMES_MAX + 1];
	struct pki_rotate_opts o;
	struct pki_entry *done = NULL;
	char dir[PKI_PATH_MAX], t[32], label[PKI_NAME_MAX + 16];
	size_t n = 0, i;
	int rc;

	memset(&o, 0, sizeof(o));
	if (inv->argc > ROTATE_NAMES_MAX)
		return dive_fail(ctx, DIVE_EUSAGE, "at most %d certificates at a time", ROTATE_NAMES_MAX);
	for (i = 0; i < (size_t)inv->argc; i++)
		names[i] = inv->argv[i];
	names[i] = NULL; /* the positional arguments are not NULL-terminated */
	o.names = inv->argc ? names : NULL;
	o.within_days = (int)dive_opt_int(inv, "within", CERT_WARN_DAYS_DEFAULT);
	o.rotate_ca = dive_opt_given(inv, "ca");
	o.dry_run = ctx->dry_run;
	if ((rc = dir_of(ctx, dir)) != DIVE_EXIT_OK)
		return rc;
	rc = pki_rotate(&done, &n, dir, &o);
	if (rc < 0) {
		free(done);
		return cmd_fail_hint(ctx, rc, "cannot rotate certificates", NULL);
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "rotated");

		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(arr, entry_json(&done[i], time(NULL), 0));
		cJSON_AddBoolToObject(doc, "dry_run", ctx->dry_run);
		free(done);
		return dive_print_json(ctx, doc);
	}
	if (n == 0)
		fprintf(ctx->out, "nothing to rotate: no engine or client certificate expires within %d days\n",
			o.within_days);
	for (i = 0; i < n; i++) {
		label_of(label, sizeof(label), &done[i]);
		cert_format_time(t, done[i].info.not_after);
		if (ctx->dry_run)
			fprintf(ctx->out, "would rotate %s (now valid until %s)\n", label, t);
		else
			fprintf(ctx->out, "rotated %s: new key and certificate, valid until %s\n", label, t);
	}
	if (n && !ctx->dry_run)
		fprintf(ctx->out, "engines read their certificates when dockerd starts: copy each engine/<name> "
				  "directory to its host and restart dockerd there\n");
	free(done);
	return DIVE_EXIT_OK;
}

static const struct dive_opt init_opts[] = {
	{ .name = "days", .type = DIVE_OPT_INT, .arg = "DAYS", .help = "validity of the CA (default 3650)", .min = 1, .max = PKI_DAYS_MAX },
	{ .name = "cn", .type = DIVE_OPT_STRING, .arg = "NAME", .help = "the CA's common name (default 'DIVE V3 deployment CA')" },
	DIVE_OPT_END,
};

static const struct dive_opt issue_opts[] = {
	{ .name = "san", .type = DIVE_OPT_STRING, .arg = "LIST", .help = "engine: the addresses dive dials, comma-separated (IP or DNS)" },
	{ .name = "days", .type = DIVE_OPT_INT, .arg = "DAYS", .help = "validity (default 397)", .min = 1, .max = PKI_DAYS_MAX },
	DIVE_OPT_END,
};

static const struct dive_opt list_opts[] = {
	{ .name = "warn-days", .type = DIVE_OPT_INT, .arg = "DAYS", .help = "warn about certificates expiring within DAYS (default 30)", .max = PKI_DAYS_MAX },
	DIVE_OPT_END,
};

static const struct dive_opt rotate_opts[] = {
	{ .name = "within", .type = DIVE_OPT_INT, .arg = "DAYS", .help = "without names: rotate what expires within DAYS (default 30)", .max = PKI_DAYS_MAX },
	{ .name = "ca", .type = DIVE_OPT_BOOL, .help = "a new CA first, then every engine and client certificate" },
	DIVE_OPT_END,
};

const struct dive_verb cmd_certs_verbs[] = {
	{ .name = "init", .fn = cmd_certs_init, .flags = DIVE_DRY_RUN, .opts = init_opts, .summary = "create the deployment's certificate authority (instances/pki/ca)", .issue = 18 },
	{ .name = "issue", .fn = cmd_certs_issue, .min_args = 1, .max_args = 2, .flags = DIVE_DRY_RUN, .opts = issue_opts, .usage = "engine NAME | client [NAME]", .summary = "issue a server certificate for an engine or a client certificate for dive", .issue = 18 },
	{ .name = "list", .fn = cmd_certs_list, .opts = list_opts, .summary = "every certificate with its expiry", .issue = 18 },
	{ .name = "rotate", .fn = cmd_certs_rotate, .max_args = -1, .flags = DIVE_DRY_RUN, .opts = rotate_opts, .usage = "[engine/NAME | client/NAME ...]", .summary = "new keys and certificates for what expires soon (or the named ones, or all with --ca)", .issue = 18 },
	DIVE_VERB_END,
};
