/* pki.c - the deployment's certificate authority on disk, with OpenSSL (see pki.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/file.h"
#include "dive/pki.h"
#include "dive/xalloc.h"

#define DAY_S 86400L
#define BACKDATE_S 300           /* a little clock skew between hosts */
#define PKI_MAX_ENTRIES 512

static const char *const kind_names[PKI__COUNT] = {
	[PKI_CA] = "ca",
	[PKI_ENGINE] = "engine",
	[PKI_CLIENT] = "client",
};

const char *pki_kind_name(enum pki_kind k)
{
	return (unsigned)k < PKI__COUNT ? kind_names[k] : "unknown";
}

int pki_kind_parse(enum pki_kind *out, const char *s)
{
	if (s && (!strcmp(s, "engine") || !strcmp(s, "server"))) {
		*out = PKI_ENGINE;
		return 0;
	}
	if (s && !strcmp(s, "client")) {
		*out = PKI_CLIENT;
		return 0;
	}
	return dive_error_set(DIVE_EUSAGE, "'%.32s' is not a certificate kind (engine or client)", s ? s : "");
}

static int check_name(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > PKI_NAME_MAX)
		return dive_error_set(DIVE_EUSAGE, "certificate name '%.64s' is empty or longer than %d characters",
				      name ? name : "", PKI_NAME_MAX);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '.' || c == '_' || c == '-'))))
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is not a certificate name "
							   "(a lower-case letter or digit, then letters, digits, '.', '_', '-')", name);
	}
	return 0;
}

static int dns_label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return 1;
}

int pki_san_check(const char *san)
{
	unsigned char addr[16];
	const char *p, *dot;
	size_t n = san ? strlen(san) : 0;

	if (n == 0 || n > 253)
		return dive_error_set(DIVE_EUSAGE, "subject alternative name '%.64s' is empty or too long", san ? san : "");
	if (inet_pton(AF_INET, san, addr) == 1 || inet_pton(AF_INET6, san, addr) == 1)
		return 0;
	for (p = san;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!dns_label_ok(p, dot ? (size_t)(dot - p) : strlen(p)))
			return dive_error_set(DIVE_EUSAGE, "'%.64s' is neither an IP address nor a DNS name", san);
		if (!dot)
			return 0;
	}
}

int pki_dir(char *out, size_t n, const char *instances_dir)
{
	if (!instances_dir || !*instances_dir)
		instances_dir = "instances";
	if ((size_t)snprintf(out, n, "%s/pki", instances_dir) >= n || strlen(instances_dir) > PKI_PATH_MAX - 128)
		return dive_error_set(DIVE_EUSAGE, "the instances directory path is too long");
	return 0;
}

int pki_paths(struct pki_paths *out, const char *dir, enum pki_kind kind, const char *name)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (strlen(dir) > PKI_PATH_MAX - 160)
		return dive_error_set(DIVE_EUSAGE, "the PKI directory path is too long");
	if (kind == PKI_CA) {
		snprintf(out->dir, sizeof(out->dir), "%s/ca", dir);
		snprintf(out->cert, sizeof(out->cert), "%s/ca/cert.pem", dir);
		snprintf(out->key, sizeof(out->key), "%s/ca/key.pem", dir);
		snprintf(out->ca, sizeof(out->ca), "%s/ca/cert.pem", dir);
		return 0;
	}
	if ((unsigned)kind >= PKI__COUNT)
		return dive_error_set(DIVE_EUSAGE, "internal: certificate kind out of range");
	if ((rc = check_name(name)) < 0)
		return rc;
	if (snprintf(out->dir, sizeof(out->dir), "%s/%s/%s", dir, kind_names[kind], name) >= (int)sizeof(out->dir) ||
	    snprintf(out->cert, sizeof(out->cert), "%s/cert.pem", out->dir) >= (int)sizeof(out->cert) ||
	    snprintf(out->key, sizeof(out->key), "%s/key.pem", out->dir) >= (int)sizeof(out->key) ||
	    snprintf(out->ca, sizeof(out->ca), "%s/ca.pem", out->dir) >= (int)sizeof(out->ca))
		return dive_error_set(DIVE_EUSAGE, "the PKI directory path is too long");
	return 0;
}

static int setup_error(const char *what, const char *path)
{
	dive_error_set(DIVE_EFAIL, "cannot %s '%.200s': %s", what, path, strerror(errno));
	dive_error_set_code(ERRC_DIRECTORY_SETUP);
	return DIVE_EFAIL;
}

/* mkdir -p with mode 0700 for each directory it makes. */
static int make_dirs(const char *path)
{
	char tmp[PKI_PATH_MAX];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (i = 1; tmp[i]; i++) {
		if (tmp[i] != '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return setup_error("create directory", tmp);
		tmp[i] = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return setup_error("create directory", tmp);
	return 0;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A temporary file next to path, opened for writing with mode; *tmp gets its name. */
static int open_tmp(char tmp[PKI_PATH_MAX + 32], const char *path, mode_t mode)
{
	int fd;

	snprintf(tmp, PKI_PATH_MAX + 32, "%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return setup_error("create", tmp);
	if (fchmod(fd, mode) < 0) { /* whatever the umask says */
		close(fd);
		unlink(tmp);
		return setup_error("set the mode of", tmp);
	}
	return fd;
}

/* Write a key (0600) or a certificate (0644) to tmp + rename. */
static int write_pem(const char *path, EVP_PKEY *key, X509 *cert)
{
	char tmp[PKI_PATH_MAX + 32];
	int fd = open_tmp(tmp, path, key ? 0600 : 0644), ok;
	BIO *bio;

	if (fd < 0)
		return fd;
	bio = BIO_new_fd(fd, BIO_NOCLOSE);
	ok = bio && (key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_X509(bio, cert)) == 1 && BIO_flush(bio) == 1;
	BIO_free(bio);
	ERR_clear_error();
	if (!ok || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		errno = errno ? errno : EIO;
		return setup_error("write", tmp);
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return setup_error("rename into", path);
	}
	return 0;
}

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (!k) {
		ERR_clear_error();
		dive_error_set(DIVE_EFAIL, "OpenSSL could not generate an EC P-256 key");
	}
	return k;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	if (!ok) {
		ERR_clear_error();
		return dive_error_set(DIVE_EFAIL, "internal: OpenSSL refused the extension '%s'", value);
	}
	return 0;
}

static int set_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(b, sizeof(b)) != 1) {
		ERR_clear_error();
		return dive_error_set(DIVE_EFAIL, "OpenSSL has no random bytes for a serial number");
	}
	b[0] &= 0x7f; /* positive */
	b[0] |= 0x01; /* and never zero-led, so it stays 16 bytes */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : dive_error_set(DIVE_EFAIL, "internal: cannot set a serial number");
}

struct leaf_spec {
	enum pki_kind kind;
	const char *cn;
	const char *sans;        /* "IP:..,DNS:.." or NULL */
	time_t not_before, not_after;
};

/* A certificate for key, signed by ca_key (ca NULL: self-signed CA). */
static X509 *make_cert(EVP_PKEY *key, const struct leaf_spec *s, X509 *ca, EVP_PKEY *ca_key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	int rc = -1;

	if (!x || !name)
		goto out;
	if (X509_set_version(x, 2) != 1 || set_serial(x) < 0)
		goto out;
	if (!ASN1_TIME_set(X509_getm_notBefore(x), s->not_before) || !ASN1_TIME_set(X509_getm_notAfter(x), s->not_after))
		goto out;
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"DIVE V3", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)s->cn, -1, -1, 0) != 1)
		goto out;
	if (X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name) != 1 ||
	    X509_set_pubkey(x, key) != 1)
		goto out;
	X509V3_set_ctx(&ctx, ca ? ca : x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0)
		goto out;
	if (s->kind == PKI_CA) {
		if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
		    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0)
			goto out;
	} else {
		if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
		    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") < 0 ||
		    add_ext(x, &ctx, NID_ext_key_usage, s->kind == PKI_ENGINE ? "serverAuth" : "clientAuth") < 0)
			goto out;
		if (s->sans && *s->sans && add_ext(x, &ctx, NID_subject_alt_name, s->sans) < 0)
			goto out;
	}
	if (X509_sign(x, ca_key ? ca_key : key, EVP_sha256()) <= 0)
		goto out;
	rc = 0;
out:
	X509_NAME_free(name);
	if (rc < 0) {
		ERR_clear_error();
		if (dive_error_last_err() == DIVE_OK)
			dive_error_set(DIVE_EFAIL, "internal: OpenSSL could not build the certificate '%s'", s->cn);
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Read a PEM certificate or key straight into OpenSSL (keys: cert.h's mode rule). */
static X509 *load_cert(const char *path)
{
	struct dive_buf b;
	BIO *bio;
	X509 *x = NULL;

	if (dive_file_read(&b, path, CERT_FILE_MAX, "certificate") == 0 && (bio = BIO_new_mem_buf(b.ptr, (int)b.len))) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	dive_buf_release(&b);
	ERR_clear_error();
	return x;
}

static EVP_PKEY *load_key(const char *path)
{
	EVP_PKEY *k = NULL;
	BIO *bio;
	int fd;

	if (cert_key_mode_check(path, "CA key") < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		setup_error("open", path);
		return NULL;
	}
	bio = BIO_new_fd(fd, BIO_CLOSE);
	if (!bio)
		close(fd);
	else
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (!k) {
		dive_error_set(DIVE_ETLS, "CA key '%.200s' holds no unencrypted PEM private key", path);
		dive_error_set_code(ERRC_TLS_MATERIAL_INVALID);
	}
	return k;
}

/* The CA's certificate and key, or DIVE_ENOTFOUND with ERRC_PKI_MISSING. */
static int load_ca(X509 **cert, EVP_PKEY **key, const char *dir)
{
	struct pki_paths p;
	int rc;

	*cert = NULL;
	*key = NULL;
	if ((rc = pki_paths(&p, dir, PKI_CA, NULL)) < 0)
		return rc;
	if (!exists(p.cert) || !exists(p.key)) {
		dive_error_set(DIVE_ENOTFOUND, "there is no certificate authority in '%.200s' yet", dir);
		dive_error_set_code(ERRC_PKI_MISSING);
		return DIVE_ENOTFOUND;
	}
	if (!(*cert = load_cert(p.cert))) {
		dive_error_set(DIVE_ETLS, "CA certificate '%.200s' holds no PEM certificate", p.cert);
		dive_error_set_code(ERRC_TLS_MATERIAL_INVALID);
		return DIVE_ETLS;
	}
	if (!(*key = load_key(p.key))) {
		X509_free(*cert);
		*cert = NULL;
		return dive_error_last_err();
	}
	if (X509_check_private_key(*cert, *key) != 1) {
		ERR_clear_error();
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
		dive_error_set(DIVE_ETLS, "CA key '%.200s' does not belong to '%.200s'", p.key, p.cert);
		dive_error_set_code(ERRC_TLS_MATERIAL_INVALID);
		return DIVE_ETLS;
	}
	return 0;
}

static void fill_entry(struct pki_entry *e, enum pki_kind kind, const char *name, const struct pki_paths *p)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	e->paths = *p;
	if (cert_read(&e->info, p->cert, "certificate") == 0)
		e->ok = 1;
	else
		snprintf(e->error, sizeof(e->error), "%s", dive_error_last());
	dive_error_clear();
}

static int check_days(int days)
{
	if (days < 1 || days > PKI_DAYS_MAX)
		return dive_error_set(DIVE_EUSAGE, "a certificate is valid for 1 to %d days, not %d", PKI_DAYS_MAX, days);
	return 0;
}

/* Write key and cert of a new entry: the key first, so a cert never names a key that is not there. */
static int write_pair(const struct pki_paths *p, EVP_PKEY *key, X509 *cert, X509 *ca)
{
	int rc = make_dirs(p->dir);

	if (rc == 0)
		rc = write_pem(p->key, key, NULL);
	if (rc == 0)
		rc = write_pem(p->cert, NULL, cert);
	if (rc == 0 && ca)
		rc = write_pem(p->ca, NULL, ca);
	return rc;
}

/* A new key and its certificate (ca NULL: the self-signed CA), written to p; out (may be NULL) as read back. */
static int make_entry(struct pki_entry *out, const struct pki_paths *p, const struct leaf_spec *s, const char *name,
		      X509 *ca, EVP_PKEY *ca_key)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = DIVE_EFAIL;

	if ((key = new_key()) && (cert = make_cert(key, s, ca, ca_key)))
		rc = write_pair(p, key, cert, ca);
	EVP_PKEY_free(key);
	X509_free(cert);
	if (rc == 0 && out)
		fill_entry(out, s->kind, name, p);
	return rc;
}

int pki_init(struct pki_entry *out, const char *dir, const char *cn, int days, int replace)
{
	struct leaf_spec s = { PKI_CA, cn && *cn ? cn : "DIVE V3 deployment CA", NULL, 0, 0 };
	struct pki_paths p;
	time_t now = time(NULL);
	int rc;

	if (!days)
		days = PKI_CA_DAYS_DEFAULT;
	if ((rc = check_days(days)) < 0 || (rc = pki_paths(&p, dir, PKI_CA, NULL)) < 0)
		return rc;
	if (strlen(s.cn) > 64 || strpbrk(s.cn, "\n\r\t/"))
		return dive_error_set(DIVE_EUSAGE, "the CA's common name must be at most 64 characters on one line");
	if (!replace && (exists(p.cert) || exists(p.key)))
		return dive_error_set(DIVE_ECONFLICT, "a certificate authority exists in '%.200s' already", p.dir);
	s.not_before = now - BACKDATE_S;
	s.not_after = now + (time_t)days * DAY_S;
	if ((rc = make_dirs(dir)) < 0)
		return rc;
	if (chmod(dir, 0700) < 0)
		return setup_error("set the mode of", dir);
	return make_entry(out, &p, &s, NULL, NULL, NULL);
}

/* "IP:a,DNS:b" from the list, each checked. */
static int sans_text(char *out, size_t n, const char *const *sans)
{
	size_t i, used = 0;
	int rc;

	out[0] = '\0';
	for (i = 0; sans && sans[i]; i++) {
		unsigned char addr[16];
		int ip;

		if (i >= PKI_SANS_MAX)
			return dive_error_set(DIVE_EUSAGE, "at most %d subject alternative names", PKI_SANS_MAX);
		if ((rc = pki_san_check(sans[i])) < 0)
			return rc;
		ip = inet_pton(AF_INET, sans[i], addr) == 1 || inet_pton(AF_INET6, sans[i], addr) == 1;
		if (used + strlen(sans[i]) + 6 >= n)
			return dive_error_set(DIVE_EUSAGE, "the subject alternative names are too long");
		used += (size_t)snprintf(out + used, n - used, "%s%s:%s", used ? "," : "", ip ? "IP" : "DNS", sans[i]);
	}
	return 0;
}

/* Issue with a CA already loaded; sans is the checked "IP:..,DNS:.." text. */
static int issue_with(struct pki_entry *out, const char *dir, enum pki_kind kind, const char *name, const char *sans,
		      time_t nb, time_t na, X509 *ca, EVP_PKEY *ca_key)
{
	struct leaf_spec s = { kind, name, sans, nb, na };
	struct pki_paths p;
	int rc;

	if ((rc = pki_paths(&p, dir, kind, name)) < 0)
		return rc;
	return make_entry(out, &p, &s, name, ca, ca_key);
}

int pki_issue(struct pki_entry *out, const char *dir, const struct pki_issue_opts *o)
{
	char sans[CERT_SANS_MAX];
	struct pki_paths p;
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	time_t nb, na;
	int rc, days = o->days ? o->days : PKI_LEAF_DAYS_DEFAULT;

	if (o->kind != PKI_ENGINE && o->kind != PKI_CLIENT)
		return dive_error_set(DIVE_EUSAGE, "only engine and client certificates are issued");
	if ((rc = pki_paths(&p, dir, o->kind, o->name)) < 0 || (rc = sans_text(sans, sizeof(sans), o->sans)) < 0)
		return rc;
	if (!o->not_before && (rc = check_days(days)) < 0)
		return rc;
	if (o->kind == PKI_ENGINE && !sans[0])
		return dive_error_set(DIVE_EUSAGE, "an engine certificate needs the address dive dials (--san ADDRESS)");
	if (!o->replace && (exists(p.cert) || exists(p.key)))
		return dive_error_set(DIVE_ECONFLICT, "%s certificate '%s' exists already (dive certs rotate %s/%s renews it)",
				      pki_kind_name(o->kind), o->name, pki_kind_name(o->kind), o->name);
	nb = o->not_before ? o->not_before : time(NULL) - BACKDATE_S;
	na = o->not_after ? o->not_after : nb + BACKDATE_S + (time_t)days * DAY_S;
	if (na <= nb)
		return dive_error_set(DIVE_EUSAGE, "a certificate must end after it begins");
	if ((rc = load_ca(&ca, &ca_key, dir)) < 0)
		return rc;
	rc = issue_with(out, dir, o->kind, o->name, sans, nb, na, ca, ca_key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct pki_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->name, y->name);
}

int pki_list(struct pki_entry **out, size_t *n, const char *dir)
{
	struct pki_entry *v = xcalloc(PKI_MAX_ENTRIES, sizeof(*v));
	struct pki_paths p;
	size_t count = 0;
	int k, rc;

	*out = NULL;
	*n = 0;
	if ((rc = pki_paths(&p, dir, PKI_CA, NULL)) < 0) {
		free(v);
		return rc;
	}
	if (exists(p.cert))
		fill_entry(&v[count++], PKI_CA, NULL, &p);
	for (k = PKI_ENGINE; k < PKI__COUNT; k++) {
		char sub[PKI_PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(sub, sizeof(sub), "%s/%s", dir, kind_names[k]);
		if (!(d = opendir(sub)))
			continue;
		while ((de = readdir(d)) && count < PKI_MAX_ENTRIES) {
			if (de->d_name[0] == '.' || pki_paths(&p, dir, (enum pki_kind)k, de->d_name) < 0) {
				dive_error_clear(); /* not one of ours */
				continue;
			}
			if (exists(p.cert))
				fill_entry(&v[count++], (enum pki_kind)k, de->d_name, &p);
		}
		closedir(d);
	}
	qsort(v, count, sizeof(*v), cmp_entry);
	*out = v;
	*n = count;
	return 0;
}

int pki_expiring(struct pki_warning **out, size_t *n, const char *dir, time_t now, int warn_days)
{
	struct pki_entry *v = NULL;
	struct pki_warning *w;
	size_t count = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = pki_list(&v, &count, dir)) < 0)
		return rc;
	w = xcalloc(count ? count : 1, sizeof(*w));
	for (i = 0; i < count; i++) {
		char label[PKI_NAME_MAX + 16];

		if (!v[i].ok)
			continue;
		snprintf(label, sizeof(label), "%s%s%s", pki_kind_name(v[i].kind), v[i].name[0] ? "/" : "", v[i].name);
		if (cert_expiry_warning(w[*n].message, sizeof(w[*n].message), &v[i].info, label, now, warn_days)) {
			w[*n].entry = v[i];
			w[*n].validity = cert_validity(&v[i].info, now, warn_days);
			(*n)++;
		}
	}
	free(v);
	*out = w;
	return 0;
}

/* The SAN text of an existing certificate is already "IP:..,DNS:.."; re-check each value. */
static int sans_of(char *out, size_t n, const struct cert_info *c)
{
	char copy[CERT_SANS_MAX], *save = NULL, *tok;

	snprintf(copy, sizeof(copy), "%s", c->sans);
	out[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *v = strchr(tok, ':');
		size_t used = strlen(out);

		if (!v || pki_san_check(v + 1) < 0)
			return dive_error_set(DIVE_EUSAGE, "certificate SAN '%.64s' cannot be carried over", tok);
		snprintf(out + used, n - used, "%s%s", used ? "," : "", tok);
	}
	return 0;
}

/* Does a rotate name ("engine/b", "client/dive", "b") pick entry e? */
static int name_picks(const char *want, const struct pki_entry *e)
{
	char full[PKI_NAME_MAX + 16];

	snprintf(full, sizeof(full), "%s/%s", pki_kind_name(e->kind), e->name);
	return !strcmp(want, full) || !strcmp(want, e->name);
}

/* Which leaves rotate: the named ones (each must pick exactly one), else the expiring ones. */
static int pick(int *chosen, const struct pki_entry *v, size_t count, const struct pki_rotate_opts *o, time_t now)
{
	size_t i, j;

	for (i = 0; i < count; i++)
		chosen[i] = v[i].kind != PKI_CA &&
			    (o->rotate_ca ||
			     (!o->names && (!v[i].ok || cert_validity(&v[i].info, now, o->within_days ? o->within_days
												 : CERT_WARN_DAYS_DEFAULT) !=
							     CERT_VALID)));
	for (j = 0; o->names && o->names[j]; j++) {
		size_t hits = 0, at = 0;

		for (i = 0; i < count; i++)
			if (v[i].kind != PKI_CA && name_picks(o->names[j], &v[i])) {
				hits++;
				at = i;
			}
		if (hits == 0)
			return dive_error_set(DIVE_ENOTFOUND, "no engine or client certificate '%.64s' (dive certs list)",
					      o->names[j]);
		if (hits > 1)
			return dive_error_set(DIVE_EUSAGE, "'%.64s' names more than one certificate: say engine/%s or client/%s",
					      o->names[j], o->names[j], o->names[j]);
		chosen[at] = 1;
	}
	return 0;
}

int pki_rotate(struct pki_entry **out, size_t *n, const char *dir, const struct pki_rotate_opts *o)
{
	struct pki_entry *v = NULL, *done;
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	size_t count = 0, i, nd = 0;
	int *chosen = NULL, rc;
	time_t now = time(NULL);

	*out = NULL;
	*n = 0;
	if (o->within_days < 0 || o->within_days > PKI_DAYS_MAX)
		return dive_error_set(DIVE_EUSAGE, "--within takes 0 to %d days", PKI_DAYS_MAX);
	if ((rc = load_ca(&ca, &ca_key, dir)) < 0)
		return rc;
	if ((rc = pki_list(&v, &count, dir)) < 0)
		goto out;
	chosen = xcalloc(count ? count : 1, sizeof(*chosen));
	done = xcalloc(count + 1, sizeof(*done));
	*out = done;
	if ((rc = pick(chosen, v, count, o, now)) < 0)
		goto out;
	/* every chosen leaf must be readable: its SANs and validity carry over */
	for (i = 0; i < count; i++)
		if (chosen[i] && !v[i].ok) {
			rc = dive_error_set(DIVE_ETLS, "cannot rotate %s/%s: %s (remove its directory and issue it again)",
					    pki_kind_name(v[i].kind), v[i].name, v[i].error);
			dive_error_set_code(ERRC_TLS_MATERIAL_INVALID);
			goto out;
		}
	if (o->rotate_ca) {
		long days = count && v[0].kind == PKI_CA && v[0].ok
				    ? (long)((v[0].info.not_after - v[0].info.not_before + DAY_S / 2) / DAY_S)
				    : PKI_CA_DAYS_DEFAULT;

		if (days < 1 || days > PKI_DAYS_MAX)
			days = PKI_CA_DAYS_DEFAULT;
		if (!o->dry_run) {
			X509_free(ca);
			EVP_PKEY_free(ca_key);
			ca = NULL;
			ca_key = NULL;
			if ((rc = pki_init(&done[nd], dir, v[0].ok ? v[0].info.subject_cn : NULL, (int)days, 1)) < 0 ||
			    (rc = load_ca(&ca, &ca_key, dir)) < 0)
				goto out;
		} else {
			done[nd] = v[0];
		}
		nd++;
	}
	for (i = 0; i < count; i++) {
		char sans[CERT_SANS_MAX];
		time_t length;

		if (!chosen[i])
			continue;
		if (o->dry_run) {
			done[nd++] = v[i];
			continue;
		}
		if ((rc = sans_of(sans, sizeof(sans), &v[i].info)) < 0)
			goto out;
		length = v[i].info.not_after - v[i].info.not_before;
		if (length < DAY_S || length > (time_t)PKI_DAYS_MAX * DAY_S + BACKDATE_S)
			length = (time_t)PKI_LEAF_DAYS_DEFAULT * DAY_S + BACKDATE_S;
		rc = issue_with(&done[nd], dir, v[i].kind, v[i].name, sans, now - BACKDATE_S, now - BACKDATE_S + length,
				ca, ca_key);
		if (rc < 0)
			goto out;
		nd++;
	}
	rc = 0;
out:
	*n = nd;
	free(chosen);
	free(v);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}
