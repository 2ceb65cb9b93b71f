/* test_instance.c - the instance file (instance.h): keys as data, types, places, secrets refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dive/country.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/instance.h"

static int parse(struct instance_file *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	return instance_file_parse(f, "fra/instance.yml", text, strlen(text), NULL);
}

/* text must be refused with "fra/instance.yml:LINE: ..." holding want, and the taxonomy code. */
static void refused(const char *text, int line, const char *want, int code)
{
	struct instance_file f;
	char place[64];
	int rc = parse(&f, text);

	instance_file_release(&f);
	assert_int_equal(rc, DIVE_EUSAGE);
	snprintf(place, sizeof(place), "fra/instance.yml:%d: ", line);
	if (strncmp(dive_error_last(), place, strlen(place)) || !strstr(dive_error_last(), want))
		fail_msg("%s: got '%s', want '%s...%s'", text, dive_error_last(), place, want);
	assert_int_equal(dive_error_last_code(), code);
}

static void instance__reads_every_key_with_its_line(void **state)
{
	struct instance_file f;
	const char *text = "display_name: Paris\n"
			   "contact: ops@example.org\n"
			   "engine: b\n"
			   "hub_url: https://hub.example:4000\n"
			   "federation:\n"
			   "  trust_level: partner\n"
			   "  requested_scopes: [policy:base, policy:fra]\n"
			   "  max_classification: SECRET\n"
			   "  approval: auto\n"
			   "images:\n  profile: real\n"
			   "secrets:\n  provider: env\n"
			   "services:\n  keycloak:\n    memory: 2g\n    cpus: 1.5\n    pids: 512\n    timeout: 300s\n"
			   "    environment:\n      KC_LOG_LEVEL: debug\n";

	(void)state;
	assert_int_equal(parse(&f, text), 0);
	assert_string_equal(f.value[IK_DISPLAY_NAME], "Paris");
	assert_int_equal(f.line[IK_DISPLAY_NAME], 1);
	assert_string_equal(f.value[IK_SCOPES], "policy:base,policy:fra");
	assert_int_equal(f.line[IK_SCOPES], 7);
	assert_string_equal(f.value[IK_APPROVAL], "auto");
	assert_string_equal(f.value[IK_SECRETS_PROVIDER], "env");
	assert_int_equal(f.nservices, 1);
	assert_string_equal(f.services[0].name, "keycloak");
	assert_true(f.services[0].memory == 2LL << 30);
	assert_true(f.services[0].nano_cpus == 1500000000LL);
	assert_true(f.services[0].pids == 512);
	assert_int_equal(f.services[0].timeout_ms, 300000);
	assert_int_equal(f.services[0].nenv, 1);
	assert_string_equal(f.services[0].env[0].key, "KC_LOG_LEVEL");
	instance_file_release(&f);
}

static void instance__empty_file_and_empty_sections_are_defaults(void **state)
{
	struct instance_file f;

	(void)state;
	assert_int_equal(parse(&f, ""), 0);
	assert_null(f.value[IK_HUB_URL]);
	instance_file_release(&f);
	assert_int_equal(parse(&f, "# only comments\nfederation:\n  #trust_level: partner\nservices:\n"), 0);
	assert_null(f.value[IK_TRUST_LEVEL]);
	instance_file_release(&f);
}

static void instance__refuses_unknown_keys_with_their_place(void **state)
{
	(void)state;
	refused("display_name: x\nhub_ulr: http://h:1\n", 2, "unknown key 'hub_ulr'", ERRC_INSTANCE_CONFIG);
	refused("federation:\n  trust: partner\n", 2, "unknown key 'federation.trust'", ERRC_INSTANCE_CONFIG);
	refused("services:\n  keycloak:\n    memroy: 1g\n", 3, "unknown key 'memroy'", ERRC_INSTANCE_CONFIG);
	refused("display_name: x\nfoo:\n", 2, "unknown key 'foo'", ERRC_INSTANCE_CONFIG);
}

static void instance__refuses_wrong_types(void **state)
{
	(void)state;
	refused("display_name: [a, b]\n", 1, "must be a single value, not a list", ERRC_INSTANCE_CONFIG);
	refused("federation: partner\n", 1, "must be a map", ERRC_INSTANCE_CONFIG);
	refused("federation:\n  max_classification: COSMIC\n", 2, "is one of UNCLASSIFIED", ERRC_INSTANCE_CONFIG);
	refused("hub_url: ftp://hub\n", 1, "http:// or https://", ERRC_INSTANCE_CONFIG);
	refused("contact: nobody\n", 1, "e-mail address", ERRC_INSTANCE_CONFIG);
	refused("federation:\n  requested_scopes: [policy:base, 'bad scope']\n", 2, "scope", ERRC_INSTANCE_CONFIG);
	refused("services:\n  keycloak:\n    timeout: 2d\n", 3, "duration", ERRC_INSTANCE_CONFIG);
	refused("services:\n  keycloak:\n    cpus: many\n", 3, "number of CPUs", ERRC_INSTANCE_CONFIG);
	refused("services:\n  keycloak:\n    pids: 3\n", 3, "16 to", ERRC_INSTANCE_CONFIG);
	refused("display_name: x\ndisplay_name: y\n", 2, "duplicate key", ERRC_INSTANCE_CONFIG);
	refused("a: [\n", 2, "invalid YAML", ERRC_INSTANCE_CONFIG);
}

static void instance__refuses_secrets_without_repeating_them(void **state)
{
	struct instance_file f;

	(void)state;
	refused("keycloak_admin_password: hunter2\n", 1, "names a secret", ERRC_INSTANCE_SECRET);
	refused("secrets:\n  vault_token: s.x\n", 2, "names a secret", ERRC_INSTANCE_SECRET);
	refused("hub_url: http://admin:Hunter2@hub:4000\n", 1, "looks like a secret", ERRC_INSTANCE_SECRET);
	refused("display_name: hvs.CAESIabcdefgh\n", 1, "a Vault token", ERRC_INSTANCE_SECRET);
	refused("services:\n  backend:\n    environment:\n      API_TOKEN: abc\n", 4, "is a secret",
		ERRC_INSTANCE_SECRET);
	refused("services:\n  backend:\n    environment:\n      X: '-----BEGIN PRIVATE KEY-----'\n", 4,
		"looks like a secret", ERRC_INSTANCE_SECRET);
	assert_int_equal(parse(&f, "hub_url: http://admin:Hunter2@hub:4000\n"), DIVE_EUSAGE);
	assert_null(strstr(dive_error_last(), "Hunter2"));
	instance_file_release(&f);
}

static void instance__defaults_come_from_the_country(void **state)
{
	const struct dive_country *c = country_find("FRA");
	char v[128];

	(void)state;
	instance_default(v, sizeof(v), IK_DISPLAY_NAME, c);
	assert_string_equal(v, "France");
	instance_default(v, sizeof(v), IK_SCOPES, c);
	assert_string_equal(v, "policy:base,policy:fra");
	instance_default(v, sizeof(v), IK_ENGINE, c);
	assert_string_equal(v, "local");
	assert_int_equal(instance_key_find("federation.approval"), IK_APPROVAL);
	assert_int_equal(instance_key_find("approval"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(instance__reads_every_key_with_its_line),
		cmocka_unit_test(instance__empty_file_and_empty_sections_are_defaults),
		cmocka_unit_test(instance__refuses_unknown_keys_with_their_place),
		cmocka_unit_test(instance__refuses_wrong_types),
		cmocka_unit_test(instance__refuses_secrets_without_repeating_them),
		cmocka_unit_test(instance__defaults_come_from_the_country),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
