/* metrics.c: --prometheus FILE: typed assessments as the Prometheus text exposition format, replaced atomically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fedscan/metrics.h"
#include "fedscan/settings.h"

/* What the metrics keep of one partner. */
struct fs_metrics_partner {
	char domain[FS_EV_TEXT];
	enum fs_verdict verdict;
	enum fs_method negotiated;     /* 0: none */
	struct fs_setting s;
	enum fs_conf conf[3];          /* tls, sasl, dialback */
	int expect;                    /* 1 the policy file's expectation is contradicted, 0 confirmed, -1 undecided */
	long long cert_expiry;         /* UNIX time; 0: no certificate seen */
	unsigned up, total;
	long long duration_ms;
};

int
fs_metrics_open(struct fs_metrics *m, const char *path, int warn_days, int crit_days, char *err, size_t errlen)
{
	size_t len = strlen(path);

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->warn_days = warn_days;
	m->crit_days = crit_days;
	if ((m->path = strdup(path)) == NULL || (m->tmp = malloc(len + 8)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	/*
	 * FILE.XXXXXX in FILE's directory: rename(2) within one file system replaces FILE at once, so the collector
	 * never reads half a file, and it reads only *.prom, so it never reads the temporary one.
	 */
	memcpy(m->tmp, path, len);
	memcpy(m->tmp + len, ".XXXXXX", 8);
	if ((m->fd = mkstemp(m->tmp)) < 0) {
		snprintf(err, errlen, "%s: cannot create a file in its directory: %s", path, strerror(errno));
		free(m->tmp);
		m->tmp = NULL;
		return -1;
	}
	/* The collector runs as another user (prometheus): the metrics are readable, as node-exporter's own are. */
	if (fchmod(m->fd, 0644) != 0) {
		snprintf(err, errlen, "%s: %s", m->tmp, strerror(errno));
		return -1;
	}
	return 0;
}

int
fs_metrics_add(struct fs_metrics *m, const struct fs_assessment *a)
{
	struct fs_metrics_partner *p, *nv;
	size_t cap;

	if (m->n == m->cap) {
		cap = m->cap > 0 ? m->cap * 2 : 16;
		if ((nv = realloc(m->v, cap * sizeof(*nv))) == NULL) {
			m->failed = true;
			return -1;
		}
		m->v = nv;
		m->cap = cap;
	}
	p = &m->v[m->n++];
	memset(p, 0, sizeof(*p));
	FS_EV_SET(p->domain, a->domain);
	p->verdict = a->verdict;
	p->negotiated = a->negotiated;
	p->s = a->eff.s;
	p->conf[0] = a->eff.tls_conf;
	p->conf[1] = a->eff.sasl_conf;
	p->conf[2] = a->eff.dialback_conf;
	/* Absent when nothing is expected or nothing could be compared (unreachable): 0 would claim a match. */
	p->expect = a->expected.matches == FS_EXPECT_UNDECIDED ? -1 : a->expected.matches == FS_EXPECT_MISMATCH;
	p->cert_expiry = fs_assess_cert_expiry(a);
	p->up = fs_assess_endpoints_up(a);
	p->total = a->nendpoints;
	p->duration_ms = a->duration_ms;
	return 0;
}

/* A label value as the exposition format quotes it: backslash, double quote and line feed escaped. */
static void
label_value(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{partner="DOMAIN"[,extra]} */
static void
sample_start(FILE *f, const char *name, const struct fs_metrics_partner *p)
{
	fprintf(f, "%s{partner=\"", name);
	label_value(f, p->domain);
	fputc('"', f);
}

/* A state set: one sample per possible value, 1 for the partner's (a bounded label, as Prometheus advises). */
static void
state_set(FILE *f, const char *name, const struct fs_metrics_partner *p, const char *label,
    const char *const *values, size_t nvalues, const char *current, const char *extra)
{
	size_t i;

	for (i = 0; i < nvalues; i++) {
		sample_start(f, name, p);
		if (extra != NULL)
			fprintf(f, ",%s", extra);
		fprintf(f, ",%s=\"%s\"} %d\n", label, values[i], strcmp(values[i], current) == 0);
	}
}

static const char *const verdicts[] = { "compatible", "degraded", "incompatible", "unreachable", "error" };
static const char *const methods[] = { "SASL over TLS", "TLS Dialback", "TCP Dialback", "none" };
static const char *const levels[] = { "Required", "Optional", "NotSupported", "Unknown" };
static const char *const dialbacks[] = { "True", "False", "Unknown" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The state sets: verdict, negotiated method, each effective setting. */
static void
write_states(FILE *f, const struct fs_metrics *m)
{
	size_t i;

	family(f, "fedscan_partner_verdict", "gauge", "The partner's verdict: 1 for the current one (fedscan(1) VERDICTS).");
	for (i = 0; i < m->n; i++)
		state_set(f, "fedscan_partner_verdict", &m->v[i], "verdict", verdicts, N(verdicts),
		    fs_verdict_name(m->v[i].verdict), NULL);
	family(f, "fedscan_partner_negotiated_method", "gauge",
	    "The method the local setting and the partner's negotiate: 1 for the current one.");
	for (i = 0; i < m->n; i++)
		state_set(f, "fedscan_partner_negotiated_method", &m->v[i], "method", methods, N(methods),
		    m->v[i].negotiated != 0 ? fs_method_name(m->v[i].negotiated) : "none", NULL);
	family(f, "fedscan_partner_setting", "gauge", "The partner's effective setting: 1 for the current value.");
	for (i = 0; i < m->n; i++) {
		const struct fs_metrics_partner *p = &m->v[i];

		state_set(f, "fedscan_partner_setting", p, "value", levels, N(levels), fs_level_name(p->s.tls),
		    "setting=\"tls\"");
		state_set(f, "fedscan_partner_setting", p, "value", levels, N(levels), fs_level_name(p->s.sasl),
		    "setting=\"sasl\"");
		state_set(f, "fedscan_partner_setting", p, "value", dialbacks, N(dialbacks),
		    fs_dialback_name(p->s.dialback), "setting=\"dialback\"");
	}
	family(f, "fedscan_partner_setting_confidence", "gauge",
	    "How sure the inference is of the setting: 0 none, 1 low, 2 medium, 3 high.");
	for (i = 0; i < m->n; i++) {
		static const char *const settings[] = { "tls", "sasl", "dialback" };
		size_t k;

		for (k = 0; k < N(settings); k++) {
			sample_start(f, "fedscan_partner_setting_confidence", &m->v[i]);
			fprintf(f, ",setting=\"%s\"} %d\n", settings[k], (int)m->v[i].conf[k]);
		}
	}
}

/* One number per partner; skip (may be NULL) leaves a partner out (nothing known). */
static void
per_partner(FILE *f, const struct fs_metrics *m, const char *name, const char *help,
    double (*value)(const struct fs_metrics_partner *), bool (*skip)(const struct fs_metrics_partner *))
{
	size_t i;

	family(f, name, "gauge", help);
	for (i = 0; i < m->n; i++) {
		if (skip != NULL && skip(&m->v[i]))
			continue;
		sample_start(f, name, &m->v[i]);
		fprintf(f, "} %.15g\n", value(&m->v[i]));
	}
}

static double v_expect(const struct fs_metrics_partner *p) { return p->expect; }
static bool no_expect(const struct fs_metrics_partner *p) { return p->expect < 0; }
static double v_cert(const struct fs_metrics_partner *p) { return (double)p->cert_expiry; }
static bool no_cert(const struct fs_metrics_partner *p) { return p->cert_expiry == 0; }
static double v_up(const struct fs_metrics_partner *p) { return p->up; }
static double v_total(const struct fs_metrics_partner *p) { return p->total; }
static double v_duration(const struct fs_metrics_partner *p) { return p->duration_ms / 1000.0; }

static int
by_domain(const void *a, const void *b)
{
	return strcmp(((const struct fs_metrics_partner *)a)->domain, ((const struct fs_metrics_partner *)b)->domain);
}

/* The run's own numbers. */
static void
write_run(FILE *f, const struct fs_metrics *m, const struct fs_metrics_run *run)
{
	size_t counts[N(verdicts)] = { 0 }, i;

	for (i = 0; i < m->n; i++)
		if ((size_t)m->v[i].verdict < N(verdicts))
			counts[m->v[i].verdict]++;
	family(f, "fedscan_scan_duration_seconds", "gauge", "How long the last run's audit took.");
	fprintf(f, "fedscan_scan_duration_seconds %.3f\n", run->duration);
	family(f, "fedscan_scan_timestamp_seconds", "gauge", "When the last run ended, UNIX time.");
	fprintf(f, "fedscan_scan_timestamp_seconds %lld\n", run->end);
	family(f, "fedscan_scan_complete", "gauge", "1 when the last run audited every partner, 0 when interrupted.");
	fprintf(f, "fedscan_scan_complete %d\n", run->complete);
	family(f, "fedscan_scan_partners", "gauge", "Partners audited by the last run.");
	fprintf(f, "fedscan_scan_partners %zu\n", m->n);
	family(f, "fedscan_scan_partners_by_verdict", "gauge", "Partners audited by the last run, by verdict.");
	for (i = 0; i < N(verdicts); i++)
		fprintf(f, "fedscan_scan_partners_by_verdict{verdict=\"%s\"} %zu\n", verdicts[i], counts[i]);
	family(f, "fedscan_cert_expiry_warning_seconds", "gauge",
	    "--expiry-warn: a certificate closer than this to its expiry makes a partner degraded.");
	fprintf(f, "fedscan_cert_expiry_warning_seconds %lld\n", m->warn_days * 86400LL);
	family(f, "fedscan_cert_expiry_critical_seconds", "gauge", "--expiry-crit: closer than this is critical.");
	fprintf(f, "fedscan_cert_expiry_critical_seconds %lld\n", m->crit_days * 86400LL);
}

int
fs_metrics_write(FILE *f, struct fs_metrics *m, const struct fs_metrics_run *run)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), by_domain);
	write_states(f, m);
	per_partner(f, m, "fedscan_partner_expectation_mismatch",
	    "1 when the audit contradicts what the policy file expects of the partner (fedscan.conf(5)).", v_expect,
	    no_expect);
	per_partner(f, m, "fedscan_partner_cert_expiry_timestamp_seconds",
	    "The earliest certificate expiry over the partner's endpoints, UNIX time.", v_cert, no_cert);
	per_partner(f, m, "fedscan_partner_endpoints_up", "Endpoints that answered as XMPP servers.", v_up, NULL);
	per_partner(f, m, "fedscan_partner_endpoints", "Endpoints found (SRV records, or the domain itself).", v_total,
	    NULL);
	per_partner(f, m, "fedscan_partner_audit_duration_seconds", "How long the partner's audit took.", v_duration,
	    NULL);
	write_run(f, m, run);
	fflush(f);
	return ferror(f) ? -1 : 0;
}

int
fs_metrics_commit(struct fs_metrics *m, const struct fs_metrics_run *run, char *err, size_t errlen)
{
	FILE *f;
	int rc = -1;

	if (m->fd < 0 || (f = fdopen(m->fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", m->tmp != NULL ? m->tmp : m->path, m->fd < 0 ? "not open" : strerror(errno));
		return -1;
	}
	m->fd = -1;                        /* the stream owns it now */
	if (m->failed)
		snprintf(err, errlen, "%s: out of memory keeping the partners", m->path);
	else if (fs_metrics_write(f, m, run) != 0 || fsync(fileno(f)) != 0)
		snprintf(err, errlen, "%s: %s", m->tmp, strerror(errno));
	else
		rc = 0;
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", m->tmp, strerror(errno));
		rc = -1;
	}
	/* path == tmp: the caller renames it (a privileged parent, src/cmd/confine.h fs_cmd_replace_fork). */
	if (rc == 0 && strcmp(m->tmp, m->path) != 0 && rename(m->tmp, m->path) != 0) {
		snprintf(err, errlen, "%s: cannot replace it: %s", m->path, strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		free(m->tmp);
		m->tmp = NULL;
	}
	return rc;
}

void
fs_metrics_close(struct fs_metrics *m)
{
	if (m->tmp != NULL) {
		if (m->fd >= 0)
			close(m->fd);
		unlink(m->tmp);
	}
	free(m->tmp);
	free(m->path);
	free(m->v);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}
