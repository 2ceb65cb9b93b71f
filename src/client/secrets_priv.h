/*
 * secrets_priv.h - what the secret providers of src/client share (secrets.c,
 * secrets_open.c, secrets_vault.c, secret_file.c); not a contract for other modules (that is secrets.h).
 */
#ifndef DIVE_SECRETS_PRIV_H
#define DIVE_SECRETS_PRIV_H

#include <stddef.h>

#include "dive/secrets.h"

#define SECRET_MAX 4096

/* secret_file.c: 0, or DIVE_EUSAGE: a value must be 1 to SECRET_MAX bytes on one line. */
int secrets_check_value(const char *v, size_t n);

/*
 * Read a private file (a secret, a token, an AppRole secret ID) into out: a
 * regular file, not a link, mode 0600 or stricter (DIVE_EUSAGE with
 * ERRC_SECRET_BAD_MODE otherwise), one line.  what names it in messages
 * ("the Vault token file").  DIVE_ENOTFOUND ("<what> is not set") when it
 * does not exist.
 */
int secrets_read_private_file(struct dive_secret *out, const char *path, const char *what);

/* secrets.c: the env provider, and the file provider keeping its secrets under dir. */
int secrets_env_open(struct secrets_provider *p);
int secrets_file_open(struct secrets_provider *p, const char *dir);

/* "vault:..." specs (secrets_vault.c): fills p's functions and data. */
int secrets_vault_open(struct secrets_provider *p, const char *spec);

#endif
