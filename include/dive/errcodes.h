/*
 * errcodes.h - the error taxonomy as data: every failure dive can report has
 * one row here with its category, severity, class and a remediation command.
 *
 * The table lives in src/core/errcodes.c, grouped by hundreds:
 *
 *   10xx preflight: the hub, the host and secrets, before anything changes
 *   11xx input: instance configuration, country codes, the stack file
 *   12xx the Docker engines (local and remote, their TLS), containers and service dependencies
 *   13xx Keycloak, MongoDB and federation configuration
 *   14xx verification: probes after deployment
 *   15xx run control: timeouts, cancellation, rollback, internal failures
 *   16xx the state store: connection, schema, transitions, versions
 *   17xx locks and circuit breakers
 *
 * Codes 1001-1505 keep the numbers of the bash tool where the meaning
 * survived; its codes that meant Terraform, GCP or mkcert are retired and
 * listed in errcode_legacy[] with what replaces them.  A code is never
 * reused for another meaning.
 *
 * To add a code: add its enumerator to enum errc below and its row to
 * errcode_table in src/core/errcodes.c (in its hundred, in code order, with a
 * remediation the operator can run), then regenerate the
 * document: ./build/dive errors doc > docs/architecture/error-taxonomy.md
 * (tests/unit/test_errcodes.c fails until the two agree).
 */
#ifndef DIVE_ERRCODES_H
#define DIVE_ERRCODES_H

#include <stddef.h>
#include <stdio.h>

enum errcat {
	ERRCAT_STATE,
	ERRCAT_LOCK,
	ERRCAT_DOCKER,
	ERRCAT_HEALTH,
	ERRCAT_KEYCLOAK,
	ERRCAT_FEDERATION,
	ERRCAT_CONFIG,
	ERRCAT_SECRETS,
	ERRCAT_NETWORK,
	ERRCAT_INTERNAL,
	ERRCAT__COUNT
};

/* Ordered from worst to mildest: a lower value is more severe. */
enum errsev {
	ERRSEV_CRITICAL,
	ERRSEV_HIGH,
	ERRSEV_MEDIUM,
	ERRSEV_LOW,
	ERRSEV__COUNT
};

enum errclass {
	ERRCLASS_TRANSIENT,     /* goes away with time: retried with backoff */
	ERRCLASS_PERMANENT,     /* needs the operator: attempted once */
	ERRCLASS_RECOVERABLE,   /* a known repair makes the next attempt succeed */
	ERRCLASS__COUNT
};

/*
 * The codes, for callers: dive_error_set_code(ERRC_SERVICE_TIMEOUT).  Each
 * has one row in errcode_table; the row's name is this enumerator's.
 */
enum errc {
	ERRC_HUB_NOT_FOUND = 1001,
	ERRC_HUB_UNHEALTHY = 1002,
	ERRC_NETWORK_SETUP = 1003,
	ERRC_SECRET_UNREADABLE = 1004,
	ERRC_SECRET_INVALID = 1005,
	ERRC_SECRET_MISSING = 1008,
	ERRC_SECRET_BAD_MODE = 1009,
	ERRC_PORT_IN_USE = 1010,
	ERRC_DISK_SPACE_LOW = 1011,
	ERRC_VAULT_UNREACHABLE = 1012,
	ERRC_VAULT_SEALED = 1013,
	ERRC_VAULT_DENIED = 1014,
	ERRC_VAULT_TLS = 1015,

	ERRC_COMPOSE_PARSE = 1105,
	ERRC_DIRECTORY_SETUP = 1106,
	ERRC_CONFIG_INVALID = 1107,
	ERRC_DEPENDENCY_UNDEFINED = 1108,
	ERRC_DEPENDENCY_CYCLE = 1109,
	ERRC_COUNTRY_CODE_INVALID = 1110,
	ERRC_INSTANCE_CONFIG = 1111,
	ERRC_INSTANCE_SECRET = 1112,

	ERRC_CONTAINER_START = 1201,
	ERRC_CONTAINER_UNHEALTHY = 1202,
	ERRC_SERVICE_DEPENDENCY = 1203,
	ERRC_SERVICE_TIMEOUT = 1204,
	ERRC_VOLUME_CREATE = 1205,
	ERRC_CONTAINER_CONFLICT = 1207,
	ERRC_DOCKER_UNREACHABLE = 1208,
	ERRC_IMAGE_MISSING = 1209,
	ERRC_CONTAINER_EXITED = 1210,
	ERRC_ENGINE_TLS_UNTRUSTED = 1211,
	ERRC_ENGINE_TLS_REJECTED = 1212,
	ERRC_TLS_CERT_EXPIRED = 1213,
	ERRC_TLS_MATERIAL_INVALID = 1214,
	ERRC_TLS_CERT_EXPIRING = 1215,
	ERRC_ENGINE_UNKNOWN = 1216,
	ERRC_ENGINE_IN_USE = 1217,
	ERRC_IMAGE_COPY = 1218,
	ERRC_PKI_MISSING = 1219,
	ERRC_ENGINE_MOVE = 1220,

	ERRC_FEDERATION_SETUP = 1301,
	ERRC_FEDERATION_REGISTER = 1302,
	ERRC_FEDERATION_VERIFY = 1303,
	ERRC_KEYCLOAK_CONFIG = 1305,
	ERRC_CLIENT_SECRET = 1306,
	ERRC_PROTOCOL_MAPPERS = 1307,
	ERRC_OPAL_TOKEN = 1308,
	ERRC_REALM_CREATE = 1309,
	ERRC_CLIENT_CREATE = 1310,
	ERRC_IDP_CREATE = 1311,
	ERRC_KEYCLOAK_UNREACHABLE = 1312,
	ERRC_KEYCLOAK_AUTH_FAILED = 1313,
	ERRC_MONGODB_UNREACHABLE = 1314,
	ERRC_FEDERATION_DRIFT = 1315,
	ERRC_FEDERATION_STATUS = 1316,
	ERRC_FEDERATION_STORE_INVALID = 1317,

	ERRC_HEALTH_CHECK = 1401,
	ERRC_CONNECTIVITY = 1402,
	ERRC_AUTH_FLOW = 1403,
	ERRC_API_HEALTH = 1405,
	ERRC_DATABASE_CHECK = 1406,
	ERRC_POLICY_DISTRIBUTION = 1407,

	ERRC_INTERNAL = 1501,
	ERRC_TIMEOUT = 1502,
	ERRC_CANCELLED = 1503,
	ERRC_ROLLBACK_FAILED = 1504,
	ERRC_STATE_INVALID = 1505,
	ERRC_ERROR_THRESHOLD = 1506,

	ERRC_STATE_UNREACHABLE = 1601,
	ERRC_MIGRATION_CHECKSUM = 1602,
	ERRC_SCHEMA_TOO_NEW = 1603,
	ERRC_ILLEGAL_TRANSITION = 1604,
	ERRC_VERSION_CONFLICT = 1605,
	ERRC_INSTANCE_INTERRUPTED = 1606,

	ERRC_LOCK_HELD = 1701,
	ERRC_LOCK_LOST = 1702,
	ERRC_CIRCUIT_OPEN = 1703,
};

struct errcode {
	int code;
	const char *name;          /* UPPER_SNAKE, e.g. "HUB_NOT_FOUND" */
	enum errcat category;
	enum errsev severity;
	enum errclass klass;
	const char *summary;       /* what happened, lowercase, no final period */
	const char *remediation;   /* a command the operator can run */
};

/* A code of the bash tool that dive renamed or retired. */
struct errcode_legacy {
	int code;
	const char *name;          /* the bash tool's name */
	int now;                   /* the dive code that carries the meaning, 0 if none */
	const char *note;          /* why it changed */
};

/* Lookups; NULL when unknown.  Names compare case-insensitively. */
const struct errcode *errcode_find(int code);
const struct errcode *errcode_find_name(const char *name);
/* Iteration in code order: for (i = 0; i < errcode_count(); i++) errcode_at(i). */
size_t errcode_count(void);
const struct errcode *errcode_at(size_t i);

/* The bash tool's renamed and retired codes, by number or old name. */
const struct errcode_legacy *errcode_legacy_find(int code);
const struct errcode_legacy *errcode_legacy_find_name(const char *name);
size_t errcode_legacy_count(void);
const struct errcode_legacy *errcode_legacy_at(size_t i);

/*
 * Enum <-> string, one table each.  *_name() returns "unknown" for a value
 * out of range; *_parse() accepts the name in any case and returns 0, or
 * DIVE_EUSAGE (with the message set) and leaves *out alone.
 */
const char *errcat_name(enum errcat c);
const char *errsev_name(enum errsev s);
const char *errclass_name(enum errclass k);
int errcat_parse(enum errcat *out, const char *s);
int errsev_parse(enum errsev *out, const char *s);
int errclass_parse(enum errclass *out, const char *s);
/* One line on what a value means (for help and the document). */
const char *errcat_meaning(enum errcat c);
const char *errsev_meaning(enum errsev s);
const char *errclass_meaning(enum errclass k);
/* Whether the retry driver (retry.h) retries failures of this class. */
int errclass_retried(enum errclass k);

/*
 * Per-severity thresholds: how many errors of a severity one run absorbs.
 *
 * An operation records an error once it gives up, after the retries its
 * policy allows.  counts[] are the errors of each severity recorded during
 * the run so far, whether or not a repair recovered them (an error nothing
 * recovered fails its step anyway).  A threshold is exceeded when
 * counts[sev] > max_per_run; its action then applies: ERRTHR_STOP ends the
 * run (rollback follows), ERRTHR_WARN only adds a warning to the run's report.
 *
 *   critical  0   stop   the first one ends the run; no recovery is tried
 *   high      1   stop   one recovered error is tolerated; the second stops
 *   medium    3   stop   the run degrades; the fourth stops it
 *   low       10  warn   never stops; past ten the report says so
 */
enum errthr_action {
	ERRTHR_CONTINUE = 0,
	ERRTHR_WARN = 1,
	ERRTHR_STOP = 2,
};

struct err_threshold {
	enum errsev sev;
	int max_per_run;
	enum errthr_action action;
	const char *meaning;
};

/* One row per severity, indexed by it: err_thresholds[ERRSEV_HIGH]. */
extern const struct err_threshold err_thresholds[ERRSEV__COUNT];

const char *errthr_action_name(enum errthr_action a);

/*
 * The strongest action any exceeded threshold asks for (ERRTHR_CONTINUE when
 * none is).  When one is exceeded and why is not NULL, why gets one line for
 * the most severe, e.g. "2 high errors in this run (at most 1 allowed)".
 * Negative counts are treated as 0.
 */
int errthreshold_exceeded(const int counts[ERRSEV__COUNT], char *why, size_t n);

/*
 * Write docs/architecture/error-taxonomy.md: categories, severities with
 * their thresholds, classes, the retry policies (written by retry_section,
 * which lives above this layer: pass retry_render_markdown from retry.h, or
 * NULL to leave the section out), every code, then the bash tool's codes.
 * Returns 0, or DIVE_EFAIL when writing to f failed.
 */
int errcodes_render_markdown(FILE *f, int (*retry_section)(FILE *f));

#endif
