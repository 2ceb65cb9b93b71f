/*
 * legacy.h - the predecessor's .dive-state/<code>.state files
 * (reference/predecessor.md §4.5): key=value lines state, timestamp,
 * version, reason, metadata, checksum.  Parsing only; importing is
 * state_import_legacy() in state.h.  Input is bounded and validated; the
 * checksum is not verified because the predecessor's could never match.
 */
#ifndef DIVE_LEGACY_H
#define DIVE_LEGACY_H

#include <stddef.h>

#include "dive/state_machine.h"

#define LEGACY_MAX_BYTES (64 * 1024)

struct legacy_state {
	enum dive_state state;
	char timestamp[64];   /* as written; "" when absent */
	char reason[256];
	char *metadata;       /* the metadata value if it is a JSON object, else NULL; owned */
	char sha256[65];      /* of the whole file, for idempotent imports */
};

/* Parse text (len bytes).  DIVE_EUSAGE with a reason on bad input. */
int legacy_state_parse(struct legacy_state *out, const char *text, size_t len);
void legacy_state_release(struct legacy_state *ls);

#endif
