/* nagios.c: check --nagios: the Monitoring Plugins output (status line, details, perfdata) of typed assessments. */
#include <stdlib.h>
#include <string.h>

#include "fedscan/log.h"
#include "fedscan/nagios.h"
#include "fedscan/settings.h"

/* What the output keeps of one partner. */
struct fs_nagios_partner {
	char domain[FS_EV_TEXT];
	int state;
	char headline[FS_EV_LONG];     /* "compatible (SASL over TLS)" */
	bool has_cert;
	long long cert_days;
	long long duration_ms;
	unsigned up, total;
	char *details;                 /* owned: the partner's lines of the long output */
	size_t order;                  /* when it was added, for a stable sort */
};

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

void
fs_nagios_init(struct fs_nagios *ng, int warn_days, int crit_days)
{
	memset(ng, 0, sizeof(*ng));
	ng->warn_days = warn_days;
	ng->crit_days = crit_days;
}

long long
fs_days_left(long long t, long long now)
{
	long long d = t - now;

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/* Severity for comparisons: OK 0, UNKNOWN 1, WARNING 2, CRITICAL 3 (fedscan(1) MONITORING). */
static int
severity(int state)
{
	static const int rank[] = { 0, 2, 3, 1 };

	return state >= 0 && state <= FS_PLUGIN_UNKNOWN ? rank[state] : 1;
}

int
fs_nagios_worse(int a, int b)
{
	return severity(a) >= severity(b) ? a : b;
}

int
fs_nagios_state(enum fs_verdict v, bool has_cert, long long cert_days, int warn_days, int crit_days)
{
	int s, c = FS_PLUGIN_OK;

	switch (v) {
	case FS_VERDICT_COMPATIBLE: s = FS_PLUGIN_OK; break;
	case FS_VERDICT_DEGRADED: s = FS_PLUGIN_WARNING; break;
	case FS_VERDICT_INCOMPATIBLE:
	case FS_VERDICT_UNREACHABLE: s = FS_PLUGIN_CRITICAL; break;
	default: return FS_PLUGIN_UNKNOWN;        /* the audit could not be done: nothing else is known */
	}
	/* The same rule as inference's (fewer than warn_days left is a problem), and crit_days nearer still. */
	if (has_cert && cert_days < crit_days)
		c = FS_PLUGIN_CRITICAL;
	else if (has_cert && cert_days < warn_days)
		c = FS_PLUGIN_WARNING;
	return fs_nagios_worse(s, c);
}

/*
 * Text from the partner (reasons quote its stream errors) made safe for a plugin's output: '|' starts the
 * perfdata, so it becomes '/'; a line break would start a line of its own (a forged status line), so it becomes
 * a space; other control characters are escaped by fs_fputs_safe().
 */
static void
put(FILE *f, const char *s)
{
	char buf[FS_EV_LONG];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = s[i] == '|' ? '/' : s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i];
	buf[i] = '\0';
	fs_fputs_safe(buf, f);
}

static void
cert_text(char *buf, size_t size, long long days)
{
	if (days < 0)
		snprintf(buf, size, "certificate expired %lld day%s ago", -days, days == -1 ? "" : "s");
	else
		snprintf(buf, size, "certificate expires in %lld day%s", days, days == 1 ? "" : "s");
}

/* "verdict (why)": the certificate when it decides the state, else the method (compatible) or the first reason. */
static void
headline(struct fs_nagios_partner *p, const struct fs_assessment *a, const struct fs_nagios *ng)
{
	char why[FS_EV_LONG];
	int verdict_only = fs_nagios_state(a->verdict, false, 0, 0, 0);
	int cert_only = fs_nagios_state(FS_VERDICT_COMPATIBLE, p->has_cert, p->cert_days, ng->warn_days, ng->crit_days);

	/* The certificate is the why when it alone makes the state what it is (or as bad as the verdict does). */
	if (verdict_only != FS_PLUGIN_UNKNOWN && cert_only != FS_PLUGIN_OK && severity(cert_only) >= severity(verdict_only))
		cert_text(why, sizeof(why), p->cert_days);
	else if (a->verdict == FS_VERDICT_COMPATIBLE && a->negotiated != 0)
		snprintf(why, sizeof(why), "%s", fs_method_name(a->negotiated));
	else if (a->nreasons > 0)
		snprintf(why, sizeof(why), "%s", a->reasons[0].text);
	else
		snprintf(why, sizeof(why), "%s", a->negotiated != 0 ? fs_method_name(a->negotiated) : "no method");
	snprintf(p->headline, sizeof(p->headline), "%s (%s)", fs_verdict_name(a->verdict), why);
}

static void
setting_text(FILE *f, const char *label, const char *value, enum fs_conf conf)
{
	fprintf(f, "%s %s", label, value);
	if (strcmp(value, "Unknown") != 0)
		fprintf(f, " (%s)", fs_conf_name(conf));
}

/* The long output of one partner: its state and headline, settings, method, endpoints, reasons. */
static void
details(FILE *f, const struct fs_nagios_partner *p, const struct fs_assessment *a, long long now)
{
	unsigned i;

	fprintf(f, "%s: ", state_names[p->state]);
	put(f, a->domain);
	fputs(": ", f);
	put(f, p->headline);
	fputs("\n  settings: ", f);
	setting_text(f, "TLS", fs_level_name(a->eff.s.tls), a->eff.tls_conf);
	setting_text(f, ", SASL", fs_level_name(a->eff.s.sasl), a->eff.sasl_conf);
	setting_text(f, ", Dialback", fs_dialback_name(a->eff.s.dialback), a->eff.dialback_conf);
	fprintf(f, "; negotiated: %s\n", a->negotiated != 0 ? fs_method_name(a->negotiated) : "none");
	for (i = 0; i < a->nendpoints; i++) {
		const struct fs_endpoint_assess *e = &a->endpoints[i];

		fputs("  endpoint ", f);
		put(f, e->host);
		fputs(" [", f);
		put(f, e->address);
		fprintf(f, "]:%d: %s", e->port, e->reachable ? "up" : "down: ");
		if (!e->reachable)
			put(f, e->error);
		if (e->tls.ok && !e->tls.hidden && e->tls.cert_present && e->tls.not_after_epoch > 0) {
			char c[64];

			cert_text(c, sizeof(c), fs_days_left(e->tls.not_after_epoch, now));
			fputs(", ", f);
			put(f, e->tls.version);
			fprintf(f, ", %s (", c);
			put(f, e->tls.not_after);
			fputc(')', f);
		}
		fputc('\n', f);
	}
	for (i = 0; i < a->nreasons; i++) {
		fputs("  - ", f);
		put(f, a->reasons[i].text);
		fputc('\n', f);
	}
}

int
fs_nagios_add(struct fs_nagios *ng, const struct fs_assessment *a, long long now)
{
	struct fs_nagios_partner *p, *nv;
	long long expiry = fs_assess_cert_expiry(a);
	size_t cap, len;
	FILE *f;

	if (ng->n == ng->cap) {
		cap = ng->cap > 0 ? ng->cap * 2 : 8;
		if ((nv = realloc(ng->v, cap * sizeof(*nv))) == NULL) {
			ng->failed = true;
			return -1;
		}
		ng->v = nv;
		ng->cap = cap;
	}
	p = &ng->v[ng->n];
	memset(p, 0, sizeof(*p));
	FS_EV_SET(p->domain, a->domain);
	p->has_cert = expiry > 0;
	p->cert_days = p->has_cert ? fs_days_left(expiry, now) : 0;
	p->state = fs_nagios_state(a->verdict, p->has_cert, p->cert_days, ng->warn_days, ng->crit_days);
	p->duration_ms = a->duration_ms;
	p->up = fs_assess_endpoints_up(a);
	p->total = a->nendpoints;
	p->order = ng->n;
	headline(p, a, ng);
	if ((f = open_memstream(&p->details, &len)) == NULL) {
		ng->failed = true;
		return -1;
	}
	details(f, p, a, now);
	if (fclose(f) != 0) {
		free(p->details);
		ng->failed = true;
		return -1;
	}
	ng->n++;
	return 0;
}

/* Worst first (CRITICAL, WARNING, UNKNOWN, OK), then by domain, then as added. */
static int
partner_cmp(const void *x, const void *y)
{
	const struct fs_nagios_partner *a = x, *b = y;
	int c = severity(b->state) - severity(a->state);

	if (c == 0)
		c = strcmp(a->domain, b->domain);
	return c != 0 ? c : (a->order > b->order) - (a->order < b->order);
}

/* A perfdata label: the bare name for one partner, 'DOMAIN name' for several (quoted: it has a space). */
static void
label(FILE *f, const struct fs_nagios *ng, const struct fs_nagios_partner *p, const char *name)
{
	const char *c;

	if (ng->n == 1) {
		fputs(name, f);
		return;
	}
	fputc('\'', f);
	for (c = p->domain; *c != '\0'; c++)
		fputc(*c == '\'' || *c == '=' || *c == '|' || (unsigned char)*c < 0x20 ? '_' : *c, f);
	fprintf(f, " %s'", name);
}

/*
 * label=value[UOM];warn;crit;min;max. cert_days's thresholds are ranges "N:" (alert below N), as the
 * Monitoring Plugins guidelines write a lower bound; a bare N would mean alert above N.
 */
static void
perfdata(FILE *f, const struct fs_nagios *ng)
{
	const char *sep = " | ";
	size_t i;

	for (i = 0; i < ng->n; i++) {
		const struct fs_nagios_partner *p = &ng->v[i];

		if (p->has_cert) {
			fputs(sep, f);
			label(f, ng, p, "cert_days");
			fprintf(f, "=%lld;%d:;%d:", p->cert_days, ng->warn_days, ng->crit_days);
			sep = " ";
		}
		fputs(sep, f);
		label(f, ng, p, "time");
		fprintf(f, "=%.3fs;;;0", p->duration_ms / 1000.0);
		sep = " ";
		fputc(' ', f);
		label(f, ng, p, "endpoints_up");
		fprintf(f, "=%u;;;0;%u", p->up, p->total);
	}
}

int
fs_nagios_print(FILE *f, struct fs_nagios *ng, const char *problem)
{
	size_t counts[4] = { 0 }, i;
	int state = FS_PLUGIN_OK;

	if (ng->n > 1)
		qsort(ng->v, ng->n, sizeof(*ng->v), partner_cmp);
	for (i = 0; i < ng->n; i++) {
		state = fs_nagios_worse(state, ng->v[i].state);
		counts[ng->v[i].state]++;
	}
	if (problem != NULL || ng->failed)
		state = fs_nagios_worse(state, FS_PLUGIN_UNKNOWN);
	fprintf(f, "FEDSCAN %s - ", state_names[state]);
	if (ng->n == 0) {
		put(f, problem != NULL ? problem : "no partner was audited");
	} else {
		put(f, ng->v[0].domain);
		fputs(": ", f);
		put(f, ng->v[0].headline);
		if (ng->n > 1)
			fprintf(f, "; %zu partners: %zu critical, %zu warning, %zu unknown, %zu ok", ng->n,
			    counts[FS_PLUGIN_CRITICAL], counts[FS_PLUGIN_WARNING], counts[FS_PLUGIN_UNKNOWN],
			    counts[FS_PLUGIN_OK]);
		if (problem != NULL) {
			fputs("; ", f);
			put(f, problem);
		}
	}
	perfdata(f, ng);
	fputc('\n', f);
	for (i = 0; i < ng->n; i++)
		fputs(ng->v[i].details, f);
	fflush(f);
	return state;
}

void
fs_nagios_free(struct fs_nagios *ng)
{
	size_t i;

	for (i = 0; i < ng->n; i++)
		free(ng->v[i].details);
	free(ng->v);
	ng->v = NULL;
	ng->n = ng->cap = 0;
}
