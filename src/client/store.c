/* store.c - the state store connection and its schema (see store.h). */
#include <stdlib.h>
#include <string.h>

#include "dive/error.h"
#include "dive/migrate.h"
#include "dive/pg.h"
#include "dive/store.h"
#include "dive/xalloc.h"

int store_open(struct store **out, const char *url, unsigned flags)
{
	struct migration_set set;
	struct store *s;
	int rc, applied = 0, pending = 0;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	rc = pg_connect(&s->conn, url, "dive");
	if (rc < 0)
		goto fail;
	s->url = xstrdup(url);
	pg_set_reconnect(s->conn, 1);
	rc = migration_set_load(&set, NULL);
	if (rc < 0)
		goto fail;
	if (flags & STORE_MIGRATE)
		rc = migrate_apply(s->conn, &set, &applied);
	else
		rc = migrate_check(s->conn, &set, &pending);
	migration_set_release(&set);
	if (rc < 0)
		goto fail;
	s->pending = pending;
	s->ready = pending == 0;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	pg_set_reconnect(s->conn, 0);
	pg_close(s->conn);
	if (s->url)
		explicit_bzero(s->url, strlen(s->url));
	free(s->url);
	free(s);
}

int store_begin(struct store *s)
{
	return pg_command(s->conn, "BEGIN");
}

int store_commit(struct store *s)
{
	return pg_command(s->conn, "COMMIT");
}

int store_idle(const struct store *s)
{
	return s && s->ready && s->conn && PQstatus(s->conn) == CONNECTION_OK &&
	       PQtransactionStatus(s->conn) == PQTRANS_IDLE;
}

void store_rollback(struct store *s)
{
	pg_command(s->conn, "ROLLBACK");
}
