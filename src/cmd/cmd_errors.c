/* cmd_errors.c - `dive errors ...`: the error taxonomy and recorded errors. */
#include "cmd.h"

const struct dive_verb cmd_errors_verbs[] = {
	{ "list", NULL, 0, 0, 0, NULL, NULL, "every error code with its remediation", 4 },
	{ "explain", NULL, 1, 1, 0, NULL, "CODE", "what an error code means and what to do", 4 },
	{ "recent", NULL, 0, 1, DIVE_NEEDS_STATE, NULL, "[CODE]", "errors recorded by recent runs", 4 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
