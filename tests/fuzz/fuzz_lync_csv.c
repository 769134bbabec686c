/*
 * fuzz_lync_csv.c: libFuzzer target for the Lync import (fs_lync_import in src/config/lync_import.c): what
 * `Get-CsXmppAllowedPartner | Export-Csv` writes, read into a policy.
 *
 * Input: the CSV file's bytes, read through a memory FILE (fmemopen), NUL bytes and all.
 * Invariants (abort()):
 *   - 0 with a policy, or -1 with no policy and a message whose every line starts with "NAME:" and holds no
 *     control character (every problem is one line);
 *   - an imported policy has one sane partner per row: a lower-case domain fs_policyfile_domain_ok accepts,
 *     no two alike, settings in range, a connect port 1..65535, additional domains that are domains;
 *   - `fedscan policy import` writes what it imported as a policy file, which must read back as the same
 *     policy: the round trip of fuzz_policyfile.h (written with fs_policyfile_write, partner comments included,
 *     and parsed with fs_policyfile_parse).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>

#include "fedscan/lync_import.h"
#include "fuzz_policyfile.h"

#define NAME "fuzz.csv"

static void
check_sane(const struct fs_policyfile *pf)
{
	size_t i, j, k;

	CHECK(pf->local.tls == 0 && pf->local.sasl == 0 && pf->local.dialback == 0 && pf->from == NULL &&
	    pf->database == NULL && pf->listen_host == NULL);
	CHECK(pf->npartners <= FS_POLICY_MAX_PARTNERS);
	for (i = 0; i < pf->npartners; i++) {
		const struct fs_pf_partner *p = &pf->partners[i];

		CHECK(fs_policyfile_domain_ok(p->domain));
		for (k = 0; p->domain[k]; k++)
			CHECK(!isupper((unsigned char)p->domain[k]));
		CHECK(p->connect_host == NULL || (p->connect_port >= 1 && p->connect_port <= 65535));
		CHECK(p->expect.tls <= FS_LEVEL_NOTSUPPORTED && p->expect.sasl <= FS_LEVEL_NOTSUPPORTED &&
		    p->expect.dialback <= FS_DIALBACK_FALSE);
		for (k = 0; k < p->nadditional; k++) {
			CHECK(fs_policyfile_domain_ok(p->additional[k]));
			for (j = 0; p->additional[k][j]; j++)
				CHECK(!isupper((unsigned char)p->additional[k][j]));
		}
		for (j = 0; j < i; j++)
			CHECK(strcmp(pf->partners[j].domain, p->domain) != 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[16384];
	struct fs_policyfile *pf = (struct fs_policyfile *)1;
	FILE *in;
	int rc;

	/* fmemopen of 0 bytes fails with some libcs: read an empty file instead. */
	in = size > 0 ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (in == NULL)
		return 0;
	err[0] = '\0';
	rc = fs_lync_import(NAME, in, &pf, err, sizeof(err));
	fclose(in);
	if (rc != 0) {
		CHECK(rc == -1 && pf == NULL);
		fz_check_message(err, NAME);
		return 0;
	}
	CHECK(pf != NULL);
	check_sane(pf);
	fz_roundtrip(pf);
	fs_policyfile_free(pf);
	return 0;
}
