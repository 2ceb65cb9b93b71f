/* migrate.c - forward-only migrations with checksums (see migrate.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dive/buf.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/file.h"
#include "dive/lock.h"
#include "dive/log.h"
#include "dive/migrate.h"
#include "dive/pg.h"
#include "dive/settings.h"
#include "dive/sha256.h"
#include "dive/xalloc.h"

#define MIGRATION_MAX_FILES 1000
#define MIGRATION_MAX_BYTES (1u << 20)

static const char sql_schema[] = "CREATE SCHEMA IF NOT EXISTS dive";
static const char sql_bootstrap[] =
	"CREATE TABLE IF NOT EXISTS dive.schema_migrations ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL UNIQUE,"
	" checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
	" applied_at timestamptz NOT NULL DEFAULT now(),"
	" applied_by text NOT NULL DEFAULT current_user)";

static const char sql_has_table[] = "SELECT to_regclass('dive.schema_migrations') IS NOT NULL";

static const char sql_applied[] =
	"SELECT version, name, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM dive.schema_migrations ORDER BY version";

static const char sql_record[] =
	"INSERT INTO dive.schema_migrations (version, name, checksum) VALUES ($1::int, $2, $3)";

static const char sql_lock[] = "SELECT pg_advisory_lock($1::int, $2::int)";
static const char sql_unlock[] = "SELECT pg_advisory_unlock($1::int, $2::int)";

const char *migration_state_name(enum migration_state st)
{
	switch (st) {
	case MIGRATION_APPLIED:
		return "applied";
	case MIGRATION_PENDING:
		return "pending";
	case MIGRATION_CHANGED:
		return "changed";
	default:
		return "unknown";
	}
}

static int valid_name(const char *n)
{
	size_t len = strlen(n), i;

	if (len < 10 || len > 100 || strcmp(n + len - 4, ".sql"))
		return 0;
	for (i = 0; i < 4; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	if (n[4] != '_')
		return 0;
	for (i = 5; i < len - 4; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return 0;
	return 1;
}

static int cmp_migration(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->name, ((const struct migration *)b)->name);
}

static int read_file(char **out, size_t *len, const char *path)
{
	struct dive_buf b;
	int rc = dive_file_read(&b, path, MIGRATION_MAX_BYTES, "migration");

	if (rc < 0) {
		dive_buf_release(&b);
		if (rc == DIVE_ETOOBIG || rc == DIVE_ENOTFOUND) {
			/* a migration that cannot be read is bad input, whatever the reason */
			struct dive_error_saved sv;

			dive_error_save(&sv);
			sv.err = DIVE_EUSAGE;
			return dive_error_restore(&sv);
		}
		return rc;
	}
	*len = b.len;
	*out = dive_buf_detach(&b);
	return 0;
}

int migration_set_load(struct migration_set *out, const char *dir)
{
	struct dirent *e;
	DIR *d;
	size_t cap = 16;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!dir) {
		dir = settings_getenv("DIVE_MIGRATIONS_DIR");
	}
	if (!dir) {
		while (dive_migrations_embedded[out->n].name)
			out->n++;
		out->items = (struct migration *)dive_migrations_embedded;
		return 0;
	}
	d = opendir(dir);
	if (!d)
		return dive_error_set(DIVE_EUSAGE, "cannot open migrations directory '%.200s'", dir);
	out->owned = 1;
	out->items = xcalloc(cap, sizeof(*out->items));
	while ((e = readdir(d))) {
		char *path, *sql = NULL;
		size_t len = 0;

		if (e->d_name[0] == '.' || strlen(e->d_name) < 4 || strcmp(e->d_name + strlen(e->d_name) - 4, ".sql"))
			continue;
		if (!valid_name(e->d_name)) {
			rc = dive_error_set(DIVE_EUSAGE, "migration file '%.100s' is not named NNNN_<what>.sql",
					    e->d_name);
			break;
		}
		if (out->n >= MIGRATION_MAX_FILES) {
			rc = dive_error_set(DIVE_EUSAGE, "more than %d migrations in '%.200s'", MIGRATION_MAX_FILES, dir);
			break;
		}
		path = xasprintf("%s/%s", dir, e->d_name);
		rc = read_file(&sql, &len, path);
		free(path);
		if (rc < 0)
			break;
		if (out->n == cap)
			out->items = xrealloc(out->items, (cap *= 2) * sizeof(*out->items));
		out->items[out->n].name = xstrdup(e->d_name);
		out->items[out->n].sql = sql;
		out->items[out->n].len = len;
		out->n++;
	}
	closedir(d);
	if (rc < 0) {
		migration_set_release(out);
		return rc;
	}
	qsort(out->items, out->n, sizeof(*out->items), cmp_migration);
	return 0;
}

void migration_set_release(struct migration_set *s)
{
	size_t i;

	if (s->owned) {
		for (i = 0; i < s->n; i++) {
			free((char *)s->items[i].name);
			free((char *)s->items[i].sql);
		}
		free(s->items);
	}
	memset(s, 0, sizeof(*s));
}

static int version_of(const char *name)
{
	return atoi(name);
}

int migrate_status(PGconn *c, const struct migration_set *s, struct migration_status **out, size_t *n)
{
	PGresult *res = NULL;
	struct migration_status *rows;
	size_t i, nrows = 0;
	int r, rc, has = 0;

	*out = NULL;
	*n = 0;
	rc = pg_exec(c, &res, sql_has_table, 0, NULL);
	if (rc < 0)
		return rc;
	has = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	res = NULL;
	if (has && (rc = pg_exec(c, &res, sql_applied, 0, NULL)) < 0)
		return rc;
	rows = xcalloc(s->n + (res ? (size_t)PQntuples(res) : 0) + 1, sizeof(*rows));
	for (i = 0; i < s->n; i++) {
		struct migration_status *st = &rows[nrows++];

		snprintf(st->name, sizeof(st->name), "%s", s->items[i].name);
		sha256_hex(st->checksum, s->items[i].sql, s->items[i].len);
		st->state = MIGRATION_PENDING;
		for (r = 0; res && r < PQntuples(res); r++) {
			if (atoi(PQgetvalue(res, r, 0)) != version_of(s->items[i].name))
				continue;
			snprintf(st->applied_at, sizeof(st->applied_at), "%s", PQgetvalue(res, r, 3));
			if (strcmp(PQgetvalue(res, r, 1), s->items[i].name) || strcmp(PQgetvalue(res, r, 2), st->checksum))
				st->state = MIGRATION_CHANGED;
			else
				st->state = MIGRATION_APPLIED;
		}
	}
	for (r = 0; res && r < PQntuples(res); r++) {
		int v = atoi(PQgetvalue(res, r, 0)), known = 0;

		for (i = 0; i < s->n; i++)
			known |= version_of(s->items[i].name) == v;
		if (!known) {
			struct migration_status *st = &rows[nrows++];

			snprintf(st->name, sizeof(st->name), "%s", PQgetvalue(res, r, 1));
			snprintf(st->checksum, sizeof(st->checksum), "%s", PQgetvalue(res, r, 2));
			snprintf(st->applied_at, sizeof(st->applied_at), "%s", PQgetvalue(res, r, 3));
			st->state = MIGRATION_UNKNOWN;
		}
	}
	PQclear(res);
	*out = rows;
	*n = nrows;
	return 0;
}

static int refuse_inconsistent(const struct migration_status *rows, size_t n, int *pending)
{
	size_t i;

	*pending = 0;
	for (i = 0; i < n; i++) {
		if (rows[i].state == MIGRATION_CHANGED) {
			dive_error_set(DIVE_ECONFLICT,
				       "migration '%s' was changed after it was applied; migrations are "
				       "forward-only: restore the file and add a new migration", rows[i].name);
			dive_error_set_code(ERRC_MIGRATION_CHECKSUM);
			return DIVE_ECONFLICT;
		}
		if (rows[i].state == MIGRATION_UNKNOWN) {
			dive_error_set(DIVE_ECONFLICT,
				       "the state store has migration '%s', which this dive does not know; "
				       "use a newer dive", rows[i].name);
			dive_error_set_code(ERRC_SCHEMA_TOO_NEW);
			return DIVE_ECONFLICT;
		}
		if (rows[i].state == MIGRATION_PENDING)
			(*pending)++;
	}
	return 0;
}

int migrate_check(PGconn *c, const struct migration_set *s, int *pending)
{
	struct migration_status *rows = NULL;
	size_t n = 0;
	int rc = migrate_status(c, s, &rows, &n);

	if (rc == 0)
		rc = refuse_inconsistent(rows, n, pending);
	free(rows);
	return rc;
}

static int apply_one(PGconn *c, const struct migration *m, const char *checksum)
{
	char version[16];
	const char *params[3] = { version, m->name, checksum };
	PGresult *res;
	int rc;

	snprintf(version, sizeof(version), "%d", version_of(m->name));
	if ((rc = pg_command(c, "BEGIN")) < 0)
		return rc;
	/* The file is trusted DDL embedded in the binary; it takes no values. */
	res = PQexec(c, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		msg[strcspn(msg, "\n")] = '\0';
		PQclear(res);
		pg_command(c, "ROLLBACK");
		return dive_error_set(DIVE_EFAIL, "migration '%s' failed: %s", m->name, msg);
	}
	PQclear(res);
	rc = pg_exec(c, NULL, sql_record, 3, params);
	if (rc == 0)
		rc = pg_command(c, "COMMIT");
	if (rc < 0)
		pg_command(c, "ROLLBACK");
	return rc;
}

int migrate_apply(PGconn *c, const struct migration_set *s, int *applied)
{
	struct migration_status *rows = NULL;
	char ns_s[16], id_s[16];
	const char *key[2] = { ns_s, id_s };
	int32_t ns, id;
	size_t n = 0, i;
	int rc, pending = 0;

	*applied = 0;
	rc = migrate_check(c, s, &pending);
	if (rc < 0 || pending == 0)
		return rc;

	lock_key(DIVE_LOCK_MIGRATE, &ns, &id);
	snprintf(ns_s, sizeof(ns_s), "%d", (int)ns);
	snprintf(id_s, sizeof(id_s), "%d", (int)id);
	if ((rc = pg_command(c, "SET lock_timeout = '60s'")) < 0)
		return rc;
	if ((rc = pg_exec(c, NULL, sql_lock, 2, key)) < 0)
		return rc;
	/* Another migrator may have finished while we waited: look again. */
	if ((rc = pg_command(c, sql_schema)) < 0 || (rc = pg_command(c, sql_bootstrap)) < 0)
		goto out;
	if ((rc = migrate_status(c, s, &rows, &n)) < 0)
		goto out;
	if ((rc = refuse_inconsistent(rows, n, &pending)) < 0)
		goto out;
	for (i = 0; i < s->n; i++) {
		if (rows[i].state != MIGRATION_PENDING)
			continue;
		dive_debug("applying migration %s", s->items[i].name);
		if ((rc = apply_one(c, &s->items[i], rows[i].checksum)) < 0)
			goto out;
		(*applied)++;
	}
out:
	free(rows);
	pg_exec(c, NULL, sql_unlock, 2, key);
	pg_command(c, "RESET lock_timeout");
	return rc;
}
