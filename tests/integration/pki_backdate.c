/*
 * pki_backdate.c - for the scenarios only: issue a certificate of the
 * deployment's CA whose validity lies in the past (or the future), which
 * `dive certs issue` never does.  Same code path as dive (pki_issue), only
 * the dates differ.
 *
 *   pki_backdate PKI_DIR engine|client NAME FROM_DAYS UNTIL_DAYS [SAN...]
 *
 * FROM_DAYS and UNTIL_DAYS are days from now (negative: ago), e.g. -30 -1
 * for a certificate that expired yesterday.  Replaces an existing one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dive/error.h"
#include "dive/pki.h"

int main(int argc, char **argv)
{
	struct pki_issue_opts o = { 0 };
	struct pki_entry e;
	time_t now = time(NULL);

	if (argc < 6) {
		fprintf(stderr, "usage: %s PKI_DIR engine|client NAME FROM_DAYS UNTIL_DAYS [SAN...]\n", argv[0]);
		return 2;
	}
	if (pki_kind_parse(&o.kind, argv[2]) < 0) {
		fprintf(stderr, "pki_backdate: %s\n", dive_error_last());
		return 2;
	}
	o.name = argv[3];
	o.not_before = now + atol(argv[4]) * 86400L;
	o.not_after = now + atol(argv[5]) * 86400L;
	o.sans = (const char *const *)(argv + 6);
	o.replace = 1;
	if (pki_issue(&e, argv[1], &o) < 0) {
		fprintf(stderr, "pki_backdate: %s\n", dive_error_last());
		return 1;
	}
	printf("%s\n", e.paths.cert);
	return 0;
}
