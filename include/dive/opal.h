/*
 * opal.h - the hub's OPAL server, as dive talks to it: a client token for
 * a spoke, minted with the master token (POST <base>/token).
 *
 * The master token and the minted token are secrets: they travel as struct
 * dive_secret, in the Authorization header and the answer only.  A token
 * is a JWT the server signs; a spoke's opal-client presents it.
 *
 * Errors: the transport's (http.h), DIVE_EUSAGE with ERRC_OPAL_TOKEN for a
 * master token the server refuses (401/403), DIVE_EFAIL with ERRC_OPAL_TOKEN
 * for any other answer.
 */
#ifndef DIVE_OPAL_H
#define DIVE_OPAL_H

#include "dive/http.h"
#include "dive/secret.h"

int opal_mint_client_token(struct http_transport *t, struct dive_secret *out, const char *base_url,
			   const struct dive_secret *master);

/*
 * Whether the server still takes a client token (GET <base>/policy?path=dive
 * with it): 0 yes, DIVE_EUSAGE with ERRC_OPAL_TOKEN when it refuses it (the
 * server's keys changed, or the value never was a token), the transport's
 * error when it cannot say.
 */
int opal_client_token_check(struct http_transport *t, const char *base_url, const struct dive_secret *token);

#endif
