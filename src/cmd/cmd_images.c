/* cmd_images.c - `dive images ...`: images built locally, nothing pulled. */
#include "cmd.h"

const struct dive_verb cmd_images_verbs[] = {
	{ "build", NULL, 0, -1, DIVE_NEEDS_DOCKER | DIVE_DRY_RUN, NULL, "[IMAGE...]",
	  "build every image the hub and a spoke need, from local programs", 6 },
	{ "list", NULL, 0, 0, DIVE_NEEDS_DOCKER, NULL, NULL, "local images and the production names they stand for", 6 },
	{ NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 },
};
