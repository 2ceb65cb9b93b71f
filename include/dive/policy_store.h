/*
 * policy_store.h - the record of the hub's policy publications
 * (dive.policy_publications, migration 0007): one row per publish, ok or
 * failed.  The last ok row is the revision every spoke must hold.
 *
 * Errors: the state store's (pg.h): DIVE_EUNAVAIL, DIVE_EFAIL.
 */
#ifndef DIVE_POLICY_STORE_H
#define DIVE_POLICY_STORE_H

#include <cjson/cJSON.h>

#include "dive/store.h"

struct policy_pub {
	char revision[72];
	char digest[65];
	char source[1025];
	cJSON *issuers;            /* owned: the trusted issuers it carried */
	int ok;
	char commit[72];
	char detail[1025];
	char actor[256];
	char published_at[40];
};

int policy_store_add(struct store *s, const struct policy_pub *p);
/* The last ok publication: *found 0 when there is none. */
int policy_store_last(struct store *s, struct policy_pub *out, int *found);
void policy_pub_release(struct policy_pub *p);

#endif
