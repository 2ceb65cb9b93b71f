/* deploy_store.c - the hub's PostgreSQL as the state store of a machine with none configured (see deploy.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_priv.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/xalloc.h"
#include "dive/interp.h"
#include "dive/pg.h"
#include "dive/settings.h"
#include "dive/sched.h"

/* --- the state store of a machine with none configured ------------------------------- */

#define BOOTSTRAP_DB "dive_state"
#define BOOTSTRAP_WAIT_MS 120000

int deploy_state_url(struct dive_secret *out, const char *instances_dir)
{
	const struct dive_country *usa = country_find("USA");
	struct secrets_provider *sp = NULL;
	struct dive_secret pw = DIVE_SECRET_INIT;
	struct dive_ports ports;
	char *url;
	int rc;

	if ((rc = ports_for(&ports, usa)) < 0 || (rc = secrets_open(&sp, settings_getenv("DIVE_SECRETS"), instances_dir)) < 0)
		return rc;
	rc = secrets_get(sp, "USA", "POSTGRES_PASSWORD", &pw);
	secrets_close(sp);
	if (rc < 0)
		return rc;
	/* generated secrets are hex: nothing to escape in the URI */
	url = xasprintf("postgresql://postgres:%s@127.0.0.1:%d/%s", dive_secret_reveal(&pw), ports.postgres,
			BOOTSTRAP_DB);
	dive_secret_set(out, url);
	explicit_bzero(url, strlen(url));
	free(url);
	dive_secret_release(&pw);
	return 0;
}

int deploy_bootstrap_store(struct dive_secret *out, const char *docker_host, const char *instances_dir)
{
	struct deploy_opts o = { 0 };
	struct deploy_report rep;
	struct deploy d;
	struct dive_secret admin = DIVE_SECRET_INIT;
	cJSON *detail = NULL;
	PGconn *c = NULL;
	long waited = 0;
	int rc, created = 0, idx, code = 0;

	memset(&rep, 0, sizeof(rep));
	o.kind = STACK_HUB;
	o.country = country_find("USA");
	o.docker_host = docker_host;
	o.instances_dir = instances_dir;
	o.secrets_spec = settings_getenv("DIVE_SECRETS"); /* the provider of every other command: a vault keeps them off disk */
	rc = deploy_ctx_open(&d, &o, NULL);
	d.report = &rep;
	if (rc == 0)
		rc = docker_negotiate(d.docker);
	if (rc == 0)
		rc = deploy_load(&d, 0);
	if (rc == 0)
		rc = deploy_load_secrets(&d, 1, NULL);
	if (rc == 0)
		rc = deploy_load(&d, 1);
	if (rc == 0)
		rc = apply_networks(&d.apply, NULL);
	if (rc == 0)
		rc = apply_volumes(&d.apply, NULL);
	idx = rc == 0 ? compose_service_index(d.compose, "postgres") : -1;
	if (rc == 0 && idx < 0)
		rc = dive_error_set(DIVE_EUSAGE, "the hub stack has no 'postgres' service to keep the state in");
	if (rc == 0)
		rc = apply_ensure(&d.apply, idx, &detail, &created);
	cJSON_Delete(detail);
	while (rc == 0) {
		enum sched_health h = SCHED_H_STARTING;

		if ((rc = apply_health(&d.apply, idx, &h, &code)) < 0 || h == SCHED_H_HEALTHY)
			break;
		if (h == SCHED_H_EXITED_FAIL || h == SCHED_H_EXITED_OK || waited >= BOOTSTRAP_WAIT_MS) {
			rc = dive_error_set(DIVE_EUNHEALTHY, "the hub's postgres did not become healthy to hold the state");
			dive_error_set_code(ERRC_STATE_UNREACHABLE);
			break;
		}
		usleep(250000);
		waited += 250;
	}
	if (rc == 0) {
		/* the database, created once, on the server's maintenance database */
		const char *pw = NULL;
		int secret = 0;
		char *url;

		interp_lookup(&d.env, "POSTGRES_PASSWORD", &pw, &secret);
		url = xasprintf("postgresql://postgres:%s@127.0.0.1:%d/postgres", pw ? pw : "", d.ports.postgres);
		dive_secret_set(&admin, url);
		explicit_bzero(url, strlen(url));
		free(url);
		rc = pg_connect(&c, dive_secret_reveal(&admin), "dive-bootstrap");
		if (rc == 0) {
			const char *params[1] = { BOOTSTRAP_DB };
			PGresult *res = NULL;

			rc = pg_exec(c, &res, "SELECT 1 FROM pg_database WHERE datname = $1", 1, params);
			if (rc == 0 && PQntuples(res) == 0)
				rc = pg_command(c, "CREATE DATABASE " BOOTSTRAP_DB);
			PQclear(res);
		}
		pg_close(c);
	}
	if (rc == 0)
		rc = deploy_state_url(out, instances_dir);
	dive_secret_release(&admin);
	deploy_ctx_close(&d);
	cJSON_Delete(rep.services);
	cJSON_Delete(rep.checks);
	return rc;
}
