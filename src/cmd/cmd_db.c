/* cmd_db.c - `dive db ...`: the state store schema. */
#include "cmd.h"

const struct dive_verb cmd_db_verbs[] = {
	{ "migrate", NULL, 0, 0, 0, NULL, NULL, "apply pending migrations", 3 },
	{ "status", NULL, 0, 0, 0, NULL, NULL, "applied and pending migrations", 3 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
