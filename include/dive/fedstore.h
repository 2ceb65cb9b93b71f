/*
 * fedstore.h - the MongoDB federation store: which spokes are registered and
 * in which status.  It is the truth the federation reconciler repairs
 * Keycloak toward (DESIGN.md §5); dive is its only writer.
 *
 * Database: the hub's, "dive-v3" unless the caller names another.
 * Collections:
 *   federation_spokes         one registration document per spoke
 *   federation_spoke_history  one document per status change, _id
 *                             "<spokeId>:<rev>" (see "Atomicity" below)
 *
 * The registration document (predecessor §8.2, without any secret or token):
 *   spokeId ("spoke-<code>-<8hex>", new at each registration), instanceCode
 *   (upper case, unique index), name, baseUrl, apiUrl, idpUrl (the spoke's
 *   Keycloak as the hub reaches it), idpPublicUrl (as a browser reaches it,
 *   optional), status, approvedAt, approvedBy, suspendedReason,
 *   revokedReason, allowedPolicyScopes[], createdAt, updatedAt (BSON dates),
 *   rev (the number of status changes since this registration).
 *
 * Lifecycle (fed_status_allowed()):
 *
 *   pending --approve--> approved --suspend--> suspended --approve--> approved
 *      |                    |                      |
 *      +------revoke--------+--------revoke--------+--> revoked (terminal)
 *
 * A revoked spoke can only register again, which replaces the revoked
 * document with a new pending registration (new spokeId).  Registering a
 * spoke that is registered and not revoked is DIVE_ECONFLICT.
 *
 * Atomicity.  FerretDB 1.24 has no transactions, and its findAndModify and
 * update read the matching document and then write it back by _id: the
 * filter on the expected status is not checked again at the write, so two
 * concurrent "approve" calls both succeed (measured: 298 of 300 rounds).
 * What it does enforce atomically is a unique key on insert.  So a status
 * change first inserts its history document, keyed "<spokeId>:<rev+1>":
 * exactly one of two concurrent changes gets that key, the other gets
 * DIVE_ECONFLICT.  The winner then writes the registration document (filter
 * on spokeId and rev).  The history document carries the whole change, so
 * if the winner dies between the two writes, the next writer that finds
 * that key taken and older than FEDSTORE_CLAIM_GRACE_S applies it for it
 * (readers see the previous status until then).  Each handle marks its
 * records with a random owner, so a handle repeating its own change (a retry
 * after a lost answer) finishes it and succeeds, while any other handle gets
 * DIVE_ECONFLICT.  Every operation is a single-document operation; nothing
 * relies on sessions or endSessions.
 *
 * Reads fail closed: a server that cannot be reached, a cursor error or a
 * malformed document is an error (never an empty or partial list), so the
 * public IdP list cannot show what the store would not confirm.
 *
 * Errors: DIVE_EUSAGE (bad input, nothing written), DIVE_ENOTFOUND (no
 * registration for the code), DIVE_ECONFLICT (already registered, a status
 * change the lifecycle does not allow, or another command changed it first;
 * code ERRC_FEDERATION_STATUS), DIVE_EUNAVAIL (ERRC_MONGODB_UNREACHABLE),
 * DIVE_ETOOBIG (more than FEDSTORE_LIST_MAX registrations), DIVE_EFAIL
 * (ERRC_FEDERATION_STORE_INVALID for a malformed document).
 */
#ifndef DIVE_FEDSTORE_H
#define DIVE_FEDSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "dive/mongo.h"

#define FEDSTORE_DEFAULT_DB "dive-v3"
#define FEDSTORE_COLLECTION "federation_spokes"
#define FEDSTORE_HISTORY "federation_spoke_history"
#define FEDSTORE_LIST_MAX 1024
#define FEDSTORE_SCOPES_MAX 32
#define FEDSTORE_CLAIM_GRACE_S 120

enum fed_status {
	FED_PENDING,
	FED_APPROVED,
	FED_SUSPENDED,
	FED_REVOKED,
	FED_STATUS__COUNT
};

/* "pending", "approved", "suspended", "revoked"; "unknown" out of range. */
const char *fed_status_name(enum fed_status s);
/* Exact lower-case name; DIVE_EUSAGE with the message set otherwise. */
int fed_status_parse(enum fed_status *out, const char *s);
/* Whether the lifecycle allows from -> to (never from == to). */
int fed_status_allowed(enum fed_status from, enum fed_status to);

/* What an operator or the pipeline registers. */
struct fed_registration {
	const char *code;            /* three letters, any case; the caller checks the country table */
	const char *name;            /* display name, at most 128 printable bytes */
	const char *base_url;        /* the spoke's frontend */
	const char *api_url;         /* its backend API */
	const char *idp_url;         /* its Keycloak as the hub reaches it */
	const char *idp_public_url;  /* as a browser reaches it; may be NULL */
	const char *const *scopes;   /* allowedPolicyScopes, NULL-terminated, may be NULL */
};

/*
 * A registration as stored.  Strings are owned; release with
 * fed_spoke_release().  Functions that take a struct fed_spoke *out zero it
 * first, so releasing it after any return is always right (and needed after
 * a DIVE_ECONFLICT, which fills it).
 */
struct fed_spoke {
	char spoke_id[24];           /* "spoke-deu-1a2b3c4d" */
	char code[4];                /* "DEU" */
	char *name, *base_url, *api_url, *idp_url, *idp_public_url;
	enum fed_status status;
	int64_t rev;
	int64_t created_at, updated_at, approved_at;   /* ms since the epoch; 0 when unset */
	char *approved_by, *suspended_reason, *revoked_reason;
	char **scopes;
	size_t n_scopes;
};

struct fed_spoke_list {
	struct fed_spoke *v;
	size_t n;
};

void fed_spoke_release(struct fed_spoke *s);
void fed_spoke_list_release(struct fed_spoke_list *l);

/* Validate a registration without touching the store (the same checks register makes). */
int fed_registration_check(const struct fed_registration *reg);

struct fedstore;

/*
 * Open the store on an open connection (borrowed: close the store before
 * the connection).  db NULL means FEDSTORE_DEFAULT_DB.  Nothing is sent.
 */
int fedstore_open(struct fedstore **out, struct mongo *m, const char *db);
void fedstore_close(struct fedstore *fs);

/* Create the indexes (unique instanceCode, unique spokeId, status); idempotent. */
int fedstore_ensure_indexes(struct fedstore *fs);

/*
 * Register a spoke as pending (ensures the indexes first).  *out receives
 * the stored document.  A registration that exists and is not revoked:
 * DIVE_ECONFLICT, "spoke 'DEU' is already registered (approved)".
 */
int fedstore_register(struct fedstore *fs, struct fed_spoke *out, const struct fed_registration *reg);

/* The registration of code (any case); DIVE_ENOTFOUND when none. */
int fedstore_get(struct fedstore *fs, struct fed_spoke *out, const char *code);
/* Every registration, ordered by instanceCode. */
int fedstore_list(struct fedstore *fs, struct fed_spoke_list *out);

/*
 * Change the status of code to `to`.  note is approvedBy for approved,
 * suspendedReason for suspended, revokedReason for revoked (at most 256
 * printable bytes; may be NULL).  On success *out is the new document.  When
 * the lifecycle refuses the change, or another command changed the status
 * first, returns DIVE_ECONFLICT and, if out is not NULL, *out holds the
 * document as it is now (so "already approved" can be told apart).  The same
 * handle repeating a change it made succeeds without a second change.
 */
int fedstore_transition(struct fedstore *fs, struct fed_spoke *out, const char *code, enum fed_status to,
			const char *note);
int fedstore_approve(struct fedstore *fs, struct fed_spoke *out, const char *code, const char *by);
int fedstore_suspend(struct fedstore *fs, struct fed_spoke *out, const char *code, const char *reason);
int fedstore_revoke(struct fedstore *fs, struct fed_spoke *out, const char *code, const char *reason);

#endif
