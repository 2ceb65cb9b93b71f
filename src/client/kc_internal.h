/*
 * kc_internal.h - what the kc_*.c files share: name checks, path segments
 * and the create-or-update loop (kc_apply.c).  Not part of the contract.
 *
 * A managed kind of object is a struct kc_kind: how to read it, where to
 * create and update it, where its secret goes.  kc_apply_object() runs the
 * same loop for every kind:
 *
 *   GET -> absent: POST desired (+ secret) -> created
 *          (a POST refused because someone else created it first: GET again)
 *       -> present: diff the managed fields (+ secret where comparable)
 *          -> equal: unchanged; different: one PUT -> updated
 */
#ifndef DIVE_KC_INTERNAL_H
#define DIVE_KC_INTERNAL_H

#include "dive/keycloak.h"

/* The names dive puts in URLs: 1..KC_NAME_MAX printable ASCII bytes (keycloak.c). */
#define KC_NAME_MAX 255
int kc_check_name(const char *what, const char *name);
/* s percent-encoded for one path segment (caller frees). */
char *kc_seg(const char *s);

/* The string under key in obj, or NULL. */
const char *kc_str(const cJSON *obj, const char *key);

struct kc_target {
	const char *realm;
	const char *parent;   /* IdP alias, or a client's id, for mappers; NULL otherwise */
	const char *name;     /* the object's name: its realm, clientId, alias or mapper name */
};

struct kc_kind {
	const char *what;     /* "identity provider", for messages */
	const char *key;      /* the field of desired that names it: "alias" */
	int create_code;      /* taxonomy code of a failed create */
	int update_code;      /* taxonomy code of a failed update */
	int partial_put;      /* PUT desired's fields only (realms), not live merged with them */
	int create_400_raced; /* Keycloak 26 answers 400, not 409, to a second mapper of one name */
	/* 0 with *out, DIVE_ENOTFOUND when absent, or an error. */
	int (*get)(struct kc *kc, cJSON **out, const struct kc_target *t);
	char *(*create_path)(const struct kc_target *t);
	char *(*update_path)(const struct kc_target *t, const cJSON *live);
	/* Where a secret goes in a request body; NULL: the kind has none. */
	void (*put_secret)(cJSON *body, const struct dive_secret *s);
	/* 1 when live holds a different secret; NULL: not comparable (write-only). */
	int (*secret_differs)(const cJSON *live, const struct dive_secret *s);
};

int kc_apply_object(struct kc *kc, struct kc_result *res, const struct kc_kind *k, const struct kc_target *t,
		    const cJSON *desired, const struct dive_secret *secret);

/* DELETE path; 404 is success with KC_UNCHANGED. */
int kc_delete_path(struct kc *kc, struct kc_result *res, const char *path, const char *what, int code);

/*
 * Named sub-objects (mappers): the element of the array at list_path whose
 * "name" is name (0 with *out, or DIVE_ENOTFOUND); kc_dedupe_named() deletes
 * every element with that name but the first (at item_prefix/<id>) and says
 * how many in *removed.
 */
int kc_get_named(struct kc *kc, cJSON **out, const char *list_path, const char *name);
int kc_dedupe_named(struct kc *kc, int *removed, const char *list_path, const char *item_prefix,
		    const char *name, int code);

/* Attach code to the current error unless one is attached already. */
int kc_fail(int rc, int code);

#endif
