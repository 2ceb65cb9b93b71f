/*
 * pki.h - the deployment's own certificate authority, for mutual TLS between
 * dive and remote Docker engines.  OpenSSL makes the keys (ECDSA P-256) and
 * signs (SHA-256); nothing here is hand-written cryptography.
 *
 * Everything lives under <instances>/pki (pki_dir()), directories 0700:
 *
 *   ca/cert.pem, ca/key.pem          the CA; the key is 0600 and never leaves
 *   engine/<name>/cert.pem, key.pem  an engine's server certificate: serverAuth,
 *                                    subjectAltName = the addresses dive dials
 *   client/<name>/cert.pem, key.pem  a client certificate: clientAuth ("dive")
 *   <kind>/<name>/ca.pem             a copy of the CA certificate, so each leaf
 *                                    directory is all an engine host needs
 *                                    (dockerd --tlscacert/--tlscert/--tlskey) or
 *                                    a client (DOCKER_CERT_PATH)
 *
 * Certificates are 0644, keys 0600; every file is written to a temporary
 * name and renamed, so a reader sees the old file or the new one.  The
 * state store never holds any of it (engines record paths: engine_store.h).
 *
 * Names: [a-z0-9][a-z0-9._-]{0,62}.  SANs: IPv4/IPv6 addresses or DNS names
 * (letters, digits, '-' and '.', at most 253 bytes), at most PKI_SANS_MAX.
 *
 * Errors: DIVE_EUSAGE for bad names, SANs and days; DIVE_ECONFLICT when
 * something exists and replace was not asked for; DIVE_ENOTFOUND with
 * ERRC_PKI_MISSING when there is no CA yet (issue, rotate); DIVE_EFAIL with
 * ERRC_DIRECTORY_SETUP when a file cannot be written.
 */
#ifndef DIVE_PKI_H
#define DIVE_PKI_H

#include <stddef.h>
#include <time.h>

#include "dive/cert.h"

#define PKI_NAME_MAX 63
#define PKI_PATH_MAX 1024
#define PKI_SANS_MAX 16
#define PKI_DAYS_MAX 3650
#define PKI_CA_DAYS_DEFAULT 3650
#define PKI_LEAF_DAYS_DEFAULT 397

enum pki_kind {
	PKI_CA,
	PKI_ENGINE,   /* a server certificate for a Docker engine */
	PKI_CLIENT,   /* a client certificate (dive itself) */
	PKI__COUNT
};

/* "ca", "engine", "client"; parse accepts those (and "server" for engine). */
const char *pki_kind_name(enum pki_kind k);
int pki_kind_parse(enum pki_kind *out, const char *s);

/* <instances_dir>/pki into out. */
int pki_dir(char *out, size_t n, const char *instances_dir);

/* Where the files of one entry are (name is ignored for PKI_CA). */
struct pki_paths {
	char dir[PKI_PATH_MAX];
	char cert[PKI_PATH_MAX];
	char key[PKI_PATH_MAX];
	char ca[PKI_PATH_MAX];    /* the leaf's copy of the CA (the CA's own cert for PKI_CA) */
};

int pki_paths(struct pki_paths *out, const char *dir, enum pki_kind kind, const char *name);

/* A CA, engine or client certificate found on disk. */
struct pki_entry {
	enum pki_kind kind;
	char name[PKI_NAME_MAX + 1];     /* "" for the CA */
	struct pki_paths paths;
	int ok;                          /* info is filled; else error says why */
	struct cert_info info;
	char error[256];
};

struct pki_issue_opts {
	enum pki_kind kind;              /* PKI_ENGINE or PKI_CLIENT */
	const char *name;
	const char *const *sans;         /* NULL-terminated; engines need at least one */
	int days;                        /* 1..PKI_DAYS_MAX; 0: PKI_LEAF_DAYS_DEFAULT */
	int replace;                     /* overwrite an existing entry */
	/* Explicit validity (tests of expired material); 0: now - 5 minutes and not_before + days. */
	time_t not_before, not_after;
};

/*
 * Make the CA: a new key and a self-signed certificate (CN cn, NULL: "DIVE V3
 * deployment CA") valid for days (0: PKI_CA_DAYS_DEFAULT).  An existing CA is
 * DIVE_ECONFLICT unless replace (then the leaves no longer chain to it:
 * pki_rotate() with rotate_ca does both).  out may be NULL.
 */
int pki_init(struct pki_entry *out, const char *dir, const char *cn, int days, int replace);

/* Issue (or with o->replace re-issue) a leaf certificate signed by the CA. */
int pki_issue(struct pki_entry *out, const char *dir, const struct pki_issue_opts *o);

/*
 * Every entry on disk: the CA first, then engines and clients by name.  An
 * entry whose certificate cannot be read is listed with ok = 0 and the
 * reason.  No CA and no leaves is not an error (*n = 0).  Free *out.
 */
int pki_list(struct pki_entry **out, size_t *n, const char *dir);

/*
 * The entries that need attention at now: expired, not yet valid, or
 * expiring within warn_days, each with its warning line (cert.h's
 * cert_expiry_warning).  For status pages and metrics.  Free *out.
 */
struct pki_warning {
	struct pki_entry entry;
	enum cert_validity validity;
	char message[256];
};
int pki_expiring(struct pki_warning **out, size_t *n, const char *dir, time_t now, int warn_days);

struct pki_rotate_opts {
	const char *const *names;        /* "engine/b", "client/dive" or a unique "b"; NULL: by expiry */
	int within_days;                 /* without names: leaves expiring within this (0: CERT_WARN_DAYS_DEFAULT) */
	int rotate_ca;                   /* a new CA first, then every leaf */
	int dry_run;                     /* say what would be rotated, change nothing */
};

/*
 * Re-issue leaves with a new key, keeping each one's kind, name, SANs and
 * validity length.  *out lists what was (or would be) rotated, the CA first
 * when rotate_ca.  Free *out.
 */
int pki_rotate(struct pki_entry **out, size_t *n, const char *dir, const struct pki_rotate_opts *o);

/* Check a SAN value (IP or DNS name) as pki_issue() does; 0 or DIVE_EUSAGE. */
int pki_san_check(const char *san);

#endif
