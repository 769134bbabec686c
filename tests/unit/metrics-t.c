/* metrics-t.c: --prometheus's exposition text: label escaping, state sets, what is left out when unknown. */
#include <stdlib.h>
#include <string.h>

#include "fedscan/metrics.h"
#include "tap/basic.h"

static void
partner(struct fs_assessment *a, const char *domain, enum fs_verdict v, int matches)
{
	memset(a, 0, sizeof(*a));
	FS_EV_SET(a->domain, domain);
	a->verdict = v;
	a->expected.present = matches != FS_EXPECT_UNDECIDED;
	a->expected.matches = matches;
}

/* The metrics as text, into *out (freed by the caller). */
static void
text(struct fs_metrics *m, char **out, size_t *len)
{
	struct fs_metrics_run run = { 1.5, 1767225600, true };
	FILE *f = open_memstream(out, len);

	ok(f != NULL && fs_metrics_write(f, m, &run) == 0, "written");
	if (f != NULL)
		fclose(f);
}

int
main(void)
{
	struct fs_metrics m;
	struct fs_assessment a;
	char *out = NULL;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	m.fd = -1;
	m.warn_days = 14;
	m.crit_days = 3;
	partner(&a, "q\"uote\\back\nline", FS_VERDICT_ERROR, FS_EXPECT_UNDECIDED);
	fs_metrics_add(&m, &a);
	partner(&a, "b.example", FS_VERDICT_COMPATIBLE, FS_EXPECT_MATCHES);
	fs_metrics_add(&m, &a);
	partner(&a, "c.example", FS_VERDICT_DEGRADED, FS_EXPECT_MISMATCH);
	fs_metrics_add(&m, &a);
	text(&m, &out, &len);
	ok(strstr(out, "fedscan_partner_verdict{partner=\"q\\\"uote\\\\back\\nline\",verdict=\"error\"} 1\n") != NULL,
	    "a label value escapes '\"', '\\\\' and the line feed (exposition format)");
	ok(strstr(out, "fedscan_partner_verdict{partner=\"b.example\",verdict=\"compatible\"} 1\n") != NULL &&
	    strstr(out, "fedscan_partner_verdict{partner=\"b.example\",verdict=\"degraded\"} 0\n") != NULL,
	    "the verdict is a state set: 1 for the current value, 0 for the others");
	ok(strstr(out, "fedscan_partner_expectation_mismatch{partner=\"b.example\"} 0\n") != NULL &&
	    strstr(out, "fedscan_partner_expectation_mismatch{partner=\"c.example\"} 1\n") != NULL &&
	    strstr(out, "fedscan_partner_expectation_mismatch{partner=\"q") == NULL,
	    "expectation: 0 confirmed, 1 contradicted, no sample when undecided");
	ok(strstr(out, "fedscan_partner_cert_expiry_timestamp_seconds{") == NULL,
	    "no certificate seen: no expiry sample (not 0, which would read as expired in 1970)");
	ok(strstr(out, "fedscan_partner_verdict{partner=\"b.example\"") < strstr(out, "fedscan_partner_verdict{partner=\"c"),
	    "partners sorted by domain");
	ok(strstr(out, "\nfedscan_scan_partners 3\n") != NULL && strstr(out, "\nfedscan_scan_duration_seconds 1.500\n") &&
	    strstr(out, "\nfedscan_scan_timestamp_seconds 1767225600\n") != NULL &&
	    strstr(out, "\nfedscan_cert_expiry_critical_seconds 259200\n") != NULL, "the run's numbers");
	ok(strstr(out, "# HELP fedscan_partner_verdict ") != NULL && strstr(out, "# TYPE fedscan_partner_verdict gauge\n"),
	    "HELP and TYPE lines");
	free(out);
	fs_metrics_close(&m);
	return done_testing();
}
