/*
 * cmd_live.c - the live view of a deploy on a terminal (see cmd.h).
 *
 * The services and their dependencies come from the stack's graph; what
 * each one is doing from two sources: the pipeline's events (the start
 * step of each service: starting, created, failed) and, once a second, the
 * containers' state and health as `dive spoke status` reads them
 * (deploy_status without the store: read only).  A ticker thread redraws
 * the block twice a second so the times move while nothing happens
 * (Keycloak's 100 s of health starting).  Every other event is printed as
 * the plain progress line above the block (the caller's printer).  Colour only when ctx->color
 * (NO_COLOR, --no-color).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "dive/compose.h"
#include "dive/deploy.h"
#include "dive/graph.h"
#include "dive/pipeline.h"
#include "dive/settings.h"
#include "dive/xalloc.h"

#define LIVE_MAX 64

struct live_svc {
	char name[64];
	int deps[16];
	int ndeps;
	int started, created, failed;
	long long start_ms, ready_ms;   /* -1: not yet */
	char state[16], health[16];     /* of the container, "" before one is seen */
};

struct cmd_live {
	struct dive_ctx *ctx;
	void (*plain)(void *user, const struct pipeline_event *ev);
	enum stack_kind kind;
	const struct dive_country *c;
	pthread_mutex_t mu;
	pthread_t ticker;
	int stop, deploying, drawn;
	struct timespec t0;
	const char *phase;
	struct live_svc svc[LIVE_MAX];
	int n;
};

static long long now_ms(const struct cmd_live *l)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)(t.tv_sec - l->t0.tv_sec) * 1000 + (t.tv_nsec - l->t0.tv_nsec) / 1000000;
}

static int healthy(const struct live_svc *s)
{
	return !strcmp(s->health, "healthy") || (!strcmp(s->state, "running") && !strcmp(s->health, "none"));
}

/* What the service is doing, in words; *colour the SGR code or NULL. */
static void status_of(const struct cmd_live *l, const struct live_svc *s, long long t, char *out, size_t n,
		      const char **colour)
{
	size_t k, len;

	*colour = NULL;
	if (s->failed) {
		snprintf(out, n, "failed");
		*colour = "31";
	} else if (healthy(s)) {
		if (s->start_ms >= 0 && s->ready_ms >= 0)
			snprintf(out, n, "healthy (%llds)", (s->ready_ms - s->start_ms + 500) / 1000);
		else
			snprintf(out, n, "healthy");
		*colour = "32";
	} else if (!strcmp(s->health, "unhealthy")) {
		snprintf(out, n, "unhealthy (%llds)", s->start_ms >= 0 ? (t - s->start_ms) / 1000 : 0);
		*colour = "31";
	} else if (!strcmp(s->state, "running") && !strcmp(s->health, "starting")) {
		snprintf(out, n, "health starting (%llds)", s->start_ms >= 0 ? (t - s->start_ms) / 1000 : 0);
		*colour = "33";
	} else if (s->created) {
		snprintf(out, n, "created");
		*colour = "33";
	} else if (s->started) {
		snprintf(out, n, "starting");
		*colour = "33";
	} else {
		snprintf(out, n, "waiting");
		len = strlen(out);
		for (k = 0; k < (size_t)s->ndeps; k++) {
			const struct live_svc *d = &l->svc[s->deps[k]];

			if (healthy(d))
				continue;
			len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len == 7 ? " for " : ", ",
						d->name);
		}
	}
}

/* The block: erase what was drawn, then draw it again (mu held). */
static void redraw(struct cmd_live *l, int erase_only)
{
	FILE *f = l->ctx->err;
	long long t = now_ms(l);
	char st[160];
	const char *colour;
	int i;

	if (l->drawn)
		fprintf(f, "\033[%dF\033[J", l->drawn);
	l->drawn = 0;
	if (erase_only || !l->deploying)
		goto out;
	fprintf(f, "%s %s: %s, %llds\n", l->kind == STACK_HUB ? "hub" : "spoke", l->c->code, l->phase, t / 1000);
	for (i = 0; i < l->n; i++) {
		status_of(l, &l->svc[i], t, st, sizeof(st), &colour);
		if (colour && l->ctx->color)
			fprintf(f, "  %-16s \033[%sm%s\033[0m\n", l->svc[i].name, colour, st);
		else
			fprintf(f, "  %-16s %s\n", l->svc[i].name, st);
	}
	l->drawn = l->n + 1;
out:
	fflush(f);
}

static int find(const struct cmd_live *l, const char *name)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->svc[i].name, name))
			return i;
	return -1;
}

/* The containers' state and health, read without the lock held (mu is taken to store them). */
static void poll_status(struct cmd_live *l)
{
	cJSON *doc = NULL;
	const cJSON *s;
	int ok, i;

	if (deploy_status(NULL, l->ctx->docker_host, l->kind, l->c, &doc, &ok) < 0 || !doc)
		return;
	pthread_mutex_lock(&l->mu);
	cJSON_ArrayForEach(s, cJSON_GetObjectItem(doc, "services")) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(s, "service"));
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(s, "state"));
		const char *health = cJSON_GetStringValue(cJSON_GetObjectItem(s, "health"));

		if (!name || (i = find(l, name)) < 0 || !state || !health || !strcmp(state, "missing"))
			continue;
		snprintf(l->svc[i].state, sizeof(l->svc[i].state), "%s", state);
		snprintf(l->svc[i].health, sizeof(l->svc[i].health), "%s", health);
		if (healthy(&l->svc[i]) && l->svc[i].ready_ms < 0)
			l->svc[i].ready_ms = now_ms(l);
	}
	pthread_mutex_unlock(&l->mu);
	cJSON_Delete(doc);
}

static void *tick(void *arg)
{
	struct cmd_live *l = arg;
	int k = 0, stop = 0, deploying;

	while (!stop) {
		usleep(500 * 1000);
		pthread_mutex_lock(&l->mu);
		stop = l->stop;
		deploying = l->deploying;
		pthread_mutex_unlock(&l->mu);
		if (!stop && deploying && k++ % 2 == 0)
			poll_status(l);
		pthread_mutex_lock(&l->mu);
		if (!l->stop)
			redraw(l, 0);
		pthread_mutex_unlock(&l->mu);
	}
	return NULL;
}

struct cmd_live *cmd_live_start(struct dive_ctx *ctx, enum stack_kind kind, const struct dive_country *c,
				void (*plain)(void *user, const struct pipeline_event *ev))
{
	struct cmd_live *l;
	struct graph *g = NULL;
	struct compose *compose = NULL;
	size_t i, j;

	if (ctx->quiet || ctx->json || ctx->dry_run || !isatty(fileno(ctx->err)) || settings_getenv("CI"))
		return NULL;
	if (cmd_stack_graph(&g, &compose, kind, c->code) < 0 || g->n > LIVE_MAX) {
		graph_free(g);
		compose_free(compose);
		return NULL; /* the deploy reports the stack's own error; the plain lines serve */
	}
	l = xcalloc(1, sizeof(*l));
	l->ctx = ctx;
	l->plain = plain;
	l->kind = kind;
	l->c = c;
	l->phase = "preflight";
	clock_gettime(CLOCK_MONOTONIC, &l->t0);
	pthread_mutex_init(&l->mu, NULL);
	for (i = 0; i < g->n; i++) {
		struct live_svc *s = &l->svc[l->n++];

		snprintf(s->name, sizeof(s->name), "%s", g->nodes[i].svc->name);
		for (j = 0; j < g->nodes[i].ndeps && s->ndeps < 16; j++)
			s->deps[s->ndeps++] = (int)g->nodes[i].deps[j].node;
		s->start_ms = s->ready_ms = -1;
	}
	graph_free(g);
	compose_free(compose);
	if (pthread_create(&l->ticker, NULL, tick, l) != 0) {
		pthread_mutex_destroy(&l->mu);
		free(l);
		return NULL;
	}
	return l;
}

void cmd_live_progress(void *user, const struct pipeline_event *ev)
{
	struct cmd_live *l = user;
	int i = ev->service && *ev->service ? find(l, ev->service) : -1;
	int start_step = i >= 0 && ev->phase == DIVE_PHASE_DEPLOYMENT && !strcmp(ev->action, "start");

	pthread_mutex_lock(&l->mu);
	redraw(l, 1);
	if (ev->kind == PIPELINE_EV_PHASE_START) {
		l->phase = dive_phase_name(ev->phase);
		if (ev->phase == DIVE_PHASE_DEPLOYMENT)
			l->deploying = 1;
	}
	if (start_step) {
		struct live_svc *s = &l->svc[i];

		if (ev->kind == PIPELINE_EV_STEP_START) {
			s->started = 1;
			s->start_ms = now_ms(l);
		} else if (ev->kind == PIPELINE_EV_STEP_DONE || ev->kind == PIPELINE_EV_STEP_SKIPPED) {
			s->created = 1;
			if (s->start_ms < 0)
				s->start_ms = now_ms(l);
		} else if (ev->kind == PIPELINE_EV_STEP_FAILED) {
			s->failed = 1;
		}
	} else {
		l->plain(l->ctx, ev);
	}
	redraw(l, 0);
	pthread_mutex_unlock(&l->mu);
}

void cmd_live_stop(struct cmd_live *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->ticker, NULL);
	/* no last read of the engine: after a rollback it would show the removed containers, not what the run saw */
	pthread_mutex_lock(&l->mu);
	redraw(l, 0);
	l->drawn = 0; /* the last state stays on the screen */
	pthread_mutex_unlock(&l->mu);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
