/* fedstore.c - the MongoDB federation store (see fedstore.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/fedstore.h"
#include "dive/log.h"
#include "dive/xalloc.h"

#define URL_MAX 1024
#define NAME_MAX_ 128
#define NOTE_MAX 256
#define SCOPE_MAX 128
#define FIELD_MAX 4096     /* any string read back from the store */
#define CHANGE_ATTEMPTS 3

struct fedstore {
	struct mongo *m;
	char *db;
	char owner[17];   /* random, per handle: marks the changes this handle recorded */
	mongoc_collection_t *spokes;
	mongoc_collection_t *history;
	int indexed;
};

/* The lifecycle, as data. */

static const char *const status_names[FED_STATUS__COUNT] = {
	[FED_PENDING] = "pending",
	[FED_APPROVED] = "approved",
	[FED_SUSPENDED] = "suspended",
	[FED_REVOKED] = "revoked",
};

/* allowed[from][to] */
static const unsigned char allowed[FED_STATUS__COUNT][FED_STATUS__COUNT] = {
	[FED_PENDING] = { [FED_APPROVED] = 1, [FED_REVOKED] = 1 },
	[FED_APPROVED] = { [FED_SUSPENDED] = 1, [FED_REVOKED] = 1 },
	[FED_SUSPENDED] = { [FED_APPROVED] = 1, [FED_REVOKED] = 1 },
	[FED_REVOKED] = { 0 },
};

const char *fed_status_name(enum fed_status s)
{
	return (unsigned)s < FED_STATUS__COUNT ? status_names[s] : "unknown";
}

int fed_status_parse(enum fed_status *out, const char *s)
{
	int i;

	for (i = 0; s && i < FED_STATUS__COUNT; i++) {
		if (!strcmp(status_names[i], s)) {
			*out = (enum fed_status)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "'%.32s' is not a registration status (pending, approved, suspended, revoked)",
			      s ? s : "");
}

int fed_status_allowed(enum fed_status from, enum fed_status to)
{
	return (unsigned)from < FED_STATUS__COUNT && (unsigned)to < FED_STATUS__COUNT && allowed[from][to];
}

/* Input checks: bad input changes nothing. */

static int check_code(char out[4], const char *code)
{
	int i;

	if (!code || strlen(code) != 3)
		return dive_error_set(DIVE_EUSAGE, "a spoke code is three letters");
	for (i = 0; i < 3; i++) {
		if (!isalpha((unsigned char)code[i]))
			return dive_error_set(DIVE_EUSAGE, "a spoke code is three letters");
		out[i] = (char)toupper((unsigned char)code[i]);
	}
	out[3] = '\0';
	return 0;
}

static int check_text(const char *what, const char *s, size_t max, int required)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n) {
		if (required)
			return dive_error_set(DIVE_EUSAGE, "the registration has no %s", what);
		return 0;
	}
	if (n > max)
		return dive_error_set(DIVE_EUSAGE, "the registration's %s is longer than %zu bytes", what, max);
	for (i = 0; i < n; i++) {
		if (!isprint((unsigned char)s[i]))
			return dive_error_set(DIVE_EUSAGE, "the registration's %s has a non-printable byte", what);
	}
	return 0;
}

static int check_url(const char *what, const char *s, int required)
{
	size_t i;
	int rc;

	if ((rc = check_text(what, s, URL_MAX, required)) < 0 || !s || !s[0])
		return rc;
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return dive_error_set(DIVE_EUSAGE, "the registration's %s must start with http:// or https://", what);
	for (i = 0; s[i]; i++) {
		if (s[i] == ' ' || s[i] == '*')
			return dive_error_set(DIVE_EUSAGE, "the registration's %s holds a space or a wildcard", what);
	}
	return 0;
}

static int check_scope(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n || n > SCOPE_MAX)
		return dive_error_set(DIVE_EUSAGE, "a policy scope is 1 to %d bytes", SCOPE_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != ':' && c != '.' && c != '_' && c != '-')
			return dive_error_set(DIVE_EUSAGE, "policy scope '%.64s' may hold only letters, digits and ':._-'",
					      s);
	}
	return 0;
}

int fed_registration_check(const struct fed_registration *reg)
{
	char code[4];
	size_t i;
	int rc;

	if ((rc = check_code(code, reg->code)) < 0 || (rc = check_text("name", reg->name, NAME_MAX_, 1)) < 0 ||
	    (rc = check_url("base URL", reg->base_url, 1)) < 0 || (rc = check_url("API URL", reg->api_url, 1)) < 0 ||
	    (rc = check_url("IdP URL", reg->idp_url, 1)) < 0 ||
	    (rc = check_url("public IdP URL", reg->idp_public_url, 0)) < 0)
		return rc;
	for (i = 0; reg->scopes && reg->scopes[i]; i++) {
		if (i == FEDSTORE_SCOPES_MAX)
			return dive_error_set(DIVE_EUSAGE, "more than %d policy scopes", FEDSTORE_SCOPES_MAX);
		if ((rc = check_scope(reg->scopes[i])) < 0)
			return rc;
	}
	return 0;
}

/* Errors. */

static int store_error(const bson_error_t *e, const char *what)
{
	int rc = mongo_error(e, what);

	if (rc == DIVE_EUNAVAIL)
		dive_error_set_code(ERRC_MONGODB_UNREACHABLE);
	return rc;
}

static int invalid(const char *code, const char *why)
{
	int rc = dive_error_set(DIVE_EFAIL, "federation store: the registration of '%s' is malformed: %s", code, why);

	dive_error_set_code(ERRC_FEDERATION_STORE_INVALID);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* n-1 random hex digits (getrandom, or the clock and pid if that fails). */
static void random_hex(char *out, size_t n)
{
	unsigned char r[16];
	size_t i;

	if (n > 2 * sizeof(r) + 1)
		n = 2 * sizeof(r) + 1;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t x = (uint64_t)now_ms() * 6364136223846793005u + (uint64_t)getpid();

		for (i = 0; i < sizeof(r); i++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			r[i] = (unsigned char)(x >> 56);
		}
	}
	for (i = 0; i + 1 < n; i++)
		out[i] = "0123456789abcdef"[(r[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[i] = '\0';
}

static void new_spoke_id(char out[24], const char *code)
{
	char hex[9];

	random_hex(hex, sizeof(hex));
	snprintf(out, 24, "spoke-%c%c%c-%s", tolower((unsigned char)code[0]), tolower((unsigned char)code[1]),
		 tolower((unsigned char)code[2]), hex);
}

/* Documents -> structs, strictly: a malformed document is an error. */

void fed_spoke_release(struct fed_spoke *s)
{
	size_t i;

	if (!s)
		return;
	free(s->name);
	free(s->base_url);
	free(s->api_url);
	free(s->idp_url);
	free(s->idp_public_url);
	free(s->approved_by);
	free(s->suspended_reason);
	free(s->revoked_reason);
	for (i = 0; i < s->n_scopes; i++)
		free(s->scopes[i]);
	free(s->scopes);
	memset(s, 0, sizeof(*s));
}

void fed_spoke_list_release(struct fed_spoke_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		fed_spoke_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int take_str(char **out, bson_iter_t *it, const char *code, const char *field)
{
	uint32_t len;
	const char *s;
	char why[96];

	if (BSON_ITER_HOLDS_NULL(it))
		return 0;
	if (!BSON_ITER_HOLDS_UTF8(it)) {
		snprintf(why, sizeof(why), "%s is not a string", field);
		return invalid(code, why);
	}
	s = bson_iter_utf8(it, &len);
	if (len > FIELD_MAX || strlen(s) != len) {
		snprintf(why, sizeof(why), "%s is too long or holds a NUL", field);
		return invalid(code, why);
	}
	free(*out);
	*out = xstrndup(s, len);
	return 0;
}

static int take_date(int64_t *out, bson_iter_t *it)
{
	if (BSON_ITER_HOLDS_DATE_TIME(it))
		*out = bson_iter_date_time(it);
	else if (BSON_ITER_HOLDS_INT(it))
		*out = bson_iter_as_int64(it);
	return 0;
}

/* The instanceCode of doc, for messages, or "?". */
static void doc_code(char out[8], const bson_t *doc)
{
	bson_iter_t it;
	uint32_t len;

	snprintf(out, 8, "?");
	if (bson_iter_init_find(&it, doc, "instanceCode") && BSON_ITER_HOLDS_UTF8(&it)) {
		const char *s = bson_iter_utf8(&it, &len);

		if (len == 3)
			snprintf(out, 8, "%s", s);
	}
}

static int take_scopes(struct fed_spoke *s, bson_iter_t *it, const char *code)
{
	bson_iter_t sub;

	if (BSON_ITER_HOLDS_NULL(it))
		return 0;
	if (!BSON_ITER_HOLDS_ARRAY(it) || !bson_iter_recurse(it, &sub))
		return invalid(code, "allowedPolicyScopes is not a list");
	while (bson_iter_next(&sub)) {
		char *v = NULL;
		int rc;

		if (s->n_scopes == FEDSTORE_SCOPES_MAX)
			return invalid(code, "allowedPolicyScopes is too long");
		if ((rc = take_str(&v, &sub, code, "a policy scope")) < 0)
			return rc;
		if (!v)
			continue;
		s->scopes = xrealloc(s->scopes, (s->n_scopes + 1) * sizeof(*s->scopes));
		s->scopes[s->n_scopes++] = v;
	}
	return 0;
}

/* has_rev: whether the document had a rev field (documents of the predecessor have none). */
static int parse_doc(struct fed_spoke *out, int *has_rev, const bson_t *doc)
{
	struct fed_spoke s;
	bson_iter_t it;
	char code[8], *status = NULL, *spoke_id = NULL, *icode = NULL;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	if (has_rev)
		*has_rev = 0;
	doc_code(code, doc);
	if (!bson_iter_init(&it, doc))
		return invalid(code, "not a document");
	while (rc == 0 && bson_iter_next(&it)) {
		const char *k = bson_iter_key(&it);

		if (!strcmp(k, "spokeId"))
			rc = take_str(&spoke_id, &it, code, k);
		else if (!strcmp(k, "instanceCode"))
			rc = take_str(&icode, &it, code, k);
		else if (!strcmp(k, "status"))
			rc = take_str(&status, &it, code, k);
		else if (!strcmp(k, "name"))
			rc = take_str(&s.name, &it, code, k);
		else if (!strcmp(k, "baseUrl"))
			rc = take_str(&s.base_url, &it, code, k);
		else if (!strcmp(k, "apiUrl"))
			rc = take_str(&s.api_url, &it, code, k);
		else if (!strcmp(k, "idpUrl"))
			rc = take_str(&s.idp_url, &it, code, k);
		else if (!strcmp(k, "idpPublicUrl"))
			rc = take_str(&s.idp_public_url, &it, code, k);
		else if (!strcmp(k, "approvedBy"))
			rc = take_str(&s.approved_by, &it, code, k);
		else if (!strcmp(k, "suspendedReason"))
			rc = take_str(&s.suspended_reason, &it, code, k);
		else if (!strcmp(k, "revokedReason"))
			rc = take_str(&s.revoked_reason, &it, code, k);
		else if (!strcmp(k, "allowedPolicyScopes"))
			rc = take_scopes(&s, &it, code);
		else if (!strcmp(k, "createdAt"))
			rc = take_date(&s.created_at, &it);
		else if (!strcmp(k, "updatedAt"))
			rc = take_date(&s.updated_at, &it);
		else if (!strcmp(k, "approvedAt"))
			rc = take_date(&s.approved_at, &it);
		else if (!strcmp(k, "rev") && BSON_ITER_HOLDS_NUMBER(&it)) {
			s.rev = bson_iter_as_int64(&it);
			if (has_rev)
				*has_rev = 1;
		}
	}
	if (rc == 0 && (!icode || check_code(s.code, icode) < 0 || strcmp(s.code, icode)))
		rc = invalid(code, "instanceCode is not three upper-case letters");
	if (rc == 0 && (!spoke_id || strlen(spoke_id) >= sizeof(s.spoke_id)))
		rc = invalid(code, "spokeId is missing or too long");
	if (rc == 0 && (!status || fed_status_parse(&s.status, status) < 0))
		rc = invalid(code, "status is not pending, approved, suspended or revoked");
	if (rc == 0 && s.rev < 0)
		rc = invalid(code, "rev is negative");
	if (rc == 0)
		snprintf(s.spoke_id, sizeof(s.spoke_id), "%s", spoke_id);
	free(status);
	free(spoke_id);
	free(icode);
	if (rc < 0) {
		fed_spoke_release(&s);
		return rc;
	}
	*out = s;
	return 0;
}

/* The store. */

int fedstore_open(struct fedstore **out, struct mongo *m, const char *db)
{
	struct fedstore *fs;
	size_t i, n;

	*out = NULL;
	if (!db)
		db = FEDSTORE_DEFAULT_DB;
	n = strlen(db);
	if (!n || n > 63)
		return dive_error_set(DIVE_EUSAGE, "federation store database name must be 1 to 63 bytes");
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)db[i]) && db[i] != '-' && db[i] != '_')
			return dive_error_set(DIVE_EUSAGE, "federation store database name '%.63s' may hold only letters, "
					      "digits, '-' and '_'", db);
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->m = m;
	fs->db = xstrdup(db);
	random_hex(fs->owner, sizeof(fs->owner));
	fs->spokes = mongoc_client_get_collection(m->client, db, FEDSTORE_COLLECTION);
	fs->history = mongoc_client_get_collection(m->client, db, FEDSTORE_HISTORY);
	*out = fs;
	return 0;
}

void fedstore_close(struct fedstore *fs)
{
	if (!fs)
		return;
	mongoc_collection_destroy(fs->spokes);
	mongoc_collection_destroy(fs->history);
	free(fs->db);
	free(fs);
}

/*
 * One createIndexes command per index: FerretDB 1.24 panics (and drops the
 * connection) on a createIndexes naming two or more indexes that already
 * exist (validateIndexesForCreation deletes from a shrinking slice by the
 * original position).  One index at a time is idempotent there.
 */
static const struct {
	const char *field, *name;
	int unique;
} indexes[] = {
	{ "instanceCode", "instanceCode_unique", 1 },
	{ "spokeId", "spokeId_unique", 1 },
	{ "status", "status", 0 },
};

int fedstore_ensure_indexes(struct fedstore *fs)
{
	bson_error_t err;
	size_t i;

	for (i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
		bson_t *cmd;
		bool ok;

		cmd = BCON_NEW("createIndexes", BCON_UTF8(FEDSTORE_COLLECTION), "indexes", "[",
			       "{", "key", "{", indexes[i].field, BCON_INT32(1), "}", "name", BCON_UTF8(indexes[i].name),
			       "unique", BCON_BOOL(indexes[i].unique), "}", "]");
		ok = mongoc_collection_write_command_with_opts(fs->spokes, cmd, NULL, NULL, &err);
		bson_destroy(cmd);
		if (!ok) {
			int rc = store_error(&err, "cannot create the indexes of federation_spokes");

			if (!dive_error_last_code())
				dive_error_set_code(ERRC_FEDERATION_REGISTER);
			return rc;
		}
	}
	fs->indexed = 1;
	return 0;
}

static int find_doc(struct fedstore *fs, bson_t **out, const char *code)
{
	bson_t *filter = BCON_NEW("instanceCode", BCON_UTF8(code));
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(fs->spokes, filter, NULL, NULL);
	const bson_t *doc;
	bson_error_t err;
	int rc = 0;

	*out = NULL;
	if (mongoc_cursor_next(cur, &doc))
		*out = bson_copy(doc);
	if (mongoc_cursor_error(cur, &err)) {
		rc = store_error(&err, "cannot read the federation store");
		bson_destroy(*out);
		*out = NULL;
	} else if (!*out) {
		rc = dive_error_set(DIVE_ENOTFOUND, "spoke '%s' is not registered", code);
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	return rc;
}

static int get_spoke(struct fedstore *fs, struct fed_spoke *out, int *has_rev, const char *code)
{
	bson_t *doc = NULL;
	int rc = find_doc(fs, &doc, code);

	if (rc == 0)
		rc = parse_doc(out, has_rev, doc);
	bson_destroy(doc);
	return rc;
}

int fedstore_get(struct fedstore *fs, struct fed_spoke *out, const char *code)
{
	char c[4];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_code(c, code)) < 0)
		return rc;
	return get_spoke(fs, out, NULL, c);
}

int fedstore_list(struct fedstore *fs, struct fed_spoke_list *out)
{
	bson_t *filter = bson_new();
	bson_t *opts = BCON_NEW("sort", "{", "instanceCode", BCON_INT32(1), "}", "limit",
				BCON_INT64(FEDSTORE_LIST_MAX + 1));
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(fs->spokes, filter, opts, NULL);
	struct fed_spoke_list l = { NULL, 0 };
	const bson_t *doc;
	bson_error_t err;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
		if (l.n == FEDSTORE_LIST_MAX) {
			rc = dive_error_set(DIVE_ETOOBIG, "the federation store holds more than %d registrations",
					    FEDSTORE_LIST_MAX);
			break;
		}
		l.v = xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
		rc = parse_doc(&l.v[l.n], NULL, doc);
		if (rc == 0)
			l.n++;
	}
	if (rc == 0 && mongoc_cursor_error(cur, &err))
		rc = store_error(&err, "cannot read the federation store");
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	bson_destroy(opts);
	if (rc < 0) {
		fed_spoke_list_release(&l);
		return rc;
	}
	*out = l;
	return 0;
}

/*
 * Status changes (see "Atomicity" in fedstore.h).  A change is the set of
 * fields to $set and the list to $unset on the document whose spokeId and
 * rev are those of cur; it is recorded first as the history document
 * "<spokeId>:<rev+1>", whose unique _id makes one writer win.
 */

#define CHANGE_ROLLED 1   /* another writer's stale change was applied: read again */

static void unset_doc(bson_t *out, const bson_t *unset_arr)
{
	bson_iter_t it;

	bson_init(out);
	if (unset_arr && bson_iter_init(&it, unset_arr)) {
		while (bson_iter_next(&it)) {
			if (BSON_ITER_HOLDS_UTF8(&it))
				BSON_APPEND_UTF8(out, bson_iter_utf8(&it, NULL), "");
		}
	}
}

/* Write set/unset on the document of (code, spoke_id, rev); *matched says whether it was there. */
static int write_change(struct fedstore *fs, int *matched, const char *code, const char *spoke_id, int64_t rev,
			int has_rev, const bson_t *set, const bson_t *unset_arr)
{
	bson_t filter, update, unset, child;
	bson_t reply;
	bson_error_t err;
	bson_iter_t it;
	bool ok;

	bson_init(&filter);
	BSON_APPEND_UTF8(&filter, "instanceCode", code);
	BSON_APPEND_UTF8(&filter, "spokeId", spoke_id);
	if (has_rev) {
		BSON_APPEND_INT64(&filter, "rev", rev);
	} else {
		BSON_APPEND_DOCUMENT_BEGIN(&filter, "rev", &child);
		BSON_APPEND_BOOL(&child, "$exists", false);
		bson_append_document_end(&filter, &child);
	}
	bson_init(&update);
	BSON_APPEND_DOCUMENT(&update, "$set", set);
	unset_doc(&unset, unset_arr);
	if (!bson_empty(&unset))
		BSON_APPEND_DOCUMENT(&update, "$unset", &unset);
	ok = mongoc_collection_update_one(fs->spokes, &filter, &update, NULL, &reply, &err);
	*matched = ok && bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) > 0;
	bson_destroy(&reply);
	bson_destroy(&filter);
	bson_destroy(&update);
	bson_destroy(&unset);
	if (!ok)
		return store_error(&err, "cannot update the federation store");
	return 0;
}

/* Apply a recorded change that its writer did not finish (older than the grace). */
static int roll_forward(struct fedstore *fs, const struct fed_spoke *cur, int has_rev, const bson_t *claim)
{
	bson_iter_t it;
	bson_t set, unset_arr;
	const uint8_t *data;
	uint32_t len;
	int matched, rc;

	if (!bson_iter_init_find(&it, claim, "set") || !BSON_ITER_HOLDS_DOCUMENT(&it))
		return invalid(cur->code, "a status change in federation_spoke_history has no \"set\"");
	bson_iter_document(&it, &len, &data);
	if (!bson_init_static(&set, data, len))
		return invalid(cur->code, "a status change in federation_spoke_history is corrupt");
	bson_init(&unset_arr);
	if (bson_iter_init_find(&it, claim, "unset") && BSON_ITER_HOLDS_ARRAY(&it)) {
		bson_iter_array(&it, &len, &data);
		bson_destroy(&unset_arr);
		if (!bson_init_static(&unset_arr, data, len))
			bson_init(&unset_arr);
	}
	dive_debug("federation store: applying the unfinished change %s:%lld of '%s'", cur->spoke_id,
		   (long long)cur->rev + 1, cur->code);
	rc = write_change(fs, &matched, cur->code, cur->spoke_id, cur->rev, has_rev, &set, &unset_arr);
	bson_destroy(&unset_arr);
	return rc;
}

static int conflict(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int conflict(const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rc = dive_error_set(DIVE_ECONFLICT, "spoke '%s' %s", code, msg);
	dive_error_set_code(ERRC_FEDERATION_STATUS);
	return rc;
}

/* The history record _id "<spokeId>:<rev>", copied into *out; 0, or 1 when absent, or an error. */
static int read_change(struct fedstore *fs, bson_t **out, const char *spoke_id, int64_t rev)
{
	char key[64];
	bson_t *filter;
	mongoc_cursor_t *c;
	const bson_t *doc;
	bson_error_t err;
	int rc = 1;

	*out = NULL;
	snprintf(key, sizeof(key), "%s:%lld", spoke_id, (long long)rev);
	filter = BCON_NEW("_id", BCON_UTF8(key));
	c = mongoc_collection_find_with_opts(fs->history, filter, NULL, NULL);
	if (mongoc_cursor_next(c, &doc)) {
		*out = bson_copy(doc);
		rc = 0;
	} else if (mongoc_cursor_error(c, &err)) {
		rc = store_error(&err, "cannot read the federation store history");
	}
	mongoc_cursor_destroy(c);
	bson_destroy(filter);
	return rc;
}

static const char *change_str(const bson_t *change, const char *key)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, change, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return "";
}

/* Whether this handle recorded change, toward to (a repeat of its own call). */
static int change_is_ours(const struct fedstore *fs, const bson_t *change, enum fed_status to)
{
	return !strcmp(change_str(change, "owner"), fs->owner) && !strcmp(change_str(change, "to"), fed_status_name(to));
}

/*
 * The change after cur, if recorded: this handle's own toward `to` (a retry
 * after a lost answer) is applied now and *ours set; one older than the
 * grace is applied for its dead writer (CHANGE_ROLLED: read again); a recent
 * one of another writer is DIVE_ECONFLICT.  0 when none is recorded.
 */
static int pending_change(struct fedstore *fs, int *ours, const struct fed_spoke *cur, int has_rev,
			  enum fed_status to)
{
	bson_t *doc = NULL;
	bson_iter_t it;
	int64_t at = 0;
	int rc;

	*ours = 0;
	rc = read_change(fs, &doc, cur->spoke_id, cur->rev + 1);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (bson_iter_init_find(&it, doc, "at"))
		take_date(&at, &it);
	if (change_is_ours(fs, doc, to) || now_ms() - at > (int64_t)FEDSTORE_CLAIM_GRACE_S * 1000) {
		*ours = change_is_ours(fs, doc, to);
		rc = roll_forward(fs, cur, has_rev, doc);
		if (rc == 0)
			rc = CHANGE_ROLLED;
	} else {
		rc = conflict(cur->code, "is being changed to %s by another command", change_str(doc, "to"));
	}
	bson_destroy(doc);
	return rc;
}

static int apply_change(struct fedstore *fs, const struct fed_spoke *cur, int has_rev, enum fed_status to,
			const bson_t *set, const char *const *unset)
{
	int ours;
	bson_t claim, arr;
	bson_error_t err;
	char key[64], idx[16];
	const char *k;
	size_t i;
	int rc, matched;
	bool ok;

	snprintf(key, sizeof(key), "%s:%lld", cur->spoke_id, (long long)cur->rev + 1);
	bson_init(&claim);
	BSON_APPEND_UTF8(&claim, "_id", key);
	BSON_APPEND_UTF8(&claim, "spokeId", cur->spoke_id);
	BSON_APPEND_UTF8(&claim, "instanceCode", cur->code);
	BSON_APPEND_INT64(&claim, "rev", cur->rev + 1);
	BSON_APPEND_UTF8(&claim, "from", fed_status_name(cur->status));
	BSON_APPEND_UTF8(&claim, "to", fed_status_name(to));
	BSON_APPEND_DATE_TIME(&claim, "at", now_ms());
	BSON_APPEND_UTF8(&claim, "owner", fs->owner);
	BSON_APPEND_DOCUMENT(&claim, "set", set);
	BSON_APPEND_ARRAY_BEGIN(&claim, "unset", &arr);
	for (i = 0; unset && unset[i]; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof(idx));
		bson_append_utf8(&arr, k, -1, unset[i], -1);
	}
	bson_append_array_end(&claim, &arr);
	ok = mongoc_collection_insert_one(fs->history, &claim, NULL, NULL, &err);
	bson_destroy(&claim);
	if (!ok) {
		if (err.code != 11000)
			return store_error(&err, "cannot record the status change");
		/* another writer holds this change: recent, it won; stale, apply it for them */
		rc = pending_change(fs, &ours, cur, has_rev, to);
		if (rc == CHANGE_ROLLED && ours)
			return 0;   /* our own earlier attempt, now finished */
		if (rc == 0) /* its record vanished: someone cleaned up; read again */
			rc = CHANGE_ROLLED;
		return rc;
	}
	bson_init(&arr);
	for (i = 0; unset && unset[i]; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof(idx));
		bson_append_utf8(&arr, k, -1, unset[i], -1);
	}
	rc = write_change(fs, &matched, cur->code, cur->spoke_id, cur->rev, has_rev, set, &arr);
	bson_destroy(&arr);
	if (rc == 0 && !matched)
		dive_debug("federation store: change %s was applied by another writer", key);
	return rc;
}

int fedstore_transition(struct fedstore *fs, struct fed_spoke *out, const char *code, enum fed_status to,
			const char *note)
{
	static const char *const unset_approved[] = { "suspendedReason", NULL };
	struct fed_spoke cur;
	char c[4];
	int rc = 0, attempt, has_rev;

	if (out)
		memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	if ((rc = check_code(c, code)) < 0 || (rc = check_text("note", note, NOTE_MAX, 0)) < 0)
		return rc;
	if ((unsigned)to >= FED_STATUS__COUNT || to == FED_PENDING)
		return dive_error_set(DIVE_EUSAGE, "a registration becomes pending only by registering");
	for (attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
		bson_t set;

		fed_spoke_release(&cur);
		if ((rc = get_spoke(fs, &cur, &has_rev, c)) < 0)
			return rc;
		if (!fed_status_allowed(cur.status, to)) {
			bson_t *last = NULL;
			int ours;

			/* maybe the doc lags a change its writer did not finish */
			rc = pending_change(fs, &ours, &cur, has_rev, to);
			if (rc == CHANGE_ROLLED && ours) {
				rc = 0;
				break;
			}
			if (rc == CHANGE_ROLLED)
				continue;
			/* a repeat of this handle's own change, already done, is done */
			if (rc == 0 && cur.status == to && cur.rev > 0 &&
			    read_change(fs, &last, cur.spoke_id, cur.rev) == 0 && change_is_ours(fs, last, to)) {
				bson_destroy(last);
				break;
			}
			bson_destroy(last);
			if (rc == 0) {
				if (cur.status == to)
					rc = conflict(c, "is already %s", fed_status_name(to));
				else
					rc = conflict(c, "cannot be %s: it is %s", fed_status_name(to),
						      fed_status_name(cur.status));
			}
			break;
		}
		bson_init(&set);
		BSON_APPEND_UTF8(&set, "status", fed_status_name(to));
		BSON_APPEND_INT64(&set, "rev", cur.rev + 1);
		BSON_APPEND_DATE_TIME(&set, "updatedAt", now_ms());
		if (to == FED_APPROVED) {
			BSON_APPEND_DATE_TIME(&set, "approvedAt", now_ms());
			BSON_APPEND_UTF8(&set, "approvedBy", note && note[0] ? note : "dive");
		} else if (to == FED_SUSPENDED) {
			BSON_APPEND_UTF8(&set, "suspendedReason", note && note[0] ? note : "suspended");
		} else {
			BSON_APPEND_UTF8(&set, "revokedReason", note && note[0] ? note : "revoked");
		}
		rc = apply_change(fs, &cur, has_rev, to, &set, to == FED_APPROVED ? unset_approved : NULL);
		bson_destroy(&set);
		if (rc != CHANGE_ROLLED)
			break;
	}
	if (rc == CHANGE_ROLLED)
		rc = conflict(c, "keeps changing under this command; try again");
	if (out && (rc == 0 || rc == DIVE_ECONFLICT)) {
		/* the document as it is now (it may have moved on already) */
		struct dive_error_saved was;
		int keep = rc;

		dive_error_save(&was);
		rc = get_spoke(fs, out, NULL, c);
		if (rc == 0 && keep < 0)
			rc = dive_error_restore(&was);
	}
	fed_spoke_release(&cur);
	return rc;
}

int fedstore_approve(struct fedstore *fs, struct fed_spoke *out, const char *code, const char *by)
{
	return fedstore_transition(fs, out, code, FED_APPROVED, by);
}

int fedstore_suspend(struct fedstore *fs, struct fed_spoke *out, const char *code, const char *reason)
{
	return fedstore_transition(fs, out, code, FED_SUSPENDED, reason);
}

int fedstore_revoke(struct fedstore *fs, struct fed_spoke *out, const char *code, const char *reason)
{
	return fedstore_transition(fs, out, code, FED_REVOKED, reason);
}

/* The fields of a new registration, for an insert or to replace a revoked one. */
static void registration_fields(bson_t *b, const struct fed_registration *reg, const char *code,
				const char *spoke_id, int64_t now)
{
	bson_t arr;
	char idx[16];
	const char *k;
	size_t i;

	BSON_APPEND_UTF8(b, "spokeId", spoke_id);
	BSON_APPEND_UTF8(b, "instanceCode", code);
	BSON_APPEND_UTF8(b, "name", reg->name);
	BSON_APPEND_UTF8(b, "baseUrl", reg->base_url);
	BSON_APPEND_UTF8(b, "apiUrl", reg->api_url);
	BSON_APPEND_UTF8(b, "idpUrl", reg->idp_url);
	if (reg->idp_public_url && reg->idp_public_url[0])
		BSON_APPEND_UTF8(b, "idpPublicUrl", reg->idp_public_url);
	else
		BSON_APPEND_NULL(b, "idpPublicUrl");
	BSON_APPEND_UTF8(b, "status", fed_status_name(FED_PENDING));
	BSON_APPEND_INT64(b, "rev", 0);
	BSON_APPEND_ARRAY_BEGIN(b, "allowedPolicyScopes", &arr);
	for (i = 0; reg->scopes && reg->scopes[i]; i++) {
		bson_uint32_to_string((uint32_t)i, &k, idx, sizeof(idx));
		bson_append_utf8(&arr, k, -1, reg->scopes[i], -1);
	}
	bson_append_array_end(b, &arr);
	BSON_APPEND_DATE_TIME(b, "createdAt", now);
	BSON_APPEND_DATE_TIME(b, "updatedAt", now);
}

int fedstore_register(struct fedstore *fs, struct fed_spoke *out, const struct fed_registration *reg)
{
	static const char *const unset_old[] = { "approvedAt", "approvedBy", "suspendedReason", "revokedReason", NULL };
	struct fed_spoke cur;
	char code[4], spoke_id[24];
	bson_error_t err;
	int rc = 0, attempt, has_rev;

	memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	if ((rc = fed_registration_check(reg)) < 0)
		return rc;
	check_code(code, reg->code);
	if (!fs->indexed && (rc = fedstore_ensure_indexes(fs)) < 0)
		return rc;
	for (attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
		bson_t doc;
		bool ok;

		new_spoke_id(spoke_id, code);
		bson_init(&doc);
		registration_fields(&doc, reg, code, spoke_id, now_ms());
		ok = mongoc_collection_insert_one(fs->spokes, &doc, NULL, NULL, &err);
		bson_destroy(&doc);
		if (ok) {
			rc = 0;
			break;
		}
		if (err.code != 11000) {
			rc = store_error(&err, "cannot register the spoke");
			if (!dive_error_last_code())
				dive_error_set_code(ERRC_FEDERATION_REGISTER);
			goto out;
		}
		/* a registration exists: only a revoked one may be replaced */
		fed_spoke_release(&cur);
		rc = get_spoke(fs, &cur, &has_rev, code);
		if (rc == DIVE_ENOTFOUND)
			continue; /* gone meanwhile, or a spokeId collision: try again */
		if (rc < 0)
			goto out;
		if (cur.status != FED_REVOKED) {
			rc = conflict(code, "is already registered (%s)", fed_status_name(cur.status));
			goto out;
		}
		bson_init(&doc);
		registration_fields(&doc, reg, code, spoke_id, now_ms());
		rc = apply_change(fs, &cur, has_rev, FED_PENDING, &doc, unset_old);
		bson_destroy(&doc);
		if (rc != CHANGE_ROLLED)
			break;
	}
	if (rc == CHANGE_ROLLED || attempt == CHANGE_ATTEMPTS)
		rc = conflict(code, "keeps changing under this command; try again");
	if (rc < 0)
		goto out;
	rc = get_spoke(fs, out, NULL, code);
	if (rc == 0 && strcmp(out->spoke_id, spoke_id)) {
		/* a concurrent register replaced the revoked document first */
		rc = conflict(code, "was registered by another command first (%s)", out->spoke_id);
		fed_spoke_release(out);
	}
out:
	fed_spoke_release(&cur);
	return rc;
}
