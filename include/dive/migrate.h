/*
 * migrate.h - forward-only schema migrations of the state store.
 *
 * Migrations are migrations/NNNN_<what>.sql, embedded in the binary at build
 * time (cmake/embed.cmake); DIVE_MIGRATIONS_DIR or migration_set_load(dir)
 * reads them from a directory instead.  dive.schema_migrations keeps the
 * SHA-256 of each applied file: a changed applied file is refused, and so is
 * a database that has migrations this binary does not know.  Each migration
 * runs in its own transaction; concurrent migrators are serialised by an
 * advisory lock.
 */
#ifndef DIVE_MIGRATE_H
#define DIVE_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

struct migration {
	const char *name; /* "0001_state.sql" */
	const char *sql;
	size_t len;
};

extern const struct migration dive_migrations_embedded[];

struct migration_set {
	struct migration *items;
	size_t n;
	int owned; /* items and their strings were allocated */
};

/* dir NULL: the embedded set (or DIVE_MIGRATIONS_DIR when set). */
int migration_set_load(struct migration_set *out, const char *dir);
void migration_set_release(struct migration_set *s);

enum migration_state {
	MIGRATION_APPLIED,
	MIGRATION_PENDING,
	MIGRATION_CHANGED,  /* applied, but the file differs from what was applied */
	MIGRATION_UNKNOWN,  /* applied, but this binary does not have it */
};

struct migration_status {
	char name[128];
	enum migration_state state;
	char checksum[65];
	char applied_at[40];
};

/* Status of every migration; *out has *n rows (caller frees). */
int migrate_status(PGconn *c, const struct migration_set *s, struct migration_status **out, size_t *n);

/*
 * Apply what is pending.  *applied receives how many were applied (0 when
 * up to date).  DIVE_ECONFLICT when an applied file changed or the database
 * is ahead of this binary; nothing is applied then.
 */
int migrate_apply(PGconn *c, const struct migration_set *s, int *applied);

/* 0 when nothing is pending and nothing changed; DIVE_ECONFLICT/-ENOTFOUND otherwise. */
int migrate_check(PGconn *c, const struct migration_set *s, int *pending);

const char *migration_state_name(enum migration_state st);

#endif
