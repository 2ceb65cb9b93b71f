/* exitcode.c - error -> exit code mapping, the one place (see exitcode.h). */
#include <stddef.h>

#include "dive/error.h"
#include "dive/exitcode.h"

const struct dive_exit_info dive_exit_table[] = {
	{ DIVE_EXIT_OK, "ok", "success; for status verbs: everything checked is healthy" },
	{ DIVE_EXIT_FAILURE, "failure", "the command failed (its output could not be written, too); the last line says what and what to do" },
	{ DIVE_EXIT_USAGE, "usage", "bad input (flags, arguments, country code, YAML, JSON, environment); nothing was changed" },
	{ DIVE_EXIT_UNHEALTHY, "unhealthy", "status verbs: something is degraded or unhealthy" },
	{ DIVE_EXIT_LOCKED, "locked", "a lock needed by the command is held by another holder (shown), or a run lost its lock (LOCK_LOST: resume it)" },
	{ DIVE_EXIT_DRIFT, "drift", "audit verbs: the layers disagree (drift found)" },
	{ DIVE_EXIT_CONFLICT, "conflict", "a concurrent change won (version conflict) or the transition is illegal" },
	{ DIVE_EXIT_UNAVAILABLE, "unavailable", "a server dive needs could not be reached, or its circuit breaker is open" },
	{ DIVE_EXIT_TLS, "tls", "a certificate or key was refused or cannot be used (untrusted, rejected, expired, unreadable); the hint names the fix" },
	{ DIVE_EXIT_NOT_IMPLEMENTED, "not-implemented", "the verb is part of the design but its issue has not landed yet" },
	{ DIVE_EXIT_INTERRUPTED, "interrupted", "stopped by SIGINT or SIGTERM; the run is recorded as INTERRUPTED, a wait for a lock ends at once" },
	{ 0, NULL, NULL },
};

int dive_exit_from_err(int err)
{
	switch (err) {
	case DIVE_OK:
		return DIVE_EXIT_OK;
	case DIVE_EUSAGE:
	case DIVE_ETOOBIG:
		return DIVE_EXIT_USAGE;
	case DIVE_EUNHEALTHY:
		return DIVE_EXIT_UNHEALTHY;
	case DIVE_ELOCKED:
		return DIVE_EXIT_LOCKED;
	case DIVE_EDRIFT:
		return DIVE_EXIT_DRIFT;
	case DIVE_ECONFLICT:
		return DIVE_EXIT_CONFLICT;
	case DIVE_EUNAVAIL:
	case DIVE_ECIRCUIT:
		return DIVE_EXIT_UNAVAILABLE;
	case DIVE_ETLS:
		return DIVE_EXIT_TLS;
	case DIVE_ENOTIMPL:
		return DIVE_EXIT_NOT_IMPLEMENTED;
	case DIVE_EINTR:
		return DIVE_EXIT_INTERRUPTED;
	default:
		return DIVE_EXIT_FAILURE;
	}
}
