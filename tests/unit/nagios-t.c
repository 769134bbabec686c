/* nagios-t.c: check --nagios's states (verdict and certificate days), the day count, and the output of assessments. */
#include <stdlib.h>
#include <string.h>

#include "fedscan/nagios.h"
#include "tap/basic.h"

#define NOW 1767225600LL         /* 2026-01-01T00:00:00Z */
#define DAY 86400LL

static void
test_days(void)
{
	is_int(29, fs_days_left(NOW + 30 * DAY - 60, NOW), "29 days 23:59 left: 29 days");
	is_int(0, fs_days_left(NOW + 60, NOW), "a minute left: 0 days");
	is_int(-1, fs_days_left(NOW - 60, NOW), "expired a minute ago: -1 (never 0: an expired certificate is past)");
	is_int(-2, fs_days_left(NOW - DAY - 1, NOW), "expired a day and a second ago: -2");
}

static void
test_states(void)
{
	is_int(FS_PLUGIN_OK, fs_nagios_state(FS_VERDICT_COMPATIBLE, true, 29, 14, 3), "compatible, 29 days: OK");
	is_int(FS_PLUGIN_OK, fs_nagios_state(FS_VERDICT_COMPATIBLE, false, 0, 14, 3), "compatible, no certificate: OK");
	is_int(FS_PLUGIN_WARNING, fs_nagios_state(FS_VERDICT_COMPATIBLE, true, 13, 14, 3), "13 days < 14: WARNING");
	is_int(FS_PLUGIN_OK, fs_nagios_state(FS_VERDICT_COMPATIBLE, true, 14, 14, 3), "14 days, warning 14: OK (fewer "
	    "than is the rule, as inference's)");
	is_int(FS_PLUGIN_CRITICAL, fs_nagios_state(FS_VERDICT_COMPATIBLE, true, 2, 14, 3), "2 days < 3: CRITICAL");
	is_int(FS_PLUGIN_CRITICAL, fs_nagios_state(FS_VERDICT_DEGRADED, true, -1, 14, 0), "expired, critical 0: CRITICAL");
	is_int(FS_PLUGIN_WARNING, fs_nagios_state(FS_VERDICT_DEGRADED, true, 100, 14, 3), "degraded: WARNING");
	is_int(FS_PLUGIN_CRITICAL, fs_nagios_state(FS_VERDICT_INCOMPATIBLE, true, 100, 14, 3), "incompatible: CRITICAL");
	is_int(FS_PLUGIN_CRITICAL, fs_nagios_state(FS_VERDICT_UNREACHABLE, false, 0, 14, 3), "unreachable: CRITICAL");
	is_int(FS_PLUGIN_UNKNOWN, fs_nagios_state(FS_VERDICT_ERROR, true, 1, 14, 3), "error: UNKNOWN, whatever the "
	    "certificate");
	is_int(FS_PLUGIN_CRITICAL, fs_nagios_worse(FS_PLUGIN_UNKNOWN, FS_PLUGIN_CRITICAL), "CRITICAL over UNKNOWN");
	is_int(FS_PLUGIN_WARNING, fs_nagios_worse(FS_PLUGIN_WARNING, FS_PLUGIN_UNKNOWN), "WARNING over UNKNOWN");
	is_int(FS_PLUGIN_UNKNOWN, fs_nagios_worse(FS_PLUGIN_OK, FS_PLUGIN_UNKNOWN), "UNKNOWN over OK");
}

/* A one-endpoint assessment with a certificate expiring at not_after (0: none). */
static void
assessment(struct fs_assessment *a, const char *domain, enum fs_verdict v, long long not_after, const char *reason)
{
	memset(a, 0, sizeof(*a));
	FS_EV_SET(a->domain, domain);
	a->verdict = v;
	a->negotiated = v == FS_VERDICT_COMPATIBLE ? FS_METHOD_SASL_TLS : 0;
	a->duration_ms = 1234;
	a->nendpoints = 1;
	a->endpoints = calloc(1, sizeof(*a->endpoints));
	FS_EV_SET(a->endpoints[0].host, "xmpp.example");
	FS_EV_SET(a->endpoints[0].address, "192.0.2.1");
	a->endpoints[0].port = 5269;
	a->endpoints[0].reachable = v != FS_VERDICT_UNREACHABLE;
	a->endpoints[0].tls.ok = not_after > 0;
	a->endpoints[0].tls.cert_present = not_after > 0;
	a->endpoints[0].tls.not_after_epoch = not_after;
	if (reason != NULL)
		fs_assess_reason(a, FS_R_OTHER, FS_P_OTHER, reason);
}

static char *
print(struct fs_nagios *ng, const char *problem, int *state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*state = fs_nagios_print(f, ng, problem);
	fclose(f);
	return buf;
}

static void
test_output(void)
{
	struct fs_nagios ng;
	struct fs_assessment a;
	const char *want;
	char *out;
	int state;

	fs_nagios_init(&ng, 14, 3);
	assessment(&a, "a.example", FS_VERDICT_COMPATIBLE, NOW + 30 * DAY, NULL);
	ok(fs_nagios_add(&ng, &a, NOW) == 0, "one partner kept");
	fs_assessment_clear(&a);
	out = print(&ng, NULL, &state);
	is_int(FS_PLUGIN_OK, state, "one compatible partner: OK");
	ok(strchr(out, '\n') != NULL, "one partner: a status line");
	if (strchr(out, '\n') != NULL)
		*strchr(out, '\n') = '\0';
	is_string("FEDSCAN OK - a.example: compatible (SASL over TLS) | cert_days=30;14:;3: time=1.234s;;;0 "
	    "endpoints_up=1;;;0;1", out, "one partner: the status line");
	free(out);

	assessment(&a, "b.example", FS_VERDICT_UNREACHABLE, 0, "no endpoint | answered\nFEDSCAN OK - forged");
	fs_nagios_add(&ng, &a, NOW);
	fs_assessment_clear(&a);
	out = print(&ng, NULL, &state);
	is_int(FS_PLUGIN_CRITICAL, state, "plus an unreachable partner: CRITICAL");
	want = "FEDSCAN CRITICAL - b.example: unreachable (no endpoint / answered FEDSCAN OK - forged); 2 partners: "
	    "1 critical, 0 warning, 0 unknown, 1 ok | 'b.example time'=1.234s;;;0 'b.example endpoints_up'=0;;;0;1 "
	    "'a.example cert_days'=30;14:;3: 'a.example time'=1.234s;;;0 'a.example endpoints_up'=1;;;0;1\n";
	if (!ok(strncmp(out, want, strlen(want)) == 0,
	    "two partners: the worst names the line, '|' and the line break made harmless, labels quoted"))
		diag("got: %s", out);
	ok(strstr(out, "\nCRITICAL: b.example: ") != NULL && strstr(out, "\nOK: a.example: ") != NULL &&
	    strstr(out, "\nCRITICAL: b.example") < strstr(out, "\nOK: a.example"), "long output: worst first");
	ok(strstr(out, "\nFEDSCAN") == NULL, "no second status line");
	free(out);
	fs_nagios_free(&ng);

	fs_nagios_init(&ng, 14, 3);
	out = print(&ng, "the store could not be opened", &state);
	is_int(FS_PLUGIN_UNKNOWN, state, "nothing audited, a problem: UNKNOWN");
	is_string("FEDSCAN UNKNOWN - the store could not be opened\n", out, "the problem is the status line");
	free(out);
	fs_nagios_free(&ng);
}

int
main(void)
{
	test_days();
	test_states();
	test_output();
	return done_testing();
}
