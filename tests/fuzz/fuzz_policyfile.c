/*
 * fuzz_policyfile.c: libFuzzer target for the policy file reader (src/policyfile.c, fedscan.conf(5)).
 *
 * Input: the file's bytes. They are read with fs_policyfile_parse (a NUL ends the text there, as it would
 * end a C string; the file reader fs_policyfile_load refuses NUL bytes, which the integration test
 * tests/integration/hostile_files.test checks end to end).
 * Invariants (abort()):
 *   - parse returns 0 with a policy, or -1 with no policy and a message whose every line is "NAME:LINE: ..."
 *     or "NAME: ..." and holds no control character;
 *   - a parsed policy is sane: at most FS_POLICY_MAX_PARTNERS partners, lower-case domains that
 *     fs_policyfile_domain_ok accepts, no two alike,
 *     settings in range, ports 1..65535, fs_policyfile_find finds every partner by its domain;
 *   - the round trip of fuzz_policyfile.h: written with fs_policyfile_write and parsed again, it is the same.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>

#include "fuzz_policyfile.h"

#define NAME "fuzz.conf"

static void
check_sane(const struct fs_policyfile *pf)
{
	size_t i, j, k;

	CHECK(pf->local.tls <= FS_LEVEL_NOTSUPPORTED && pf->local.sasl <= FS_LEVEL_NOTSUPPORTED &&
	    pf->local.dialback <= FS_DIALBACK_FALSE);
	CHECK(pf->timeout_ms == 0 || (pf->timeout_ms >= 99 && pf->timeout_ms <= 3600000));
	CHECK(pf->concurrency <= 10000);
	CHECK(pf->listen_host == NULL || (pf->listen_port >= 1 && pf->listen_port <= 65535));
	CHECK(pf->from == NULL || fs_policyfile_domain_ok(pf->from));
	CHECK(pf->npartners <= FS_POLICY_MAX_PARTNERS);
	for (i = 0; i < pf->npartners; i++) {
		const struct fs_pf_partner *p = &pf->partners[i];

		CHECK(fs_policyfile_domain_ok(p->domain));
		for (k = 0; p->domain[k]; k++)
			CHECK(!isupper((unsigned char)p->domain[k]));
		CHECK(p->line >= 1);
		CHECK(p->connect_host == NULL || (p->connect_port >= 1 && p->connect_port <= 65535));
		CHECK(p->expect.tls <= FS_LEVEL_NOTSUPPORTED && p->expect.sasl <= FS_LEVEL_NOTSUPPORTED &&
		    p->expect.dialback <= FS_DIALBACK_FALSE);
		for (k = 0; k < p->nadditional; k++)
			CHECK(fs_policyfile_domain_ok(p->additional[k]));
		for (j = 0; j < i; j++)
			CHECK(strcmp(pf->partners[j].domain, p->domain) != 0);
		CHECK(fs_policyfile_find(pf, p->domain) == p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[16384];
	struct fs_policyfile *pf = (struct fs_policyfile *)1;
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	rc = fs_policyfile_parse(NAME, text, &pf, err, sizeof(err));
	if (rc != 0) {
		CHECK(rc == -1 && pf == NULL);
		fz_check_message(err, NAME);
	} else {
		CHECK(pf != NULL);
		check_sane(pf);
		fz_roundtrip(pf);
		fs_policyfile_free(pf);
	}
	free(text);
	return 0;
}
