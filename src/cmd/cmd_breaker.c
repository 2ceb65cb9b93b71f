/* cmd_breaker.c - `dive breaker ...`: circuit breakers in the state store. */
#include "cmd.h"

const struct dive_verb cmd_breaker_verbs[] = {
	{ "list", NULL, 0, 0, DIVE_NEEDS_STATE, NULL, NULL, "every breaker and its state", 4 },
	{ "show", NULL, 1, 1, DIVE_NEEDS_STATE, NULL, "NAME", "one breaker in detail", 4 },
	{ "open", NULL, 1, 1, DIVE_NEEDS_STATE, NULL, "NAME", "force a breaker open", 4 },
	{ "close", NULL, 1, 1, DIVE_NEEDS_STATE, NULL, "NAME", "force a breaker closed", 4 },
	{ "reset", NULL, 1, 1, DIVE_NEEDS_STATE, NULL, "NAME", "forget a breaker's history", 4 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
