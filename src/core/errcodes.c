/* errcodes.c - the error taxonomy and its thresholds, as data (see errcodes.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dive/errcodes.h"
#include "dive/error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Enum <-> string tables: the only place these names are spelled. */

static const struct {
	const char *name;
	const char *meaning;
} cat_table[ERRCAT__COUNT] = {
	[ERRCAT_STATE] = { "state", "the state store, its schema, transitions and recorded runs" },
	[ERRCAT_LOCK] = { "lock", "instance and shared locks" },
	[ERRCAT_DOCKER] = { "docker", "the Docker engine, images, containers, volumes and host disk" },
	[ERRCAT_HEALTH] = { "health", "services that do not become or stay healthy, and what depends on them" },
	[ERRCAT_KEYCLOAK] = { "keycloak", "the Keycloak admin API, realms, clients, identity providers and mappers" },
	[ERRCAT_FEDERATION] = { "federation", "the MongoDB federation store and the links between the hub and spokes" },
	[ERRCAT_CONFIG] = { "config", "input from flags, the environment, instance configuration, country codes and the stack file" },
	[ERRCAT_SECRETS] = { "secrets", "the secret provider and the secrets it holds" },
	[ERRCAT_NETWORK] = { "network", "reachability, ports, Docker networks, deadlines and open circuit breakers" },
	[ERRCAT_INTERNAL] = { "internal", "dive itself, its bugs, cancellation and rollback" },
};

static const struct {
	const char *name;
	const char *meaning;
} sev_table[ERRSEV__COUNT] = {
	[ERRSEV_CRITICAL] = { "critical", "the run cannot continue safely" },
	[ERRSEV_HIGH] = { "high", "the step failed" },
	[ERRSEV_MEDIUM] = { "medium", "the instance works, degraded" },
	[ERRSEV_LOW] = { "low", "worth knowing; nothing is broken" },
};

static const struct {
	const char *name;
	const char *meaning;
	int retried;
} class_table[ERRCLASS__COUNT] = {
	[ERRCLASS_TRANSIENT] = { "transient", "goes away with time, like a server starting, a held lock or a lost race", 1 },
	[ERRCLASS_PERMANENT] = { "permanent", "needs the operator, as bad input, a missing secret or a bug do", 0 },
	[ERRCLASS_RECOVERABLE] = { "recoverable", "a known repair (restart, recreate, resume) makes the next attempt succeed", 1 },
};

static const char *const action_names[] = {
	[ERRTHR_CONTINUE] = "continue",
	[ERRTHR_WARN] = "warn",
	[ERRTHR_STOP] = "stop",
};

const struct err_threshold err_thresholds[ERRSEV__COUNT] = {
	{ ERRSEV_CRITICAL, 0, ERRTHR_STOP, "the first one ends the run; no recovery is tried" },
	{ ERRSEV_HIGH, 1, ERRTHR_STOP, "one recovered error is tolerated; the second ends the run" },
	{ ERRSEV_MEDIUM, 3, ERRTHR_STOP, "the run goes on degraded; the fourth ends it" },
	{ ERRSEV_LOW, 10, ERRTHR_WARN, "never ends the run; past ten the run's report warns" },
};

/* The name is spelled once, as the enumerator in errcodes.h. */
#define ROW(id, cat, sev, cls, summary, remediation) \
	{ ERRC_##id, #id, ERRCAT_##cat, ERRSEV_##sev, ERRCLASS_##cls, summary, remediation }

/* Sorted by code; test_errcodes.c checks order, uniqueness and names. */
static const struct errcode errcode_table[] = {
	/* 10xx preflight: the hub, the host and secrets */
	ROW(HUB_NOT_FOUND, HEALTH, CRITICAL, PERMANENT,
	  "the hub is not deployed: the state store has no hub or its containers are gone",
	  "dive hub up"),
	ROW(HUB_UNHEALTHY, HEALTH, CRITICAL, TRANSIENT,
	  "the hub is deployed but one of its services is not healthy",
	  "dive hub status"),
	ROW(NETWORK_SETUP, NETWORK, CRITICAL, RECOVERABLE,
	  "the shared Docker network 'dive-shared' is missing or could not be created",
	  "dive hub up"),
	ROW(SECRET_UNREADABLE, SECRETS, CRITICAL, PERMANENT,
	  "a secret file of the provider exists but cannot be read (owner, permissions or I/O)",
	  "ls -l FILE"),
	ROW(SECRET_INVALID, SECRETS, HIGH, PERMANENT,
	  "a secret is empty, too long or not in the form its consumer needs (the message names it, never its value)",
	  "dive spoke deploy CODE --dry-run"),
	ROW(SECRET_MISSING, SECRETS, CRITICAL, PERMANENT,
	  "a secret the stack needs is not in the provider",
	  "dive spoke deploy CODE --dry-run"),
	ROW(SECRET_BAD_MODE, SECRETS, HIGH, PERMANENT,
	  "a secret file can be read by group or others; the provider requires mode 0600",
	  "chmod 600 FILE"),
	ROW(PORT_IN_USE, NETWORK, CRITICAL, PERMANENT,
	  "a host port the instance publishes is already bound by another process",
	  "ss -ltnp 'sport = :PORT'"),
	ROW(DISK_SPACE_LOW, DOCKER, HIGH, PERMANENT,
	  "the Docker data root has too little free space for images and volumes",
	  "docker system df"),
	ROW(VAULT_UNREACHABLE, SECRETS, CRITICAL, TRANSIENT,
	  "the Vault server of DIVE_SECRETS does not answer (refused, timed out, or a 5xx); its breaker vault:HOST:PORT counts it",
	  "curl -s \"$VAULT_ADDR/v1/sys/health\"; dive breaker list"),
	ROW(VAULT_SEALED, SECRETS, CRITICAL, PERMANENT,
	  "the Vault server of DIVE_SECRETS is sealed: it answers but cannot read or write a secret",
	  "vault operator unseal"),
	ROW(VAULT_DENIED, SECRETS, CRITICAL, PERMANENT,
	  "the Vault server refused the token or the AppRole login, or its policies do not allow the secret's path",
	  "vault token capabilities MOUNT/data/dive/CODE/KEY"),
	ROW(VAULT_TLS, SECRETS, CRITICAL, PERMANENT,
	  "the Vault server's TLS certificate cannot be verified against the system's or ca=FILE's authorities",
	  "openssl s_client -connect HOST:PORT -CAfile FILE"),

	/* 11xx input: configuration, country codes, the stack file */
	ROW(COMPOSE_PARSE, CONFIG, HIGH, PERMANENT,
	  "the stack file cannot be read or is not compose YAML within dive's limits",
	  "dive graph spoke CODE"),
	ROW(DIRECTORY_SETUP, CONFIG, HIGH, PERMANENT,
	  "the instance directory cannot be created or written",
	  "mkdir -p \"${DIVE_INSTANCES_DIR:-instances}/CODE\""),
	ROW(CONFIG_INVALID, CONFIG, HIGH, PERMANENT,
	  "a flag, an environment setting (such as DIVE_RETRY) or the instance configuration is malformed or out of bounds",
	  "dive help COMMAND"),
	ROW(DEPENDENCY_UNDEFINED, CONFIG, HIGH, PERMANENT,
	  "a service's depends_on names a service the stack file does not define",
	  "dive graph spoke CODE"),
	ROW(DEPENDENCY_CYCLE, CONFIG, HIGH, PERMANENT,
	  "the services' depends_on form a cycle, so no start order exists",
	  "dive graph spoke CODE"),
	ROW(COUNTRY_CODE_INVALID, CONFIG, HIGH, PERMANENT,
	  "the country code is not in dive's country table",
	  "dive spoke list-countries"),
	ROW(INSTANCE_CONFIG, CONFIG, HIGH, PERMANENT,
	  "an instance file (instances/<code>/instance.yml) has an unknown key, a wrong type or a value out of bounds",
	  "dive spoke config CODE --check"),
	ROW(INSTANCE_SECRET, SECRETS, CRITICAL, PERMANENT,
	  "an instance file holds what looks like a secret: secrets live only in the secrets provider",
	  "dive secrets import CODE --from FILE (or put it in the provider of DIVE_SECRETS), then remove it from the file"),

	/* 12xx the Docker engine, containers and service dependencies */
	ROW(CONTAINER_START, DOCKER, HIGH, RECOVERABLE,
	  "the engine refused to create or start a container",
	  "dive spoke logs CODE SERVICE (the hub: dive hub logs SERVICE)"),
	ROW(CONTAINER_UNHEALTHY, HEALTH, HIGH, RECOVERABLE,
	  "a container runs but its health check reports unhealthy",
	  "dive spoke logs CODE SERVICE (the hub: dive hub logs SERVICE)"),
	ROW(SERVICE_DEPENDENCY, HEALTH, HIGH, PERMANENT,
	  "a service was not started because a service it depends on failed",
	  "dive spoke status CODE"),
	ROW(SERVICE_TIMEOUT, HEALTH, CRITICAL, TRANSIENT,
	  "a service did not become healthy within its timeout",
	  "dive spoke status CODE"),
	ROW(VOLUME_CREATE, DOCKER, HIGH, RECOVERABLE,
	  "the engine could not create a volume",
	  "docker system df"),
	ROW(CONTAINER_CONFLICT, DOCKER, HIGH, RECOVERABLE,
	  "a container with a name dive needs already exists (left by an earlier run, or not dive's own)",
	  "dive spoke clean CODE"),
	ROW(DOCKER_UNREACHABLE, DOCKER, CRITICAL, TRANSIENT,
	  "the Docker engine at --docker-host cannot be reached",
	  "docker info"),
	ROW(IMAGE_MISSING, DOCKER, HIGH, PERMANENT,
	  "an image the stack needs is neither present nor pullable",
	  "dive images build"),
	ROW(CONTAINER_EXITED, DOCKER, HIGH, RECOVERABLE,
	  "a container exited while its service should be running",
	  "dive spoke logs CODE SERVICE (the hub: dive hub logs SERVICE)"),
	ROW(ENGINE_TLS_UNTRUSTED, NETWORK, CRITICAL, PERMANENT,
	  "the engine's certificate does not verify against the engine's CA, does not name the address dive connects to, or the engine does not speak TLS there",
	  "dive certs issue engine NAME --san ADDRESS"),
	ROW(ENGINE_TLS_REJECTED, NETWORK, CRITICAL, PERMANENT,
	  "the engine refused dive's client certificate in the TLS handshake (not issued by a CA the engine trusts)",
	  "dive certs issue client dive"),
	ROW(TLS_CERT_EXPIRED, SECRETS, CRITICAL, PERMANENT,
	  "a certificate on the way to an engine (dive's client certificate, the engine's or their CA) has expired or is not valid yet",
	  "dive certs rotate"),
	ROW(TLS_MATERIAL_INVALID, SECRETS, CRITICAL, PERMANENT,
	  "a CA, certificate or key file is missing, unreadable, not PEM, readable by group or others (keys), or the key does not belong to the certificate",
	  "dive certs list"),
	ROW(TLS_CERT_EXPIRING, SECRETS, LOW, PERMANENT,
	  "a certificate of the deployment expires within the warning period",
	  "dive certs rotate"),
	ROW(ENGINE_UNKNOWN, CONFIG, HIGH, PERMANENT,
	  "no Docker engine of that name is registered in the state store",
	  "dive engine list"),
	ROW(ENGINE_IN_USE, CONFIG, HIGH, PERMANENT,
	  "the engine cannot be removed while instances are placed on it",
	  "dive engine show NAME"),
	ROW(IMAGE_COPY, DOCKER, HIGH, RECOVERABLE,
	  "copying an image from one engine to another failed (export, load, or the loaded image has another id)",
	  "dive images copy --to ENGINE IMAGE"),
	ROW(PKI_MISSING, SECRETS, HIGH, PERMANENT,
	  "the deployment's certificate authority does not exist yet",
	  "dive certs init"),
	ROW(ENGINE_MOVE, CONFIG, HIGH, PERMANENT,
	  "the spoke runs on another engine: dive does not move a deployed spoke between engines",
	  "dive spoke clean CODE (then deploy it with --engine NAME), or deploy it where it is placed"),

	/* 13xx Keycloak, MongoDB and federation */
	ROW(FEDERATION_SETUP, FEDERATION, HIGH, RECOVERABLE,
	  "creating the identity providers and clients that federate a spoke with the hub failed",
	  "dive federation reconcile"),
	ROW(FEDERATION_REGISTER, FEDERATION, HIGH, RECOVERABLE,
	  "recording the spoke in the MongoDB federation store failed",
	  "dive federation register CODE"),
	ROW(FEDERATION_VERIFY, FEDERATION, HIGH, RECOVERABLE,
	  "a federated login reached the other side but did not carry the user's DIVE attributes back",
	  "dive federation reconcile && dive spoke verify CODE"),
	ROW(KEYCLOAK_CONFIG, KEYCLOAK, HIGH, RECOVERABLE,
	  "updating a realm, client, identity provider or mapper through the admin API failed",
	  "dive spoke deploy CODE --from-phase configuration"),
	ROW(CLIENT_SECRET, KEYCLOAK, HIGH, RECOVERABLE,
	  "a federation client's secret could not be read from or set in Keycloak",
	  "dive spoke deploy CODE --from-phase configuration"),
	ROW(PROTOCOL_MAPPERS, KEYCLOAK, MEDIUM, RECOVERABLE,
	  "the protocol mappers of a client or identity provider could not be set",
	  "dive spoke deploy CODE --from-phase configuration"),
	ROW(OPAL_TOKEN, FEDERATION, MEDIUM, RECOVERABLE,
	  "the OPAL client token that distributes policy to a spoke could not be issued",
	  "dive spoke deploy CODE --from-phase configuration"),
	ROW(REALM_CREATE, KEYCLOAK, HIGH, RECOVERABLE,
	  "creating a realm through the admin API failed",
	  "dive spoke deploy CODE --from-phase configuration"),
	ROW(CLIENT_CREATE, KEYCLOAK, HIGH, RECOVERABLE,
	  "creating a client through the admin API failed",
	  "dive spoke deploy CODE --from-phase configuration"),
	ROW(IDP_CREATE, KEYCLOAK, HIGH, RECOVERABLE,
	  "creating an identity provider through the admin API failed",
	  "dive spoke deploy CODE --from-phase configuration"),
	ROW(KEYCLOAK_UNREACHABLE, KEYCLOAK, CRITICAL, TRANSIENT,
	  "the admin API of the hub's or a spoke's Keycloak cannot be reached",
	  "dive spoke status CODE"),
	ROW(KEYCLOAK_AUTH_FAILED, KEYCLOAK, CRITICAL, PERMANENT,
	  "the Keycloak admin API refused the credentials from the secret provider (401 or 403)",
	  "dive spoke logs CODE SERVICE (the hub: dive hub logs SERVICE)"),
	ROW(MONGODB_UNREACHABLE, FEDERATION, CRITICAL, TRANSIENT,
	  "the MongoDB federation store on the hub cannot be reached",
	  "dive hub status"),
	ROW(FEDERATION_DRIFT, FEDERATION, MEDIUM, RECOVERABLE,
	  "the Keycloak, MongoDB and container layers disagree about which spokes are federated",
	  "dive federation reconcile"),
	ROW(FEDERATION_STATUS, FEDERATION, HIGH, PERMANENT,
	  "the spoke's registration status does not allow the request (already registered, approving a revoked spoke) or another command changed it first",
	  "dive federation status CODE"),
	ROW(FEDERATION_STORE_INVALID, FEDERATION, HIGH, PERMANENT,
	  "a document in the MongoDB federation store is malformed, so the store cannot be trusted (reads fail closed)",
	  "dive federation status CODE"),

	/* 14xx verification after deployment */
	ROW(HEALTH_CHECK, HEALTH, MEDIUM, RECOVERABLE,
	  "a health probe after deployment failed",
	  "dive spoke status CODE"),
	ROW(CONNECTIVITY, NETWORK, MEDIUM, TRANSIENT,
	  "a service is healthy in its container but does not answer on its published host port",
	  "dive spoke ports CODE"),
	ROW(AUTH_FLOW, FEDERATION, HIGH, RECOVERABLE,
	  "a real login through a federated identity provider failed at a named step (broker callback, token, ...)",
	  "dive federation reconcile && dive spoke verify CODE"),
	ROW(API_HEALTH, HEALTH, MEDIUM, RECOVERABLE,
	  "the backend API's health endpoint did not answer OK",
	  "dive spoke status CODE"),
	ROW(DATABASE_CHECK, HEALTH, HIGH, RECOVERABLE,
	  "a database of the stack (PostgreSQL, MongoDB) failed its check",
	  "dive spoke status CODE"),
	ROW(POLICY_DISTRIBUTION, FEDERATION, HIGH, RECOVERABLE,
	  "the hub's policy or trusted issuers did not reach a spoke's OPA, or its decisions are not the expected ones",
	  "dive policy publish && dive spoke verify CODE"),

	/* 15xx run control */
	ROW(INTERNAL, INTERNAL, CRITICAL, PERMANENT,
	  "an unexpected failure inside dive (a bug): report it with the output of the remediation",
	  "dive version"),
	ROW(TIMEOUT, NETWORK, HIGH, TRANSIENT,
	  "an operation used up its retry deadline",
	  "DIVE_RETRY=CLASS.deadline_ms=MS dive spoke deploy CODE --resume"),
	ROW(CANCELLED, INTERNAL, CRITICAL, RECOVERABLE,
	  "the run was stopped by SIGINT or SIGTERM and recorded as INTERRUPTED",
	  "dive spoke deploy CODE --resume"),
	ROW(ROLLBACK_FAILED, STATE, CRITICAL, PERMANENT,
	  "rolling back to the last good checkpoint failed; the instance is between two states",
	  "dive state show CODE"),
	ROW(STATE_INVALID, STATE, HIGH, RECOVERABLE,
	  "the state store and the engine disagree about an instance (recorded state against container labels)",
	  "dive state show CODE"),
	ROW(ERROR_THRESHOLD, INTERNAL, HIGH, PERMANENT,
	  "the errors recorded in the run passed their severity's threshold (the message says which), so the run stopped",
	  "dive errors recent"),

	/* 16xx the state store */
	ROW(STATE_UNREACHABLE, STATE, CRITICAL, TRANSIENT,
	  "the state store (PostgreSQL at --state-url) cannot be reached",
	  "dive db status"),
	ROW(MIGRATION_CHECKSUM, STATE, CRITICAL, PERMANENT,
	  "a migration applied to the state store differs from the copy built into this binary",
	  "dive db status"),
	ROW(SCHEMA_TOO_NEW, STATE, CRITICAL, PERMANENT,
	  "the state store's schema is newer than this binary knows",
	  "dive version"),
	ROW(ILLEGAL_TRANSITION, STATE, HIGH, PERMANENT,
	  "the requested state change is not allowed from the instance's current state",
	  "dive state show CODE"),
	ROW(VERSION_CONFLICT, STATE, HIGH, TRANSIENT,
	  "another run changed the instance first (its version moved on)",
	  "dive state history CODE"),
	ROW(INSTANCE_INTERRUPTED, STATE, HIGH, RECOVERABLE,
	  "the instance's last run ended without finishing (its lock holder is gone)",
	  "dive spoke deploy CODE --resume"),

	/* 17xx locks and circuit breakers */
	ROW(LOCK_HELD, LOCK, HIGH, TRANSIENT,
	  "the instance lock is held by another holder (the message names it)",
	  "dive lock status CODE"),
	ROW(LOCK_LOST, LOCK, CRITICAL, RECOVERABLE,
	  "the session holding the instance lock ended, so the run stopped to keep exclusion",
	  "dive spoke deploy CODE --resume"),
	ROW(CIRCUIT_OPEN, NETWORK, HIGH, TRANSIENT,
	  "calls to an endpoint are refused while its circuit breaker is open",
	  "dive breaker list"),
};

#undef ROW

/* The bash tool's codes whose name or meaning changed; never reused. */
static const struct errcode_legacy legacy_table[] = {
	{ 1004, "SECRET_LOAD", ERRC_SECRET_UNREADABLE, "renamed: secrets come from a provider, not GCP Secret Manager" },
	{ 1005, "SECRET_VALIDATION", ERRC_SECRET_INVALID, "renamed: the provider is not GCP" },
	{ 1006, "GCP_AUTH", ERRC_SECRET_UNREADABLE, "retired: dive has no GCP; secrets come from a provider" },
	{ 1007, "INSTANCE_CONFLICT", ERRC_LOCK_HELD, "retired: a live run holds the instance lock (1701); a dead one leaves the instance interrupted (1606)" },
	{ 1101, "CERT_GENERATION", ERRC_SECRET_MISSING, "retired: dive runs no mkcert; certificates and keys are secrets from the provider" },
	{ 1102, "CERT_COPY", ERRC_SECRET_MISSING, "retired: certificates are not copied around; they are secrets from the provider" },
	{ 1103, "TERRAFORM_INIT", ERRC_KEYCLOAK_CONFIG, "retired: dive has no Terraform; Keycloak is configured through its admin API" },
	{ 1104, "TERRAFORM_APPLY", ERRC_KEYCLOAK_CONFIG, "retired: dive has no Terraform; Keycloak is configured through its admin API" },
	{ 1105, "COMPOSE_GENERATE", ERRC_COMPOSE_PARSE, "renamed: the stack file is read, not generated" },
	{ 1107, "CONFIG_GENERATE", ERRC_CONFIG_INVALID, "renamed: settings are validated before anything changes" },
	{ 1206, "COMPOSE_UP", ERRC_CONTAINER_START, "retired: dive drives the engine API, not docker compose" },
	{ 1207, "STALE_CONTAINER", ERRC_CONTAINER_CONFLICT, "renamed: the name may be taken by a container that is not dive's" },
	{ 1304, "SECRET_SYNC", ERRC_CLIENT_SECRET, "retired: secrets are never copied out of the provider" },
	{ 1404, "FEDERATION_TEST", ERRC_AUTH_FLOW, "retired: merged into AUTH_FLOW" },
	{ 1501, "UNKNOWN", ERRC_INTERNAL, "renamed: a failure dive cannot name is a bug in dive" },
};

/* What each hundred holds, for the document. */
static const struct {
	int base;
	const char *title;
} hundreds[] = {
	{ 1000, "preflight: the hub, the host and secrets, checked before anything changes" },
	{ 1100, "input from flags, the environment, instance configuration, country codes and the stack file" },
	{ 1200, "the Docker engines (local and remote, their TLS), images, containers and service dependencies" },
	{ 1300, "Keycloak, MongoDB and federation" },
	{ 1400, "verification: probes after deployment" },
	{ 1500, "run control: deadlines, cancellation, rollback, internal failures" },
	{ 1600, "the state store: connection, schema, transitions, versions" },
	{ 1700, "locks and circuit breakers" },
};

const struct errcode *errcode_find(int code)
{
	size_t lo = 0, hi = ARRAY_SIZE(errcode_table);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (errcode_table[mid].code == code)
			return &errcode_table[mid];
		if (errcode_table[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct errcode *errcode_find_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(errcode_table); i++)
		if (!strcasecmp(errcode_table[i].name, name))
			return &errcode_table[i];
	return NULL;
}

size_t errcode_count(void)
{
	return ARRAY_SIZE(errcode_table);
}

const struct errcode *errcode_at(size_t i)
{
	return i < ARRAY_SIZE(errcode_table) ? &errcode_table[i] : NULL;
}

const struct errcode_legacy *errcode_legacy_find(int code)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(legacy_table); i++)
		if (legacy_table[i].code == code)
			return &legacy_table[i];
	return NULL;
}

const struct errcode_legacy *errcode_legacy_find_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(legacy_table); i++)
		if (!strcasecmp(legacy_table[i].name, name))
			return &legacy_table[i];
	return NULL;
}

size_t errcode_legacy_count(void)
{
	return ARRAY_SIZE(legacy_table);
}

const struct errcode_legacy *errcode_legacy_at(size_t i)
{
	return i < ARRAY_SIZE(legacy_table) ? &legacy_table[i] : NULL;
}

const char *errcat_name(enum errcat c)
{
	return (unsigned)c < ERRCAT__COUNT ? cat_table[c].name : "unknown";
}

const char *errsev_name(enum errsev s)
{
	return (unsigned)s < ERRSEV__COUNT ? sev_table[s].name : "unknown";
}

const char *errclass_name(enum errclass k)
{
	return (unsigned)k < ERRCLASS__COUNT ? class_table[k].name : "unknown";
}

const char *errcat_meaning(enum errcat c)
{
	return (unsigned)c < ERRCAT__COUNT ? cat_table[c].meaning : "";
}

const char *errsev_meaning(enum errsev s)
{
	return (unsigned)s < ERRSEV__COUNT ? sev_table[s].meaning : "";
}

const char *errclass_meaning(enum errclass k)
{
	return (unsigned)k < ERRCLASS__COUNT ? class_table[k].meaning : "";
}

int errclass_retried(enum errclass k)
{
	return (unsigned)k < ERRCLASS__COUNT && class_table[k].retried;
}

const char *errthr_action_name(enum errthr_action a)
{
	return (unsigned)a < ARRAY_SIZE(action_names) ? action_names[a] : "unknown";
}

int errcat_parse(enum errcat *out, const char *s)
{
	int i;

	for (i = 0; s && i < ERRCAT__COUNT; i++) {
		if (!strcasecmp(cat_table[i].name, s)) {
			*out = (enum errcat)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "'%.64s' is not an error category", s ? s : "");
}

int errsev_parse(enum errsev *out, const char *s)
{
	int i;

	for (i = 0; s && i < ERRSEV__COUNT; i++) {
		if (!strcasecmp(sev_table[i].name, s)) {
			*out = (enum errsev)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "'%.64s' is not a severity (critical, high, medium, low)", s ? s : "");
}

int errclass_parse(enum errclass *out, const char *s)
{
	int i;

	for (i = 0; s && i < ERRCLASS__COUNT; i++) {
		if (!strcasecmp(class_table[i].name, s)) {
			*out = (enum errclass)i;
			return 0;
		}
	}
	return dive_error_set(DIVE_EUSAGE, "'%.64s' is not an error class (transient, permanent, recoverable)",
			      s ? s : "");
}

int errthreshold_exceeded(const int counts[ERRSEV__COUNT], char *why, size_t n)
{
	int worst = ERRTHR_CONTINUE, i;

	if (why && n)
		why[0] = '\0';
	/* Rows run from critical to low, so the first exceeded is the most severe. */
	for (i = 0; i < ERRSEV__COUNT; i++) {
		const struct err_threshold *t = &err_thresholds[i];
		int c = counts[t->sev] > 0 ? counts[t->sev] : 0;

		if (c <= t->max_per_run)
			continue;
		if (worst == ERRTHR_CONTINUE && why && n)
			snprintf(why, n, "%d %s error%s in this run (at most %d allowed)", c,
				 errsev_name(t->sev), c == 1 ? "" : "s", t->max_per_run);
		if ((int)t->action > worst)
			worst = t->action;
	}
	return worst;
}

/* The document. */

static void md_codes_of(FILE *f, int base)
{
	size_t i;

	fprintf(f, "| code | name | category | severity | class | what happened | remediation |\n");
	fprintf(f, "|---:|---|---|---|---|---|---|\n");
	for (i = 0; i < ARRAY_SIZE(errcode_table); i++) {
		const struct errcode *e = &errcode_table[i];

		if (e->code / 100 * 100 != base)
			continue;
		fprintf(f, "| %d | `%s` | %s | %s | %s | %s | `%s` |\n", e->code, e->name,
			errcat_name(e->category), errsev_name(e->severity), errclass_name(e->klass),
			e->summary, e->remediation);
	}
}

int errcodes_render_markdown(FILE *f, int (*retry_section)(FILE *f))
{
	size_t i;

	fprintf(f, "# Error taxonomy\n\n");
	fprintf(f, "<!-- Generated by `dive errors doc`; do not edit. The rows live in src/core/errcodes.c and\n"
		   "     src/engine/retry.c; after changing them run\n"
		   "     ./build/dive errors doc > docs/architecture/error-taxonomy.md\n"
		   "     tests/unit/test_errcodes.c fails while this file and the tables disagree. -->\n\n");
	fprintf(f, "Every failure dive reports carries one code from this table. The code says what failed\n"
		   "(category), how bad it is for the run (severity), whether waiting helps (class), and which\n"
		   "command to run next (remediation). `dive errors list` prints the table, `dive errors explain\n"
		   "CODE` one row; with `--json`, a failing command reports the code as `error.code`.\n\n");
	fprintf(f, "Placeholders in remediations: `CODE` is the instance's country code, `CONTAINER`, `FILE`,\n"
		   "`PORT` and `CLASS` are named in the error message. Remediations are written for a spoke;\n"
		   "for the hub use the same verb of `dive hub`.\n\n");

	fprintf(f, "## Codes by hundreds\n\n| codes | what they cover |\n|---|---|\n");
	for (i = 0; i < ARRAY_SIZE(hundreds); i++)
		fprintf(f, "| %dxx | %s |\n", hundreds[i].base / 100, hundreds[i].title);

	fprintf(f, "\n## Categories\n\n| category | what fails |\n|---|---|\n");
	for (i = 0; i < ERRCAT__COUNT; i++)
		fprintf(f, "| %s | %s |\n", cat_table[i].name, cat_table[i].meaning);

	fprintf(f, "\n## Severities and thresholds\n\n");
	fprintf(f, "An operation records an error once it gives up, after the retries its policy allows. A run\n"
		   "counts the errors recorded by severity, whether or not a repair recovered them (an error\n"
		   "nothing recovered fails its step anyway). When a count passes the number a run may absorb,\n"
		   "the threshold's action applies: `stop` ends the run and rollback follows, `warn` only adds a\n"
		   "warning to the run's report (`errthreshold_exceeded()`).\n\n");
	fprintf(f, "| severity | meaning | a run absorbs | past that | in practice |\n|---|---|---:|---|---|\n");
	for (i = 0; i < ERRSEV__COUNT; i++) {
		const struct err_threshold *t = &err_thresholds[i];

		fprintf(f, "| %s | %s | %d | %s | %s |\n", errsev_name(t->sev), errsev_meaning(t->sev),
			t->max_per_run, errthr_action_name(t->action), t->meaning);
	}

	fprintf(f, "\n## Classes\n\n| class | meaning | retried |\n|---|---|---|\n");
	for (i = 0; i < ERRCLASS__COUNT; i++)
		fprintf(f, "| %s | %s | %s |\n", class_table[i].name, class_table[i].meaning,
			class_table[i].retried ? "yes, under the operation's retry policy" : "no");
	fprintf(f, "\nThe retry driver looks at more than the class (`retry_is_retryable()`): an HTTP 4xx other\n"
		   "than 408, 409 and 429, bad input (`DIVE_EUSAGE`, an oversized input), an interruption, a\n"
		   "refusal by an open circuit breaker and a permanent code are each attempted once.\n"
		   "A recoverable error is retried so that an operation able to repair it (recreate a network,\n"
		   "restart a container) does so before its next attempt; otherwise its remediation names the\n"
		   "repair.\n");

	if (retry_section) {
		fprintf(f, "\n");
		if (retry_section(f) < 0)
			return DIVE_EFAIL;
	}

	fprintf(f, "\n## Codes\n");
	for (i = 0; i < ARRAY_SIZE(hundreds); i++) {
		fprintf(f, "\n### %dxx %s\n\n", hundreds[i].base / 100, hundreds[i].title);
		md_codes_of(f, hundreds[i].base);
	}

	fprintf(f, "\n## Codes of the bash tool\n\n");
	fprintf(f, "Codes 1001-1505 come from the bash `./dive` that dive replaces. Those not listed here kept\n"
		   "their number, name and meaning. A retired number is never given a new meaning;\n"
		   "`dive errors explain` answers for the old numbers and names too.\n\n");
	fprintf(f, "| code | bash name | in dive | why |\n|---:|---|---|---|\n");
	for (i = 0; i < ARRAY_SIZE(legacy_table); i++) {
		const struct errcode_legacy *l = &legacy_table[i];
		const struct errcode *now = errcode_find(l->now);

		if (now)
			fprintf(f, "| %d | `%s` | %d `%s` | %s |\n", l->code, l->name, now->code, now->name, l->note);
		else
			fprintf(f, "| %d | `%s` | none | %s |\n", l->code, l->name, l->note);
	}
	return ferror(f) ? DIVE_EFAIL : 0;
}
