/*
 * secrets_open.c - a DIVE_SECRETS spec to its provider: file (secrets.c),
 * env (secrets.c) or vault (secrets_vault.c).
 */
#include <stdlib.h>
#include <string.h>

#include "dive/error.h"
#include "dive/secrets.h"
#include "dive/xalloc.h"
#include "secrets_priv.h"

int secrets_open(struct secrets_provider **out, const char *spec, const char *instances_dir)
{
	struct secrets_provider *p;
	int rc;

	*out = NULL;
	if (!spec || !*spec)
		spec = "file";
	p = xcalloc(1, sizeof(*p));
	if (!strcmp(spec, "env"))
		rc = secrets_env_open(p);
	else if (!strcmp(spec, "file") || !strncmp(spec, "file:", 5))
		rc = secrets_file_open(p, spec[4] == ':' ? spec + 5 : instances_dir);
	else if (!strncmp(spec, "vault:", 6))
		rc = secrets_vault_open(p, spec);
	else
		rc = dive_error_set(DIVE_EUSAGE, "unknown secrets provider '%.32s' (file, file:DIR, env, vault:URL)",
				    spec);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}
