/*
 * itest.h - what every integration test shares: settings from the
 * environment written by tests/env/up (tests/run sources tests/env/.env).
 * A missing setting fails the test: integration tests never skip silently.
 */
#ifndef DIVE_ITEST_H
#define DIVE_ITEST_H

#include <stdio.h>
#include <stdlib.h>

static inline const char *itest_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "%s is not set: run tests/env/up and source tests/env/.env\n", name);
		fail();
	}
	return v;
}

#endif
