/* table.c - the top-level command table: one row per command family. */
#include "cmd.h"

const struct dive_group dive_groups[] = {
	{ "hub", "the USA hub stack", cmd_hub_verbs, NULL },
	{ "spoke", "spoke stacks, one per country code", cmd_spoke_verbs, NULL },
	{ "federation", "identity federation between the hub and spokes", cmd_federation_verbs, NULL },
	{ "policy", "the hub's policy in every spoke's OPA, through OPAL", cmd_policy_verbs, NULL },
	{ "state", "deployment state recorded in the state store", cmd_state_verbs, NULL },
	{ "runs", "the runs recorded in the state store: phases, steps, errors", cmd_runs_verbs, NULL },
	{ "lock", "instance locks (PostgreSQL advisory locks)", cmd_lock_verbs, NULL },
	{ "db", "the state store schema", cmd_db_verbs, NULL },
	{ "breaker", "circuit breakers persisted in the state store", cmd_breaker_verbs, NULL },
	{ "errors", "the error taxonomy and recorded errors", cmd_errors_verbs, NULL },
	{ "graph", "service dependency graph read from a compose file", NULL, &cmd_graph_verb },
	{ "images", "container images built locally", cmd_images_verbs, NULL },
	{ "engine", "Docker engines besides the local one, over mutual TLS", cmd_engine_verbs, NULL },
	{ "certs", "the deployment's certificate authority for engine TLS", cmd_certs_verbs, NULL },
	{ "serve", "metrics, the reconciliation page and scheduled audits over HTTP", NULL, &cmd_serve_verb },
	{ "metrics", "the Prometheus metrics, once (stdout or a textfile)", NULL, &cmd_metrics_verb },
	{ "secrets", "an instance's secrets in the provider (DIVE_SECRETS): list, rotate, import", cmd_secrets_verbs, NULL },
	{ "version", "print the version of dive and its libraries", NULL, &cmd_version_verb },
	{ "help", "show help for a command", NULL, &cmd_help_verb },
	{ "completion", "shell completion generated from these tables (bash, zsh)", NULL, &cmd_completion_verb },
	{ NULL, NULL, NULL, NULL },
};
