/* cmd_db.c - `dive db ...`: the state store schema. */
#include <stdlib.h>

#include "cmd.h"
#include "dive/error.h"
#include "dive/exitcode.h"
#include "dive/migrate.h"
#include "dive/pg.h"

static int open_conn(struct dive_ctx *ctx, PGconn **c, struct migration_set *set)
{
	int rc = pg_connect(c, ctx->state_url, "dive");

	if (rc < 0)
		return dive_fail_last(ctx, rc, "cannot use the state store");
	rc = migration_set_load(set, NULL);
	if (rc < 0) {
		pg_close(*c);
		return dive_fail_last(ctx, rc, "cannot load migrations");
	}
	return DIVE_EXIT_OK;
}

static cJSON *status_json(const struct migration_status *rows, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", rows[i].name);
		cJSON_AddStringToObject(o, "state", migration_state_name(rows[i].state));
		cJSON_AddStringToObject(o, "checksum", rows[i].checksum);
		if (rows[i].applied_at[0])
			cJSON_AddStringToObject(o, "applied_at", rows[i].applied_at);
		else
			cJSON_AddNullToObject(o, "applied_at");
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static int cmd_db_migrate(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct migration_status *rows = NULL;
	struct migration_set set;
	PGconn *c = NULL;
	size_t n = 0, i;
	int rc, applied = 0, pending = 0, code;

	if ((code = open_conn(ctx, &c, &set)) != DIVE_EXIT_OK)
		return code;
	rc = migrate_status(c, &set, &rows, &n);
	if (rc == 0 && !ctx->dry_run)
		rc = migrate_apply(c, &set, &applied);
	else if (rc == 0)
		rc = migrate_check(c, &set, &pending);
	if (rc < 0) {
		code = dive_fail_last(ctx, rc, "cannot migrate the state store");
		goto out;
	}
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(doc, "applied");

		for (i = 0; i < n; i++)
			if (rows[i].state == MIGRATION_PENDING)
				cJSON_AddItemToArray(list, cJSON_CreateString(rows[i].name));
		cJSON_AddBoolToObject(doc, "dry_run", ctx->dry_run);
		cJSON_AddNumberToObject(doc, "total", (double)set.n);
		code = dive_print_json(ctx, doc);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (rows[i].state == MIGRATION_PENDING)
			fprintf(ctx->out, "%s %s\n", ctx->dry_run ? "would apply" : "applied", rows[i].name);
	if ((ctx->dry_run ? pending : applied) == 0)
		fprintf(ctx->out, "schema is up to date (%zu migrations)\n", set.n);
	code = DIVE_EXIT_OK;
out:
	free(rows);
	migration_set_release(&set);
	pg_close(c);
	return code;
}

static int cmd_db_status(struct dive_ctx *ctx, const struct dive_inv *inv)
{
	struct migration_status *rows = NULL;
	struct migration_set set;
	PGconn *c = NULL;
	size_t n = 0, i;
	int rc, code, bad = 0;

	if ((code = open_conn(ctx, &c, &set)) != DIVE_EXIT_OK)
		return code;
	rc = migrate_status(c, &set, &rows, &n);
	if (rc < 0) {
		code = dive_fail_last(ctx, rc, "cannot read the schema status");
		goto out;
	}
	for (i = 0; i < n; i++)
		bad |= rows[i].state == MIGRATION_CHANGED || rows[i].state == MIGRATION_UNKNOWN;
	if (ctx->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddItemToObject(doc, "migrations", status_json(rows, n));
		cJSON_AddBoolToObject(doc, "consistent", !bad);
		dive_print_json(ctx, doc);
	} else {
		for (i = 0; i < n; i++)
			fprintf(ctx->out, "%-8s %-40s %s\n", migration_state_name(rows[i].state), rows[i].name,
				rows[i].applied_at);
	}
	code = DIVE_EXIT_OK;
	if (bad) {
		/* the status document is already out; only the line goes to stderr */
		fprintf(ctx->err, "dive: the state store schema disagrees with this dive's migrations\n");
		code = DIVE_EXIT_CONFLICT;
	}
out:
	free(rows);
	migration_set_release(&set);
	pg_close(c);
	return code;
}

const struct dive_verb cmd_db_verbs[] = {
	{ .name = "migrate", .fn = cmd_db_migrate, .flags = DIVE_DRY_RUN, .summary = "apply pending migrations",
	  .issue = 3 },
	{ .name = "status", .fn = cmd_db_status, .summary = "applied and pending migrations", .issue = 3 },
	DIVE_VERB_END,
};
