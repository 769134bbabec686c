/* policy.c: a partner's setting against the local one, through the 18-row matrix; pure functions. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fedscan/policy.h"

static void __attribute__((format(printf, 4, 5)))
reason(struct fs_compat *c, enum fs_reason_code code, enum fs_problem_code problem, const char *fmt, ...)
{
	va_list ap;

	if (c->nreasons >= FS_POLICY_REASONS)
		return;
	c->reason_codes[c->nreasons] = code;
	c->reason_problems[c->nreasons] = problem;
	va_start(ap, fmt);
	vsnprintf(c->reasons[c->nreasons++], FS_EV_TEXT, fmt, ap);
	va_end(ap);
}

/* A reason put before every other: what decides the verdict by itself is read first. */
static void __attribute__((format(printf, 3, 4)))
reason_first(struct fs_compat *c, enum fs_reason_code code, const char *fmt, ...)
{
	va_list ap;
	unsigned n = c->nreasons < FS_POLICY_REASONS ? c->nreasons : FS_POLICY_REASONS - 1;

	memmove(&c->reasons[1], &c->reasons[0], n * sizeof(c->reasons[0]));
	memmove(&c->reason_codes[1], &c->reason_codes[0], n * sizeof(c->reason_codes[0]));
	memmove(&c->reason_problems[1], &c->reason_problems[0], n * sizeof(c->reason_problems[0]));
	c->nreasons = n + 1;
	c->reason_codes[0] = code;
	c->reason_problems[0] = FS_P_OTHER;
	va_start(ap, fmt);
	vsnprintf(c->reasons[0], FS_EV_TEXT, fmt, ap);
	va_end(ap);
}

enum fs_method
fs_negotiate(const struct fs_setting *local, const struct fs_setting *partner)
{
	const struct fs_matrix_row *a = fs_policy_row(local), *b = fs_policy_row(partner);

	if (a == NULL || b == NULL)
		return 0;
	return fs_method_best(a->methods & b->methods);
}

static const char *
method_or_none(enum fs_method m)
{
	return m != 0 ? fs_method_name(m) : "no common method";
}

void
fs_policy_compat(const struct fs_setting *local, const struct fs_setting *partner, struct fs_compat *c)
{
	static const enum fs_level levels[] = { FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_LEVEL_NOTSUPPORTED };
	static const enum fs_dialback dbs[] = { FS_DIALBACK_TRUE, FS_DIALBACK_FALSE };
	const struct fs_matrix_row *lr = fs_policy_row(local), *pr;
	struct fs_setting cand;
	unsigned ti, si, di, pass, ncand = 0, common = FS_METHOD_ALL;
	enum fs_method first = 0, best_local, m;
	enum fs_verdict worst = FS_VERDICT_COMPATIBLE, v;
	bool differ = false;
	char unknown[64] = "";

	memset(c, 0, sizeof(*c));
	if (lr == NULL) {
		c->verdict = FS_VERDICT_ERROR;
		reason(c, FS_R_LOCAL_INCOMPLETE, FS_P_OTHER, "the local setting is incomplete");
		return;
	}
	best_local = fs_method_best(lr->methods);
	/*
	 * Every value an Unknown field could take; the verdict stands only if they all agree. Rows that
	 * accept nothing are left out (a partner that federates is not in one) unless nothing else is left.
	 */
	for (pass = 0; pass < 2 && ncand == 0; pass++)
	for (ti = 0; ti < 3; ti++)
	for (si = 0; si < 3; si++)
	for (di = 0; di < 2; di++) {
		cand.tls = partner->tls != FS_LEVEL_UNKNOWN ? partner->tls : levels[ti];
		cand.sasl = partner->sasl != FS_LEVEL_UNKNOWN ? partner->sasl : levels[si];
		cand.dialback = partner->dialback != FS_DIALBACK_UNKNOWN ? partner->dialback : dbs[di];
		if ((partner->tls != FS_LEVEL_UNKNOWN && ti > 0) || (partner->sasl != FS_LEVEL_UNKNOWN && si > 0) ||
		    (partner->dialback != FS_DIALBACK_UNKNOWN && di > 0))
			continue;
		/* doc/inference-rules.md#normalisation: a partner is never (SASL Required, Dialback True). */
		if (cand.sasl == FS_LEVEL_REQUIRED && cand.dialback == FS_DIALBACK_TRUE &&
		    partner->sasl == FS_LEVEL_UNKNOWN)
			continue;
		if ((pr = fs_policy_row(&cand)) == NULL || (pr->methods == 0 && pass == 0))
			continue;
		m = fs_method_best(lr->methods & pr->methods);
		v = m == 0 ? FS_VERDICT_INCOMPATIBLE : m != best_local ? FS_VERDICT_DEGRADED : FS_VERDICT_COMPATIBLE;
		if (ncand == 0) {
			first = m;
			c->row = pr->row;
		} else if (m != first) {
			differ = true;
		}
		if (v > worst)
			worst = v;
		common &= pr->methods;
		ncand++;
	}
	c->methods = ncand > 0 ? common : 0;
	if (partner->tls == FS_LEVEL_UNKNOWN || partner->sasl == FS_LEVEL_UNKNOWN ||
	    partner->dialback == FS_DIALBACK_UNKNOWN)
		c->row = 0;
	if (partner->tls == FS_LEVEL_UNKNOWN)
		snprintf(unknown + strlen(unknown), sizeof(unknown) - strlen(unknown), "TLS, ");
	if (partner->sasl == FS_LEVEL_UNKNOWN)
		snprintf(unknown + strlen(unknown), sizeof(unknown) - strlen(unknown), "SASL, ");
	if (partner->dialback == FS_DIALBACK_UNKNOWN)
		snprintf(unknown + strlen(unknown), sizeof(unknown) - strlen(unknown), "Dialback, ");
	if (unknown[0] != '\0')
		unknown[strlen(unknown) - 2] = '\0';
	if (differ) {
		c->depends = true;
		c->negotiated = 0;
		c->verdict = worst;
		reason(c, FS_R_DEPENDS, FS_P_OTHER, "the outcome depends on the partner's %s, which the evidence could not decide", unknown);
		return;
	}
	c->negotiated = first;
	c->verdict = worst;
	if (first == 0)
		reason(c, FS_R_NO_COMMON_METHOD, FS_P_OTHER, "no common method: the local setting (row %d) accepts %s; the partner's does not", lr->row,
		    lr->methods ? fs_method_name(best_local) : "nothing");
	else if (first != best_local)
		reason(c, FS_R_WEAKER_METHOD, FS_P_OTHER, "negotiates %s, weaker than %s which the local policy prefers", method_or_none(first),
		    fs_method_name(best_local));
}

/* Problems that make a federating partner degraded by themselves (fedscan(1), VERDICTS). */
static bool
problem_degrades(enum fs_problem_code code)
{
	switch (code) {
	case FS_P_ENDPOINT_DOWN:
	case FS_P_TLS_OLD:
	case FS_P_DISAGREE:
	case FS_P_TLS_FAILED:
	case FS_P_STARTTLS_REFUSED:
	case FS_P_DNSSEC_BOGUS:       /* validating servers cannot find or use this endpoint */
	case FS_P_DANE_MISMATCH:      /* DANE-validating servers refuse the certificate (RFC 7673 §3) */
	case FS_P_BROKE:
		return true;
	default:
		return false;
	}
}

void
fs_policy_verdict(const struct fs_setting *local, const struct fs_inference *inf, struct fs_compat *c)
{
	unsigned i;

	if (!inf->reachable) {
		memset(c, 0, sizeof(*c));
		c->verdict = inf->xmpp_error || inf->dns_failed || inf->local_unreachable ? FS_VERDICT_ERROR :
		    FS_VERDICT_UNREACHABLE;
		reason(c, FS_R_UNREACHABLE, FS_P_OTHER, "%s", inf->error[0] ? inf->error : "no endpoint answered as an XMPP server");
		return;
	}
	fs_policy_compat(local, &inf->s, c);
	if (inf->tls_failed && inf->s.tls == FS_LEVEL_REQUIRED) {
		c->verdict = FS_VERDICT_ERROR;
		c->negotiated = 0;
		reason(c, FS_R_TLS_UNUSABLE, FS_P_OTHER, "the partner requires TLS but TLS cannot be negotiated with it: no method can work");
	} else if (inf->s.tls == FS_LEVEL_UNKNOWN) {
		/* Reachable, yet not even the stream features could be read: the audit could not be done. */
		c->verdict = FS_VERDICT_ERROR;
		c->negotiated = 0;
		reason(c, FS_R_UNREADABLE, FS_P_OTHER, "the partner answered but its settings could not be read");
	}
	if (inf->broke[0] != '\0' && !inf->from_refused) {
		/* The audit could not be done: what broke is the finding, not the settings guessed around it. */
		c->verdict = FS_VERDICT_ERROR;
		c->negotiated = 0;
		reason_first(c, FS_R_BROKE, "what broke first: %s", inf->broke);
	}
	if (inf->from_refused) {
		/*
		 * A partner that refuses our domain by name is never compatible with it, whatever its settings for
		 * others (fedscan(1), VERDICTS): what it refused, in its own words, is the first thing to read.
		 */
		c->verdict = FS_VERDICT_ERROR;
		c->negotiated = 0;
		if (inf->refusal[0] != '\0')
			reason_first(c, FS_R_FROM_REFUSED, "%s; rerun with a --from it accepts, or ask the partner to allow it",
			    inf->refusal);
		else
			reason_first(c, FS_R_FROM_REFUSED, "the partner refused our stream domain (--from) before answering; "
			    "rerun with a --from it accepts");
	}
	if (inf->cert_problem && c->negotiated == FS_METHOD_SASL_TLS) {
		if (c->verdict < FS_VERDICT_DEGRADED)
			c->verdict = FS_VERDICT_DEGRADED;
		reason(c, FS_R_CERT_SASL, FS_P_OTHER, "SASL over TLS will fail with this partner's certificate:");
	} else if (inf->cert_problem && c->negotiated != 0 && c->negotiated != FS_METHOD_TCP_DIALBACK) {
		if (c->verdict < FS_VERDICT_DEGRADED)
			c->verdict = FS_VERDICT_DEGRADED;
		reason(c, FS_R_CERT_VERIFYING, FS_P_OTHER, "certificate problems (servers that verify certificates will refuse this partner):");
	}
	for (i = 0; i < inf->nproblems; i++) {
		reason(c, FS_R_PROBLEM, inf->problem_codes[i], "%s", inf->problems[i]);
		/* Decided on the problem's code: a peer's words inside the text can never change a verdict. */
		if (c->verdict < FS_VERDICT_DEGRADED && problem_degrades(inf->problem_codes[i]))
			c->verdict = FS_VERDICT_DEGRADED;
	}
	if (inf->cert_required)
		reason(c, FS_R_CERT_REQUIRED, FS_P_OTHER, "the partner accepts only peers with a certificate valid for their domain, for every "
		    "method (rule S7; Prosody's s2s_secure_auth): the local server needs one");
	if (inf->s.tls == FS_LEVEL_UNKNOWN && inf->tls_unknown[0])
		reason(c, FS_R_UNKNOWN_TLS, FS_P_OTHER, "TLS unknown: %s", inf->tls_unknown);
	if (inf->s.sasl == FS_LEVEL_UNKNOWN && inf->sasl_unknown[0])
		reason(c, FS_R_UNKNOWN_SASL, FS_P_OTHER, "SASL unknown: %s", inf->sasl_unknown);
	if (inf->s.dialback == FS_DIALBACK_UNKNOWN && inf->dialback_unknown[0])
		reason(c, FS_R_UNKNOWN_DIALBACK, FS_P_OTHER, "Dialback unknown: %s", inf->dialback_unknown);
}

const char *
fs_policy_message(const struct fs_matrix_row *row)
{
	/* fedscan's own words for each kind of row; the source's meaning is printed beside it. */
	if (row == NULL)
		return "incomplete setting";
	if (row->methods == 0)
		return "this configuration cannot federate with anyone: it accepts no authentication method";
	if (row->setting.tls == FS_LEVEL_REQUIRED && row->setting.sasl == FS_LEVEL_REQUIRED &&
	    row->setting.dialback == FS_DIALBACK_TRUE)
		return "Dialback is enabled but never used: with TLS and SASL both required only SASL over TLS is "
		    "accepted";
	if (row->setting.sasl != FS_LEVEL_NOTSUPPORTED && row->setting.tls != FS_LEVEL_REQUIRED)
		return "SASL needs TLS: with TLS not required, sessions with partners that skip TLS cannot use SASL and "
		    "may fail to negotiate";
	if (row->verdict == FS_CONFIG_NOTE)
		return "only dialback is accepted; which kind depends on what the partner offers";
	return "a consistent configuration";
}
