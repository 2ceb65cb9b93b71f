/*
 * test_pki.c - the deployment's CA (pki.h) and what cert.h reads back from
 * it, in a temporary directory: files and modes, names and purposes,
 * validity and warnings, rotation, and material that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dive/cert.h"
#include "dive/errcodes.h"
#include "dive/error.h"
#include "dive/pki.h"

#define DAY 86400L

struct env {
	char root[256];
	char dir[300];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	snprintf(e->root, sizeof(e->root), "/tmp/dive-test-pki-XXXXXX");
	assert_non_null(mkdtemp(e->root));
	snprintf(e->dir, sizeof(e->dir), "%s/pki", e->root);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->root);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void issue(struct env *e, struct pki_entry *out, enum pki_kind kind, const char *name, const char *san)
{
	const char *sans[2] = { san, NULL };
	struct pki_issue_opts o = { 0 };

	o.kind = kind;
	o.name = name;
	o.sans = sans;
	o.days = 30;
	assert_int_equal(pki_issue(out, e->dir, &o), 0);
}

static void pki__init_makes_a_ca_with_a_private_key(void **state)
{
	struct env *e = *state;
	struct pki_entry ca;

	assert_int_equal(pki_init(&ca, e->dir, NULL, 0, 0), 0);
	assert_true(ca.ok);
	assert_true(ca.info.is_ca);
	assert_true(ca.info.self_signed);
	assert_string_equal(ca.info.subject_cn, "DIVE V3 deployment CA");
	assert_int_equal(mode_of(ca.paths.key), 0600);
	assert_int_equal(mode_of(ca.paths.cert), 0644);
	assert_int_equal(mode_of(e->dir), 0700);
	assert_in_range(cert_days_left(&ca.info, time(NULL)), PKI_CA_DAYS_DEFAULT - 1, PKI_CA_DAYS_DEFAULT);
	/* a second init would orphan every certificate it signed */
	assert_int_equal(pki_init(NULL, e->dir, NULL, 0, 0), DIVE_ECONFLICT);
}

static void pki__engine_certificate_names_its_addresses_and_serves_only(void **state)
{
	struct env *e = *state;
	const char *sans[] = { "10.231.0.2", "engine-b.example", "::1", NULL };
	struct pki_issue_opts o = { 0 };
	struct pki_entry ca, b;

	assert_int_equal(pki_init(&ca, e->dir, NULL, 0, 0), 0);
	o.kind = PKI_ENGINE;
	o.name = "b";
	o.sans = sans;
	assert_int_equal(pki_issue(&b, e->dir, &o), 0);
	assert_string_equal(b.info.sans, "IP:10.231.0.2,DNS:engine-b.example,IP:::1");
	assert_true(b.info.server_auth);
	assert_false(b.info.client_auth);
	assert_false(b.info.is_ca);
	assert_string_equal(b.info.issuer_cn, ca.info.subject_cn);
	assert_int_equal(mode_of(b.paths.key), 0600);
	assert_in_range(cert_days_left(&b.info, time(NULL)), PKI_LEAF_DAYS_DEFAULT - 1, PKI_LEAF_DAYS_DEFAULT);
	/* the leaf directory carries the CA: all an engine host needs */
	{
		struct cert_info copy;

		assert_int_equal(cert_read(&copy, b.paths.ca, "CA copy"), 0);
		assert_string_equal(copy.sha256, ca.info.sha256);
	}
	/* issuing it again is a rotation, which is asked for by name */
	assert_int_equal(pki_issue(NULL, e->dir, &o), DIVE_ECONFLICT);
}

static void pki__refuses_bad_names_sans_and_days_before_writing(void **state)
{
	struct env *e = *state;
	const char *bad_sans[] = { "10.0.0.1,DNS:evil", NULL };
	const char *ok_sans[] = { "10.0.0.1", NULL };
	struct pki_issue_opts o = { 0 };
	struct pki_paths p;

	assert_int_equal(pki_init(NULL, e->dir, NULL, 0, 0), 0);
	o.kind = PKI_ENGINE;
	o.name = "../escape";
	o.sans = ok_sans;
	assert_int_equal(pki_issue(NULL, e->dir, &o), DIVE_EUSAGE);
	o.name = "b";
	o.sans = bad_sans;
	assert_int_equal(pki_issue(NULL, e->dir, &o), DIVE_EUSAGE);
	o.sans = NULL;
	assert_int_equal(pki_issue(NULL, e->dir, &o), DIVE_EUSAGE); /* an engine needs an address */
	o.sans = ok_sans;
	o.days = PKI_DAYS_MAX + 1;
	assert_int_equal(pki_issue(NULL, e->dir, &o), DIVE_EUSAGE);
	assert_int_equal(pki_paths(&p, e->dir, PKI_ENGINE, "b"), 0);
	assert_int_not_equal(access(p.dir, F_OK), 0);
	assert_int_equal(pki_san_check("engine-b.example"), 0);
	assert_int_equal(pki_san_check("-bad.example"), DIVE_EUSAGE);
	assert_int_equal(pki_san_check("a..b"), DIVE_EUSAGE);
	assert_int_equal(pki_san_check("fd00::2"), 0);
}

static void pki__issue_without_a_ca_names_certs_init(void **state)
{
	struct env *e = *state;
	struct pki_issue_opts o = { 0 };

	o.kind = PKI_CLIENT;
	o.name = "dive";
	assert_int_equal(pki_issue(NULL, e->dir, &o), DIVE_ENOTFOUND);
	assert_int_equal(dive_error_last_code(), ERRC_PKI_MISSING);
}

static void cert__material_of_the_pki_passes_the_check(void **state)
{
	struct env *e = *state;
	struct cert_material_report rep;
	struct pki_entry client;

	assert_int_equal(pki_init(NULL, e->dir, NULL, 0, 0), 0);
	issue(e, &client, PKI_CLIENT, "dive", NULL);
	assert_int_equal(cert_material_check(&rep, &(struct cert_material){ client.paths.ca, client.paths.cert,
									       client.paths.key },
					     time(NULL)),
			 0);
	assert_true(rep.ca.is_ca);
	assert_true(rep.cert.client_auth);
	assert_string_equal(rep.cert.subject_cn, "dive");
}

static void cert__refuses_a_loose_key_a_foreign_key_a_server_cert_and_a_leaf_as_ca(void **state)
{
	struct env *e = *state;
	struct pki_entry a, b, srv;
	time_t now = time(NULL);

	assert_int_equal(pki_init(NULL, e->dir, NULL, 0, 0), 0);
	issue(e, &a, PKI_CLIENT, "a", NULL);
	issue(e, &b, PKI_CLIENT, "b", NULL);
	issue(e, &srv, PKI_ENGINE, "srv", "10.0.0.1");

	/* the key of another certificate */
	assert_int_equal(cert_material_check(NULL, &(struct cert_material){ a.paths.ca, a.paths.cert, b.paths.key }, now),
			 DIVE_ETLS);
	assert_int_equal(dive_error_last_code(), ERRC_TLS_MATERIAL_INVALID);
	assert_non_null(strstr(dive_error_last(), "does not belong"));
	/* a key others can read */
	assert_int_equal(chmod(a.paths.key, 0644), 0);
	assert_int_equal(cert_material_check(NULL, &(struct cert_material){ a.paths.ca, a.paths.cert, a.paths.key }, now),
			 DIVE_ETLS);
	assert_non_null(strstr(dive_error_last(), "0644"));
	assert_int_equal(chmod(a.paths.key, 0600), 0);
	/* a server certificate cannot authenticate a client */
	assert_int_equal(
		cert_material_check(NULL, &(struct cert_material){ srv.paths.ca, srv.paths.cert, srv.paths.key }, now),
		DIVE_ETLS);
	assert_non_null(strstr(dive_error_last(), "clientAuth"));
	/* a leaf is no CA */
	assert_int_equal(cert_material_check(NULL, &(struct cert_material){ b.paths.cert, a.paths.cert, a.paths.key }, now),
			 DIVE_ETLS);
	assert_non_null(strstr(dive_error_last(), "not a CA"));
	/* a key file that is a certificate */
	assert_int_equal(chmod(a.paths.cert, 0600), 0);
	assert_int_equal(cert_material_check(NULL, &(struct cert_material){ a.paths.ca, a.paths.cert, a.paths.cert }, now),
			 DIVE_ETLS);
	assert_non_null(strstr(dive_error_last(), "no unencrypted PEM private key"));
	/* no file */
	assert_int_equal(cert_material_check(NULL, &(struct cert_material){ "/nonexistent/ca.pem", a.paths.cert,
									       a.paths.key },
					     now),
			 DIVE_ETLS);
	assert_int_equal(dive_error_last_code(), ERRC_TLS_MATERIAL_INVALID);
}

static void cert__expired_and_future_certificates_have_their_own_code(void **state)
{
	struct env *e = *state;
	struct pki_issue_opts o = { 0 };
	struct pki_entry old, future;
	time_t now = time(NULL);

	assert_int_equal(pki_init(NULL, e->dir, NULL, 0, 0), 0);
	o.kind = PKI_CLIENT;
	o.name = "old";
	o.not_before = now - 30 * DAY;
	o.not_after = now - DAY;
	assert_int_equal(pki_issue(&old, e->dir, &o), 0);
	assert_int_equal(cert_validity(&old.info, now, 30), CERT_EXPIRED);
	assert_int_equal(cert_days_left(&old.info, now), -1);
	assert_int_equal(
		cert_material_check(NULL, &(struct cert_material){ old.paths.ca, old.paths.cert, old.paths.key }, now),
		DIVE_ETLS);
	assert_int_equal(dive_error_last_code(), ERRC_TLS_CERT_EXPIRED);
	assert_non_null(strstr(dive_error_last(), "expired on"));

	o.name = "future";
	o.not_before = now + DAY;
	o.not_after = now + 30 * DAY;
	assert_int_equal(pki_issue(&future, e->dir, &o), 0);
	assert_int_equal(cert_validity(&future.info, now, 0), CERT_NOT_YET_VALID);
	assert_int_equal(cert_check_dates(&future.info, "client certificate", future.paths.cert, now), DIVE_ETLS);
	assert_int_equal(dive_error_last_code(), ERRC_TLS_CERT_EXPIRED);
}

static void cert__warns_within_the_period_and_not_before(void **state)
{
	struct cert_info c;
	char w[256];
	time_t now = 1800000000;

	memset(&c, 0, sizeof(c));
	c.not_before = now - 100 * DAY;
	c.not_after = now + 12 * DAY + 3600;
	assert_int_equal(cert_validity(&c, now, 30), CERT_EXPIRING);
	assert_int_equal(cert_validity(&c, now, 12), CERT_VALID);
	assert_int_equal(cert_validity(&c, now, 0), CERT_VALID);
	assert_int_equal(cert_expiry_warning(w, sizeof(w), &c, "engine/b", now, 30), 1);
	assert_non_null(strstr(w, "certificate 'engine/b' expires in 12 days"));
	assert_int_equal(cert_expiry_warning(w, sizeof(w), &c, "engine/b", now, 11), 0);
	c.not_after = now - 1;
	assert_int_equal(cert_expiry_warning(w, sizeof(w), &c, "engine/b", now, 0), 1);
	assert_non_null(strstr(w, "expired on"));
}

static void pki__lists_and_warns_about_what_expires(void **state)
{
	struct env *e = *state;
	struct pki_issue_opts o = { 0 };
	struct pki_entry *v = NULL;
	struct pki_warning *w = NULL;
	size_t n = 0;
	time_t now = time(NULL);

	assert_int_equal(pki_list(&v, &n, e->dir), 0);
	assert_int_equal(n, 0); /* nothing yet is not an error */
	free(v);
	assert_int_equal(pki_init(NULL, e->dir, NULL, 0, 0), 0);
	issue(e, &(struct pki_entry){ 0 }, PKI_ENGINE, "b", "10.231.0.2");
	o.kind = PKI_CLIENT;
	o.name = "dive";
	o.days = 365;
	assert_int_equal(pki_issue(NULL, e->dir, &o), 0);
	assert_int_equal(pki_list(&v, &n, e->dir), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].kind, PKI_CA);
	assert_int_equal(v[1].kind, PKI_ENGINE);
	assert_string_equal(v[2].name, "dive");
	free(v);
	/* engine b lives 30 days: inside a 60-day window, outside a 10-day one */
	assert_int_equal(pki_expiring(&w, &n, e->dir, now, 60), 0);
	assert_int_equal(n, 1);
	assert_string_equal(w[0].entry.name, "b");
	assert_int_equal(w[0].validity, CERT_EXPIRING);
	free(w);
	assert_int_equal(pki_expiring(&w, &n, e->dir, now, 10), 0);
	assert_int_equal(n, 0);
	free(w);
}

static void pki__rotate_renews_what_expires_with_a_new_key_and_the_same_names(void **state)
{
	struct env *e = *state;
	struct pki_rotate_opts o = { 0 };
	struct pki_entry *done = NULL, b, dive;
	struct pki_issue_opts io = { 0 };
	struct cert_info after;
	size_t n = 0;

	assert_int_equal(pki_init(NULL, e->dir, NULL, 0, 0), 0);
	issue(e, &b, PKI_ENGINE, "b", "10.231.0.2");
	io.kind = PKI_CLIENT;
	io.name = "dive";
	io.days = 365;
	assert_int_equal(pki_issue(&dive, e->dir, &io), 0);

	/* a dry run says b (30 days) and changes nothing */
	o.within_days = 60;
	o.dry_run = 1;
	assert_int_equal(pki_rotate(&done, &n, e->dir, &o), 0);
	assert_int_equal(n, 1);
	assert_string_equal(done[0].name, "b");
	free(done);
	assert_int_equal(cert_read(&after, b.paths.cert, "b"), 0);
	assert_string_equal(after.sha256, b.info.sha256);

	o.dry_run = 0;
	assert_int_equal(pki_rotate(&done, &n, e->dir, &o), 0);
	assert_int_equal(n, 1);
	free(done);
	assert_int_equal(cert_read(&after, b.paths.cert, "b"), 0);
	assert_string_not_equal(after.sha256, b.info.sha256);
	assert_string_equal(after.sans, "IP:10.231.0.2");
	assert_true(after.server_auth);
	assert_in_range(cert_days_left(&after, time(NULL)), 29, 30); /* the same length of life */
	assert_int_equal(cert_material_check(NULL, &(struct cert_material){ dive.paths.ca, dive.paths.cert,
									       dive.paths.key },
					     time(NULL)),
			 0);

	/* by name, and an unknown name changes nothing */
	o.names = (const char *const[]){ "client/dive", NULL };
	assert_int_equal(pki_rotate(&done, &n, e->dir, &o), 0);
	assert_int_equal(n, 1);
	assert_string_equal(done[0].name, "dive");
	free(done);
	o.names = (const char *const[]){ "nosuch", NULL };
	assert_int_equal(pki_rotate(&done, &n, e->dir, &o), DIVE_ENOTFOUND);
	free(done);
}

static void pki__rotating_the_ca_reissues_every_leaf_under_it(void **state)
{
	struct env *e = *state;
	struct pki_rotate_opts o = { 0 };
	struct pki_entry *done = NULL, ca, client;
	struct cert_info now_ca;
	size_t n = 0;

	assert_int_equal(pki_init(&ca, e->dir, NULL, 0, 0), 0);
	issue(e, &(struct pki_entry){ 0 }, PKI_ENGINE, "b", "10.231.0.2");
	issue(e, &client, PKI_CLIENT, "dive", NULL);
	o.rotate_ca = 1;
	assert_int_equal(pki_rotate(&done, &n, e->dir, &o), 0);
	assert_int_equal(n, 3);
	assert_int_equal(done[0].kind, PKI_CA);
	free(done);
	assert_int_equal(cert_read(&now_ca, ca.paths.cert, "CA"), 0);
	assert_string_not_equal(now_ca.sha256, ca.info.sha256);
	/* the leaves and their CA copies belong to the new CA */
	assert_int_equal(cert_read(&now_ca, client.paths.ca, "CA copy"), 0);
	assert_int_equal(cert_material_check(NULL, &(struct cert_material){ client.paths.ca, client.paths.cert,
									       client.paths.key },
					     time(NULL)),
			 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(pki__init_makes_a_ca_with_a_private_key),
		T(pki__engine_certificate_names_its_addresses_and_serves_only),
		T(pki__refuses_bad_names_sans_and_days_before_writing),
		T(pki__issue_without_a_ca_names_certs_init),
		T(cert__material_of_the_pki_passes_the_check),
		T(cert__refuses_a_loose_key_a_foreign_key_a_server_cert_and_a_leaf_as_ca),
		T(cert__expired_and_future_certificates_have_their_own_code),
		cmocka_unit_test(cert__warns_within_the_period_and_not_before),
		T(pki__lists_and_warns_about_what_expires),
		T(pki__rotate_renews_what_expires_with_a_new_key_and_the_same_names),
		T(pki__rotating_the_ca_reissues_every_leaf_under_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
