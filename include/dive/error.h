/*
 * error.h - return codes and the thread-local "last error" slot.
 *
 * Contract (after libgit2): a function that fails returns a negative
 * DIVE_E* value and, where the detail is known, sets the message once with
 * dive_error_set().  Callers pass the code up unchanged and never replace the
 * message; only commands (src/cmd/) read it and talk to the user.
 *
 * Messages follow git's style: lowercase, no final period, names quoted.
 */
#ifndef DIVE_ERROR_H
#define DIVE_ERROR_H

#include <stdarg.h>

enum dive_err {
	DIVE_OK = 0,
	DIVE_EFAIL = -1,        /* generic failure */
	DIVE_EUSAGE = -2,       /* bad input: flags, codes, files, environment */
	DIVE_ENOTFOUND = -3,    /* object does not exist */
	DIVE_ELOCKED = -4,      /* a lock is held by someone else */
	DIVE_ECONFLICT = -5,    /* optimistic concurrency lost, or already exists */
	DIVE_ETIMEOUT = -6,     /* a deadline passed */
	DIVE_EUNAVAIL = -7,     /* a server could not be reached */
	DIVE_ENOTIMPL = -8,     /* the verb exists but its issue has not landed */
	DIVE_EUNHEALTHY = -9,   /* something is running but not healthy */
	DIVE_EDRIFT = -10,      /* layers disagree */
	DIVE_ETOOBIG = -11,     /* a bounded input exceeded its cap */
	DIVE_EINTR = -12,       /* interrupted by a signal */
	DIVE_ECIRCUIT = -13,    /* refused by an open circuit breaker */
	DIVE_ETLS = -14,        /* a certificate or key was refused or cannot be used */
};

/* Longest message kept, the final NUL included; longer ones are cut. */
#define DIVE_ERROR_MAX 1024

/* Set the last error message; returns err so it can be used as
 * `return dive_error_set(DIVE_EUSAGE, "...")`. */
int dive_error_set(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dive_error_vset(int err, const char *fmt, va_list ap);

/* Attach a taxonomy code (see errcodes.h) to the current error. */
void dive_error_set_code(int taxonomy_code);
/* dive_error_set() and dive_error_set_code() in one call; returns err. */
int dive_error_setc(int err, int taxonomy_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The last message, or "" when none was set.  Valid until the next set. */
const char *dive_error_last(void);
/* The last DIVE_E* value passed to dive_error_set, or DIVE_OK. */
int dive_error_last_err(void);
/* The taxonomy code attached to the last error, or 0. */
int dive_error_last_code(void);
void dive_error_clear(void);

/*
 * A copy of the whole slot (message, DIVE_E* value, taxonomy code), for code
 * that must run something which may set an error of its own (a cleanup, a
 * report) and then hand back the error it had.  Never pass dive_error_last()
 * as an argument of dive_error_set(): the message would be formatted into
 * itself.  Save it first, or use dive_error_wrap().
 */
struct dive_error_saved {
	char msg[DIVE_ERROR_MAX];
	int err;
	int code;
};
void dive_error_save(struct dive_error_saved *out);
/* Put the saved slot back; returns its DIVE_E* value. */
int dive_error_restore(const struct dive_error_saved *in);
/*
 * "<fmt>: <the message so far>" with err, keeping the taxonomy code already
 * attached (set another after it if the wrapper knows better).  Returns err.
 */
int dive_error_wrap(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Short name of a DIVE_E* value, e.g. "usage" (for --json output). */
const char *dive_err_name(int err);

#endif
