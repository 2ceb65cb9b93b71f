/* cert.c - X.509 certificates and keys on disk, read with OpenSSL (see cert.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dive/cert.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/file.h"

#define DAY_S 86400L

/* OpenSSL's error queue says nothing the message does not: it is emptied with each refusal. */
#define material_error(...) (ERR_clear_error(), dive_error_setc(DIVE_ETLS, ERRC_TLS_MATERIAL_INVALID, __VA_ARGS__))

static const char *const validity_names[] = {
	[CERT_VALID] = "valid",
	[CERT_EXPIRING] = "expiring",
	[CERT_EXPIRED] = "expired",
	[CERT_NOT_YET_VALID] = "not-yet-valid",
};

const char *cert_validity_name(enum cert_validity v)
{
	return (unsigned)v < sizeof(validity_names) / sizeof(validity_names[0]) ? validity_names[v] : "unknown";
}

/* Printable ASCII only, so a name from a file cannot carry control characters into a message. */
static void copy_printable(char *out, size_t n, const unsigned char *s, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 1 < n; i++)
		out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	out[j] = '\0';
}

static void name_cn(char *out, size_t n, const X509_NAME *name)
{
	int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	const ASN1_STRING *s;

	out[0] = '\0';
	if (i < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	if (s)
		copy_printable(out, n, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
}

static time_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static void add_san(char *out, size_t n, const char *kind, const char *value)
{
	size_t used = strlen(out);

	if (used + strlen(kind) + strlen(value) + 3 < n)
		snprintf(out + used, n - used, "%s%s:%s", used ? "," : "", kind, value);
}

static void read_sans(char *out, size_t n, X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i;

	out[0] = '\0';
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char v[INET6_ADDRSTRLEN + 1];

		if (g->type == GEN_DNS) {
			copy_printable(v, sizeof(v), ASN1_STRING_get0_data(g->d.dNSName),
				       (size_t)ASN1_STRING_length(g->d.dNSName));
			add_san(out, n, "DNS", v);
		} else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((len == 4 && inet_ntop(AF_INET, p, v, sizeof(v))) ||
			    (len == 16 && inet_ntop(AF_INET6, p, v, sizeof(v))))
				add_san(out, n, "IP", v);
		}
	}
	GENERAL_NAMES_free(names);
}

static void fill_info(struct cert_info *out, X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	uint32_t xku;

	memset(out, 0, sizeof(*out));
	name_cn(out->subject_cn, sizeof(out->subject_cn), X509_get_subject_name(x));
	name_cn(out->issuer_cn, sizeof(out->issuer_cn), X509_get_issuer_name(x));
	snprintf(out->serial, sizeof(out->serial), "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1)
		for (i = 0; i < mdlen && 2 * i + 2 < sizeof(out->sha256); i++)
			snprintf(out->sha256 + 2 * i, 3, "%02x", md[i]);
	read_sans(out->sans, sizeof(out->sans), x);
	out->not_before = asn1_time(X509_get0_notBefore(x));
	out->not_after = asn1_time(X509_get0_notAfter(x));
	out->is_ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
	xku = X509_get_extended_key_usage(x);
	out->server_auth = (xku & XKU_SSL_SERVER) != 0;
	out->client_auth = (xku & XKU_SSL_CLIENT) != 0;
	out->self_signed = X509_self_signed(x, 1) == 1;
}

/* The first certificate of a PEM file, as OpenSSL's object; the caller frees it. */
static int read_x509(X509 **out, const char *path, const char *what)
{
	struct dive_buf b;
	BIO *bio = NULL;
	int rc;

	*out = NULL;
	rc = dive_file_read(&b, path, CERT_FILE_MAX, what);
	if (rc < 0) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s", dive_error_last());
		dive_buf_release(&b);
		return material_error("%s", msg);
	}
	bio = BIO_new_mem_buf(dive_buf_str(&b), (int)b.len);
	*out = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	dive_buf_release(&b);
	if (!*out)
		return material_error("%s '%.200s' holds no PEM certificate", what, path);
	ERR_clear_error();
	return 0;
}

int cert_read(struct cert_info *out, const char *path, const char *what)
{
	X509 *x = NULL;
	int rc = read_x509(&x, path, what);

	if (rc == 0)
		fill_info(out, x);
	X509_free(x);
	return rc;
}

long cert_days_left(const struct cert_info *c, time_t now)
{
	long long d = (long long)c->not_after - (long long)now;

	return d >= 0 ? (long)(d / DAY_S) : -(long)((-d + DAY_S - 1) / DAY_S);
}

enum cert_validity cert_validity(const struct cert_info *c, time_t now, int warn_days)
{
	if (now < c->not_before)
		return CERT_NOT_YET_VALID;
	if (now > c->not_after)
		return CERT_EXPIRED;
	if (warn_days > 0 && (long long)c->not_after - (long long)now <= (long long)warn_days * DAY_S)
		return CERT_EXPIRING;
	return CERT_VALID;
}

void cert_format_time(char out[32], time_t t)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "-");
}

int cert_check_dates(const struct cert_info *c, const char *what, const char *path, time_t now)
{
	char when[32];

	switch (cert_validity(c, now, 0)) {
	case CERT_EXPIRED:
		cert_format_time(when, c->not_after);
		dive_error_set(DIVE_ETLS, "%s '%.200s' expired on %s", what, path, when);
		break;
	case CERT_NOT_YET_VALID:
		cert_format_time(when, c->not_before);
		dive_error_set(DIVE_ETLS, "%s '%.200s' is not valid before %s (check this host's clock)", what, path, when);
		break;
	default:
		return 0;
	}
	dive_error_set_code(ERRC_TLS_CERT_EXPIRED);
	return DIVE_ETLS;
}

int cert_expiry_warning(char *out, size_t n, const struct cert_info *c, const char *name, time_t now, int warn_days)
{
	char when[32];
	long days = cert_days_left(c, now);

	cert_format_time(when, c->not_after);
	switch (cert_validity(c, now, warn_days)) {
	case CERT_EXPIRED:
		snprintf(out, n, "certificate '%s' expired on %.10s", name, when);
		return 1;
	case CERT_EXPIRING:
		if (days == 0)
			snprintf(out, n, "certificate '%s' expires within a day (%s)", name, when);
		else
			snprintf(out, n, "certificate '%s' expires in %ld day%s (%.10s)", name, days, days == 1 ? "" : "s",
				 when);
		return 1;
	case CERT_NOT_YET_VALID:
		cert_format_time(when, c->not_before);
		snprintf(out, n, "certificate '%s' is not valid before %s", name, when);
		return 1;
	default:
		return 0;
	}
}

/* Open a key file: a regular file of bounded size that only its owner may read. */
static int open_key(const char *path, const char *what)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), flags;

	if (fd < 0)
		return material_error("cannot open %s '%.200s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return material_error("%s '%.200s' is not a regular file", what, path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return material_error("%s '%.200s' has mode %04o; a key must be 0600 (chmod 600 '%.200s')", what, path,
				      (unsigned)(st.st_mode & 07777), path);
	}
	if ((size_t)st.st_size > CERT_KEY_FILE_MAX) {
		close(fd);
		return material_error("%s '%.200s' is larger than %u bytes", what, path, CERT_KEY_FILE_MAX);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

int cert_key_mode_check(const char *path, const char *what)
{
	int fd = open_key(path, what);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Encrypted keys are refused: nobody is there to type a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* Does the key file hold the private key of x?  The key goes from the file into OpenSSL only. */
static int key_matches(X509 *x, const char *path, const char *what)
{
	int fd = open_key(path, what), ok;
	BIO *bio;
	EVP_PKEY *k;

	if (fd < 0)
		return fd;
	bio = BIO_new_fd(fd, BIO_CLOSE);
	if (!bio) {
		close(fd);
		return material_error("cannot read %s '%.200s'", what, path);
	}
	k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!k)
		return material_error("%s '%.200s' holds no unencrypted PEM private key", what, path);
	ok = X509_check_private_key(x, k) == 1;
	EVP_PKEY_free(k);
	if (!ok)
		return material_error("%s '%.200s' does not belong to its certificate", what, path);
	ERR_clear_error();
	return 0;
}

int cert_material_check(struct cert_material_report *rep, const struct cert_material *m, time_t now)
{
	struct cert_material_report local;
	X509 *x = NULL;
	int rc;

	if (!rep)
		rep = &local;
	if (!m->ca || !m->cert || !m->key || !*m->ca || !*m->cert || !*m->key)
		return material_error("TLS needs a CA, a certificate and a key");
	if ((rc = cert_read(&rep->ca, m->ca, "engine CA")) < 0)
		return rc;
	if (!rep->ca.is_ca)
		return material_error("engine CA '%.200s' is not a CA certificate (basicConstraints CA:TRUE)", m->ca);
	if ((rc = cert_check_dates(&rep->ca, "engine CA", m->ca, now)) < 0)
		return rc;
	if ((rc = read_x509(&x, m->cert, "client certificate")) < 0)
		return rc;
	fill_info(&rep->cert, x);
	if (!rep->cert.client_auth) {
		rc = material_error("client certificate '%.200s' is not allowed for client authentication "
				    "(extendedKeyUsage lacks clientAuth)", m->cert);
		goto out;
	}
	if ((rc = cert_check_dates(&rep->cert, "dive's client certificate", m->cert, now)) < 0)
		goto out;
	rc = key_matches(x, m->key, "client key");
out:
	X509_free(x);
	return rc;
}
