/*
 * cert.h - X.509 certificates and private keys on disk, read with OpenSSL:
 * what they say (names, dates, purposes) and whether a CA, certificate and
 * key can be used together for mutual TLS.  Nothing here is hand-written
 * cryptography; nothing here connects anywhere.
 *
 * Certificates are PEM files of at most CERT_FILE_MAX bytes (the first
 * certificate counts).  Keys are PEM files too, unencrypted, and must not be
 * readable or writable by group or others (mode 0600 or stricter); a key is
 * read straight into OpenSSL and never into a dive buffer, string or message.
 *
 * Errors, each with a taxonomy code (errcodes.h) and one line naming the file:
 *
 *   DIVE_ETLS  ERRC_TLS_MATERIAL_INVALID  missing, unreadable, not PEM, a key
 *                                         with a loose mode, a key that does
 *                                         not belong to its certificate, a
 *                                         "CA" that is not a CA
 *   DIVE_ETLS  ERRC_TLS_CERT_EXPIRED      expired, or not valid yet
 *
 * Expiry within some days is not an error: cert_validity() says
 * CERT_EXPIRING and cert_expiry_warning() words it (ERRC_TLS_CERT_EXPIRING),
 * for status pages, metrics and list verbs to call.
 */
#ifndef DIVE_CERT_H
#define DIVE_CERT_H

#include <stddef.h>
#include <time.h>

#define CERT_FILE_MAX (256u << 10)
#define CERT_KEY_FILE_MAX (64u << 10)
#define CERT_NAME_MAX 128
#define CERT_SANS_MAX 512
#define CERT_WARN_DAYS_DEFAULT 30

struct cert_info {
	char subject_cn[CERT_NAME_MAX];  /* "" when the subject has no CN */
	char issuer_cn[CERT_NAME_MAX];
	char serial[80];                 /* hex */
	char sha256[65];                 /* fingerprint of the DER encoding, hex */
	char sans[CERT_SANS_MAX];        /* "IP:10.231.0.2,DNS:engine-b" ("" when none) */
	time_t not_before, not_after;
	int is_ca;                       /* basicConstraints CA:TRUE */
	int server_auth, client_auth;    /* extendedKeyUsage; both 1 when the certificate has none */
	int self_signed;                 /* issuer == subject and the signature verifies with its own key */
};

/* Read the first certificate of a PEM file; what names it in messages ("engine CA"). */
int cert_read(struct cert_info *out, const char *path, const char *what);

enum cert_validity {
	CERT_VALID,
	CERT_EXPIRING,       /* valid, but not after now + warn_days */
	CERT_EXPIRED,
	CERT_NOT_YET_VALID,
};

const char *cert_validity_name(enum cert_validity v);
enum cert_validity cert_validity(const struct cert_info *c, time_t now, int warn_days);
/* Whole days from now to not_after, rounded down; negative once expired. */
long cert_days_left(const struct cert_info *c, time_t now);
/* "2026-12-02T05:19:36Z" */
void cert_format_time(char out[32], time_t t);

/*
 * DIVE_ETLS with ERRC_TLS_CERT_EXPIRED and one line when c is expired or not
 * valid yet ("dive's client certificate '/p/cert.pem' expired on ..."), else 0.
 */
int cert_check_dates(const struct cert_info *c, const char *what, const char *path, time_t now);

/*
 * The warning for a certificate that expires within warn_days (or has
 * expired), e.g. "certificate 'engine/b' expires in 12 days (2026-12-14)";
 * returns 1 and fills out (n bytes) when there is one, 0 when not.
 */
int cert_expiry_warning(char *out, size_t n, const struct cert_info *c, const char *name, time_t now, int warn_days);

/* Mutual-TLS material for one engine: all three paths, or none. */
struct cert_material {
	const char *ca;      /* the CA that signed the engine's certificate */
	const char *cert;    /* dive's client certificate */
	const char *key;     /* its key */
};

struct cert_material_report {
	struct cert_info ca, cert;
};

/*
 * Check material before it is used: the CA is a CA and valid; the client
 * certificate is valid and allowed for client authentication; the key file
 * has a strict mode, parses and belongs to the certificate.  rep may be NULL.
 */
int cert_material_check(struct cert_material_report *rep, const struct cert_material *m, time_t now);

/*
 * A key file's mode and type only (regular, no group/other bits), without
 * reading it: DIVE_ETLS with ERRC_TLS_MATERIAL_INVALID otherwise.
 */
int cert_key_mode_check(const char *path, const char *what);

#endif
