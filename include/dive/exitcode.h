/*
 * exitcode.h - the process exit codes, in one place.
 *
 * Documented in docs/exit-codes.md; tests/unit/test_exitcode.c checks that the
 * document and this table agree.  Add a row to exit_table in
 * src/core/exitcode.c and a line to the document together.
 */
#ifndef DIVE_EXITCODE_H
#define DIVE_EXITCODE_H

enum dive_exit {
	DIVE_EXIT_OK = 0,
	DIVE_EXIT_FAILURE = 1,
	DIVE_EXIT_USAGE = 2,
	DIVE_EXIT_UNHEALTHY = 3,
	DIVE_EXIT_LOCKED = 4,
	DIVE_EXIT_DRIFT = 5,
	DIVE_EXIT_CONFLICT = 6,
	DIVE_EXIT_UNAVAILABLE = 7,
	DIVE_EXIT_TLS = 8,
	DIVE_EXIT_NOT_IMPLEMENTED = 69,
	DIVE_EXIT_INTERRUPTED = 130,
};

struct dive_exit_info {
	int code;
	const char *name;
	const char *meaning;
};

/* Map a DIVE_E* return value to the exit code. */
int dive_exit_from_err(int err);

/* The table, for docs and tests; terminated by a row with name == NULL. */
extern const struct dive_exit_info dive_exit_table[];

#endif
