/*
 * instance.h - what an operator sets for one spoke: instances/<code>/instance.yml.
 *
 * Desired configuration written and reviewed by people, beside the stack
 * files (state stays in the state store).  Optional: without the file every
 * key has its default.  Read with the stack files' YAML reader (same bounds,
 * same "FILE:LINE: message"), keys as data (instance_keys[] below):
 *
 *   display_name: France                  # text, at most 64 bytes; default the country's name
 *   contact: ops@example.org              # an e-mail address; default none
 *   engine: local                         # local or an engine of `dive engine add` (--engine)
 *   hub_url: http://dive-hub-backend:4000 # the hub's address the spoke reaches (DIVE_HUB_URL, --hub-url)
 *   federation:
 *     trust_level: development            # development | partner | bilateral | national
 *     requested_scopes: [policy:base, policy:fra]
 *     max_classification: UNCLASSIFIED    # UNCLASSIFIED | RESTRICTED | CONFIDENTIAL | SECRET | TOP_SECRET
 *     approval: hub                       # hub (the hub stack's policy) | auto | manual
 *   images:
 *     profile: local                      # local (dive's images, stand-ins for the applications) | real
 *   secrets:
 *     provider: file                      # as DIVE_SECRETS: file, file:DIR, env, vault:URL,... (DIVE_SECRETS wins)
 *   services:                             # what the stack file allows per service
 *     keycloak:
 *       memory: 2g                        # HostConfig.Memory (sizes as in compose files)
 *       cpus: 1.5
 *       pids: 1024
 *       timeout: 300s                     # readiness timeout (x-dive.services.<name>.timeout)
 *       environment:                      # extra environment that is not secret
 *         KC_LOG_LEVEL: debug
 *
 * Refused with the place (DIVE_EUSAGE, ERRC_INSTANCE_CONFIG): an unknown
 * key at any level, a wrong type, a value out of bounds or not one of the
 * choices, a service the spoke stack does not have, an environment variable
 * the stack declares secret.  Secrets never live here: a key that names a
 * secret (password, secret, token, credential, private key, api key) or a
 * value that looks like one (PEM, a URL with a password, a Vault token, a
 * JWT) is refused with ERRC_INSTANCE_SECRET and a pointer to the provider;
 * the value is never repeated.  Values are taken literally (no ${...}).
 *
 * The engine name's syntax and the provider spec are checked by the engine
 * layer (instcfg.h), which also applies the precedence flag > environment >
 * file > default.
 *
 * Ownership: instance_file_load fills *out (release with
 * instance_file_release, also after an error).
 */
#ifndef DIVE_INSTANCE_H
#define DIVE_INSTANCE_H

#include <stddef.h>

#include "dive/compose.h"
#include "dive/country.h"

#define INSTANCE_FILE "instance.yml"
#define INSTANCE_FILE_MAX (64 * 1024)
#define INSTANCE_TEXT_MAX 64
#define INSTANCE_VALUE_MAX 1024
#define INSTANCE_SCOPES_MAX 32

enum instance_key {
	IK_DISPLAY_NAME,
	IK_CONTACT,
	IK_ENGINE,
	IK_HUB_URL,
	IK_TRUST_LEVEL,
	IK_SCOPES,
	IK_MAX_CLASSIFICATION,
	IK_APPROVAL,
	IK_IMAGES_PROFILE,
	IK_SECRETS_PROVIDER,
	IK__COUNT
};

enum instance_type {
	IT_TEXT,      /* printable, at most INSTANCE_TEXT_MAX bytes */
	IT_EMAIL,     /* local@domain */
	IT_ENGINE,    /* an engine name (checked by instcfg) */
	IT_URL,       /* http:// or https://HOST[:PORT][/PATH], no user information */
	IT_CHOICE,    /* one of choices */
	IT_SCOPES,    /* a list of policy scopes: letters, digits and ':._-' */
	IT_PROVIDER,  /* a secrets provider spec (checked by instcfg) */
};

struct instance_key_def {
	const char *path;             /* "federation.trust_level" */
	enum instance_type type;
	const char *const *choices;   /* IT_CHOICE, NULL-terminated */
	const char *env;              /* a settings-table variable that overrides the file, or NULL */
	const char *flag;             /* a flag of the spoke verbs that overrides both, or NULL */
	const char *help;             /* one line, for the file spoke init writes and for documents */
};

extern const struct instance_key_def instance_keys[IK__COUNT];
/* The key called path ("hub_url", "federation.approval"), or -1. */
int instance_key_find(const char *path);

/* One service's overrides (0 / NULL: not set). */
struct instance_service {
	char *name;
	int line;
	long long memory, nano_cpus, pids;
	int memory_line, cpus_line, pids_line;
	long timeout_ms;
	int timeout_line;
	struct compose_kv *env;       /* not secret, checked against the stack's secrets */
	size_t nenv;
};

struct instance_file {
	char *path;                   /* instances/<code>/instance.yml */
	int present;                  /* the file exists */
	char *value[IK__COUNT];       /* as written (scopes joined by ","), NULL when not written */
	int line[IK__COUNT];
	struct instance_service *services;
	size_t nservices;
};

/*
 * Read <instances_dir>/<code lower>/instance.yml for spoke c; a missing file
 * is no error (present 0).  spoke: the spoke stack loaded with placeholders
 * (service names and declared secrets are checked against it), or NULL.
 */
int instance_file_load(struct instance_file *out, const char *instances_dir, const struct dive_country *c,
		       const struct compose *spoke);
/* The same from memory; name is used in messages. */
int instance_file_parse(struct instance_file *out, const char *name, const char *text, size_t len,
			const struct compose *spoke);
void instance_file_release(struct instance_file *f);

/*
 * Check one value for key k as the file would be checked (for flags and
 * the environment): 0, or DIVE_EUSAGE naming what (e.g. "--hub-url").
 */
int instance_value_check(enum instance_key k, const char *value, const char *what);

/*
 * Whether a name or a value looks like a secret (instance files, the
 * environment of a service): 1 and a short reason in why, else 0.
 */
int instance_secret_name(const char *name);
int instance_secret_value(const char *value, const char **why);

/*
 * The overrides of f on c, a spoke stack just loaded (before the graph is
 * built): resources, extra environment (replacing a variable the file sets),
 * readiness timeouts (widening the learned bounds to hold them).  0, or
 * DIVE_EUSAGE for a service c does not have.
 */
int instance_apply(struct compose *c, const struct instance_file *f);

/* The default of key k for spoke c, written into out. */
void instance_default(char *out, size_t n, enum instance_key k, const struct dive_country *c);

#endif
