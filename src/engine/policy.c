/* policy.c - the hub's policy through OPAL to the spokes, and checked there (see policy.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dive/engines.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/federation.h"
#include "dive/file.h"
#include "dive/opa.h"
#include "dive/policy.h"
#include "dive/ports.h"
#include "dive/sha256.h"
#include "dive/tar.h"
#include "dive/xalloc.h"

#define ISSUERS_FILE "dive/trusted_issuers/data.json"
#define REVISION_DIR "dive/policy_revision"
#define DROP_DIR "/var/lib/opal/drop"
#define STATUS_DIR "/var/lib/opal/status"
#define FILES_MAX 512
#define DEPTH_MAX 8
#define POLL_MS 200

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int policy_issuers(cJSON **out, const char *const *codes, const char *const *publics, size_t n)
{
	char **v = xcalloc(n + 1, sizeof(*v));
	size_t i, k = 0;
	struct fed_app app;
	int rc;

	*out = NULL;
	if ((rc = federation_app(&app, FED_HUB_CODE)) < 0) {
		free(v);
		return rc;
	}
	v[k++] = xstrdup(app.issuer);
	for (i = 0; i < n; i++) {
		if ((rc = federation_app_at(&app, codes[i], publics ? publics[i] : NULL)) < 0)
			break;
		v[k++] = xstrdup(app.issuer);
	}
	if (rc == 0) {
		qsort(v, k, sizeof(*v), cmp_str);
		*out = cJSON_CreateArray();
		for (i = 0; i < k; i++)
			if (i == 0 || strcmp(v[i], v[i - 1]))
				cJSON_AddItemToArray(*out, cJSON_CreateString(v[i]));
	}
	for (i = 0; i < k; i++)
		free(v[i]);
	free(v);
	return rc;
}

/* --- the tree ----------------------------------------------------------------------- */

struct tree {
	char **rel;          /* relative paths of the regular files, sorted */
	size_t n;
	size_t bytes;
};

static void tree_release(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->rel[i]);
	free(t->rel);
	memset(t, 0, sizeof(*t));
}

static int bad_tree(const char *why, const char *what)
{
	return dive_error_setc(DIVE_EUSAGE, ERRC_POLICY_DISTRIBUTION, "the policy tree: %s '%.200s'", why, what);
}

/* Regular files and directories only; the issuers and the revision are dive's to write. */
static int scan(struct tree *t, const char *root, const char *rel, int depth)
{
	char *dir = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (depth > DEPTH_MAX) {
		free(dir);
		return bad_tree("nested deeper than 8 levels at", rel);
	}
	if (!(d = opendir(dir))) {
		rc = dive_error_setc(errno == ENOENT ? DIVE_ENOTFOUND : DIVE_EUSAGE, ERRC_POLICY_DISTRIBUTION,
				     "cannot read the policy directory '%.200s': %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	while (rc == 0 && (e = readdir(d))) {
		char *r, *path;
		struct stat st;

		if (e->d_name[0] == '.')
			continue; /* ".", "..", and hidden files (an editor's, a VCS's) */
		r = rel[0] ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		path = xasprintf("%s/%s", root, r);
		if (lstat(path, &st) < 0)
			rc = dive_error_setc(DIVE_EUSAGE, ERRC_POLICY_DISTRIBUTION, "cannot stat '%.200s'", path);
		else if (S_ISDIR(st.st_mode)) {
			if (strcmp(r, REVISION_DIR))
				rc = scan(t, root, r, depth + 1);
		} else if (!S_ISREG(st.st_mode)) {
			rc = bad_tree("neither a file nor a directory:", r);
		} else if (strcmp(r, ISSUERS_FILE)) {
			if (t->n == FILES_MAX)
				rc = bad_tree("more than 512 files, at", r);
			else if ((t->bytes += (size_t)st.st_size) > POLICY_TREE_MAX)
				rc = bad_tree("larger than 16 MiB, at", r);
			else {
				t->rel = xrealloc(t->rel, (t->n + 1) * sizeof(*t->rel));
				t->rel[t->n++] = r;
				r = NULL;
			}
		}
		free(r);
		free(path);
	}
	closedir(d);
	free(dir);
	return rc;
}

/* The archive REV/... with the issuers written in; digest over names, contents and issuers. */
static int build(struct tar *tar, char digest[65], const char *root, const struct tree *t, const char *rev,
		 const char *issuers_text)
{
	struct sha256 h;
	unsigned char d[32];
	size_t i;
	int rc;
	char *name;

	sha256_init(&h);
	name = xasprintf("%s", rev);
	rc = tar_add_dir(tar, name, 0755);
	free(name);
	for (i = 0; rc == 0 && i < t->n; i++) {
		char *path = xasprintf("%s/%s", root, t->rel[i]);
		struct dive_buf b;

		rc = dive_file_read(&b, path, POLICY_TREE_MAX, "policy file");
		if (rc == 0) {
			name = xasprintf("%s/%s", rev, t->rel[i]);
			rc = tar_add_file(tar, name, b.ptr ? b.ptr : "", b.len, 0644);
			free(name);
			sha256_update(&h, t->rel[i], strlen(t->rel[i]) + 1);
			sha256_update(&h, b.ptr ? b.ptr : "", b.len);
		}
		dive_buf_release(&b);
		free(path);
	}
	if (rc == 0) {
		name = xasprintf("%s/%s", rev, ISSUERS_FILE);
		rc = tar_add_file(tar, name, issuers_text, strlen(issuers_text), 0644);
		free(name);
		sha256_update(&h, ISSUERS_FILE, sizeof(ISSUERS_FILE));
		sha256_update(&h, issuers_text, strlen(issuers_text));
	}
	if (rc == 0)
		rc = tar_finish(tar);
	sha256_final(&h, d);
	for (i = 0; i < 32; i++)
		snprintf(digest + 2 * i, 3, "%02x", d[i]);
	return rc;
}

/* The same digest without building the archive (to know whether anything changed). */
static int digest_of(char digest[65], const char *root, const struct tree *t, const char *issuers_text)
{
	struct tar tar;
	int rc;

	tar_init(&tar, POLICY_TREE_MAX + (1u << 20));
	rc = build(&tar, digest, root, t, "x", issuers_text);
	tar_release(&tar);
	return rc;
}

/* --- the server's outcome -------------------------------------------------------------- */

static int read_status(struct docker *d, char *out, size_t n, const char *rev)
{
	struct dive_buf b;
	char *path = xasprintf("%s/%s", STATUS_DIR, rev);
	const char *data;
	size_t len;
	int rc = docker_container_get_archive(d, &b, POLICY_SERVER_CONTAINER, path, 1u << 20);

	out[0] = '\0';
	if (rc == 0) {
		rc = tar_find(b.ptr, b.len, rev, &data, &len);
		if (rc == 0)
			snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), data);
	}
	dive_buf_release(&b);
	free(path);
	out[strcspn(out, "\n")] = '\0';
	return rc;
}

static int send_tree(struct docker *d, const struct tar *tree, const char *rev)
{
	struct tar mark;
	char *name;
	int rc = docker_container_put_archive(d, POLICY_SERVER_CONTAINER, DROP_DIR, tree->out.ptr, tree->out.len);

	if (rc < 0)
		return rc;
	/* the marker in a second archive: the publisher never sees half a tree */
	tar_init(&mark, 64 * 1024);
	name = xasprintf("%s.ready", rev);
	rc = tar_add_file(&mark, name, "", 0, 0644);
	free(name);
	if (rc == 0)
		rc = tar_finish(&mark);
	if (rc == 0)
		rc = docker_container_put_archive(d, POLICY_SERVER_CONTAINER, DROP_DIR, mark.out.ptr, mark.out.len);
	tar_release(&mark);
	return rc;
}

static int wait_outcome(const struct policy_opts *o, struct policy_pub *pub)
{
	long long deadline = now_ms() + (o->timeout_ms > 0 ? o->timeout_ms : 60000);
	char status[512];
	int rc;

	for (;;) {
		rc = read_status(o->docker, status, sizeof(status), pub->revision);
		if (rc == 0 && !strncmp(status, "ok ", 3)) {
			pub->ok = 1;
			snprintf(pub->commit, sizeof(pub->commit), "%.64s", status + 3);
			return 0;
		}
		if (rc == 0 && !strncmp(status, "failed", 6)) {
			snprintf(pub->detail, sizeof(pub->detail), "%s", status);
			return dive_error_setc(DIVE_EUSAGE, ERRC_POLICY_DISTRIBUTION,
					       "the hub's OPAL server refused revision '%s': %.300s", pub->revision,
					       status[6] ? status + 7 : "no reason");
		}
		if (rc < 0 && rc != DIVE_ENOTFOUND)
			return rc;
		if (now_ms() >= deadline) {
			snprintf(pub->detail, sizeof(pub->detail), "no outcome in time");
			return dive_error_setc(DIVE_ETIMEOUT, ERRC_POLICY_DISTRIBUTION,
					       "the hub's OPAL server gave no outcome for revision '%s' in %ld ms",
					       pub->revision, o->timeout_ms > 0 ? o->timeout_ms : 60000);
		}
		sleep_ms(POLL_MS);
	}
}

int policy_publish(const struct policy_opts *o, struct policy_result *out, const char *dir, const cJSON *issuers)
{
	struct policy_pub last;
	struct tree t = { 0 };
	struct tar tar;
	char *root = NULL, *issuers_text = NULL, digest[65], stamp[32];
	long long t0 = now_ms();
	time_t now = time(NULL);
	struct tm tm;
	int rc, found = 0;

	memset(out, 0, sizeof(*out));
	memset(&last, 0, sizeof(last));
	tar_init(&tar, POLICY_TREE_MAX + (1u << 20));
	if ((rc = policy_store_last(o->store, &last, &found)) < 0)
		goto out;
	if (dir)
		root = xstrdup(dir);
	else if (found && access(last.source, R_OK | X_OK) == 0)
		root = xstrdup(last.source);
	else
		root = xasprintf("%s/policies", o->source_dir);
	if (strlen(root) > 1000) {
		rc = bad_tree("the directory path is too long:", root);
		goto out;
	}
	issuers_text = cJSON_PrintUnformatted(issuers);
	if ((rc = scan(&t, root, "", 1)) < 0 || (rc = digest_of(digest, root, &t, issuers_text)) < 0)
		goto out;
	if (found && !o->force && !strcmp(digest, last.digest)) {
		out->pub = last;
		memset(&last, 0, sizeof(last));
		out->unchanged = 1;
		goto out;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out->pub.revision, sizeof(out->pub.revision), "%s-%.12s", stamp, digest);
	snprintf(out->pub.source, sizeof(out->pub.source), "%s", root);
	snprintf(out->pub.actor, sizeof(out->pub.actor), "%s", o->actor ? o->actor : "dive");
	out->pub.issuers = cJSON_Duplicate(issuers, 1);
	if ((rc = build(&tar, out->pub.digest, root, &t, out->pub.revision, issuers_text)) < 0)
		goto out;
	rc = send_tree(o->docker, &tar, out->pub.revision);
	if (rc == 0)
		rc = wait_outcome(o, &out->pub);
	if (rc == 0 || out->pub.detail[0]) {
		/* recorded whatever the server said: the failed ones explain a spoke left behind */
		int src = policy_store_add(o->store, &out->pub);

		if (rc == 0)
			rc = src;
	}
out:
	out->ms = now_ms() - t0;
	policy_pub_release(&last);
	tree_release(&t);
	tar_release(&tar);
	cJSON_free(issuers_text);
	free(root);
	return rc;
}

void policy_result_release(struct policy_result *r)
{
	policy_pub_release(&r->pub);
}

/* --- at a spoke --------------------------------------------------------------------- */

static int contains(const cJSON *arr, const char *s)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && !strcmp(e->valuestring, s))
			return 1;
	return 0;
}

/* One decision: clearance reading a SECRET document releasable to the spoke and the hub. */
static int decide(const char *base, const char *issuer, const char *clearance, const char *country, int *allow,
		  char *reasons, size_t n)
{
	cJSON *in = cJSON_CreateObject(), *sub, *res, *rel, *out = NULL;
	const cJSON *r;
	int rc;

	sub = cJSON_AddObjectToObject(in, "subject");
	cJSON_AddStringToObject(sub, "issuer", issuer);
	cJSON_AddStringToObject(sub, "clearance", clearance);
	cJSON_AddStringToObject(sub, "countryOfAffiliation", country);
	cJSON_AddStringToObject(in, "action", "read");
	res = cJSON_AddObjectToObject(in, "resource");
	cJSON_AddStringToObject(res, "classification", "SECRET");
	rel = cJSON_AddArrayToObject(res, "releasabilityTo");
	cJSON_AddItemToArray(rel, cJSON_CreateString(country));
	cJSON_AddItemToArray(rel, cJSON_CreateString(FED_HUB_CODE));
	rc = opa_decide(NULL, &out, base, "dive/authz/decision", in);
	*allow = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out, "allow"));
	reasons[0] = '\0';
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "reasons")) {
		size_t len = strlen(reasons);

		if (cJSON_IsString(r))
			snprintf(reasons + len, n - len, "%s%s", len ? "; " : "", r->valuestring);
	}
	cJSON_Delete(out);
	cJSON_Delete(in);
	return rc;
}

int policy_check_spoke(struct policy_spoke_check *out, const struct dive_country *c, const struct policy_pub *expected,
		       long wait_ms)
{
	return policy_check_spoke_at(out, c, expected, wait_ms, NULL);
}

int policy_check_spoke_at(struct policy_spoke_check *out, const struct dive_country *c,
			  const struct policy_pub *expected, long wait_ms, const char *host)
{
	struct dive_ports p;
	struct fed_app hub;
	char base[320], why_allow[160], why_deny[160];
	cJSON *rev = NULL, *iss = NULL;
	const cJSON *e;
	long long t0 = now_ms(), deadline = t0 + (wait_ms > 0 ? wait_ms : 0);
	int rc, allow = 0, deny = 1, missing = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = ports_for(&p, c)) < 0 || (rc = federation_app(&hub, FED_HUB_CODE)) < 0)
		return rc;
	if (!host)
		host = DIVE_PORTS_BIND;
	engines_http_url(base, sizeof(base), host, p.opal);
	for (;;) {
		cJSON_Delete(rev);
		rev = NULL;
		rc = opa_data_get(NULL, &rev, base, "dive/policy_revision");
		if (rc < 0)
			goto out;
		snprintf(out->revision, sizeof(out->revision), "%s",
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rev, "revision")) ?
				 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rev, "revision")) : "");
		out->revision_ok = expected && !strcmp(out->revision, expected->revision);
		if (out->revision_ok || now_ms() >= deadline)
			break;
		sleep_ms(POLL_MS);
	}
	if ((rc = opa_data_get(NULL, &iss, base, "dive/trusted_issuers")) < 0)
		goto out;
	out->issuers_ok = cJSON_IsArray(iss) && expected && expected->issuers != NULL;
	if (expected)
		cJSON_ArrayForEach(e, expected->issuers)
			if (cJSON_IsString(e) && !contains(iss, e->valuestring))
				missing++;
	if (missing || (expected && cJSON_GetArraySize(iss) != cJSON_GetArraySize(expected->issuers)))
		out->issuers_ok = 0;
	snprintf(out->issuers_detail, sizeof(out->issuers_detail), "%d trusted issuers held, %d of the expected missing",
		 cJSON_GetArraySize(iss), missing);
	if ((rc = decide(base, hub.issuer, "SECRET", c->code, &allow, why_allow, sizeof(why_allow))) < 0 ||
	    (rc = decide(base, hub.issuer, "UNCLASSIFIED", c->code, &deny, why_deny, sizeof(why_deny))) < 0)
		goto out;
	out->decision_ok = allow && !deny;
	{
		char a[170], b[170];

		snprintf(a, sizeof(a), why_allow[0] ? "%s (%s)" : "%s%s", allow ? "allowed" : "denied", why_allow);
		snprintf(b, sizeof(b), why_deny[0] ? "%s (%s)" : "%s%s", deny ? "allowed" : "denied", why_deny);
		snprintf(out->decision_detail, sizeof(out->decision_detail),
			 "a SECRET user of %s reading a SECRET document releasable to %s: %s; an UNCLASSIFIED one: %s",
			 c->code, c->code, a, b);
	}
out:
	out->ms = now_ms() - t0;
	cJSON_Delete(rev);
	cJSON_Delete(iss);
	return rc;
}
