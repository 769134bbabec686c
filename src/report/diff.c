/* diff.c: what changed per partner between two scans' assessments, typed, the most serious first (fedscan(1), diff). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "fedscan/diff.h"
#include "fedscan/evjson.h"

#define ARROW "\xe2\x86\x92"   /* U+2192, as in "TLS Optional → Required" */
#define NFIELDS 3
#define TLS_VALUES 64          /* distinct versions or fingerprints kept per partner */

static const char *const field_key[NFIELDS] = { "tls", "sasl", "dialback" };
static const char *const field_label[NFIELDS] = { "TLS", "SASL", "Dialback" };

/* ---- the words of a change ---- */

const char *
fs_diff_level(int severity)
{
	return severity >= 90 ? "critical" : severity >= 50 ? "warning" : "notice";
}

static const char *
field_value(const struct fs_setting *s, enum fs_setting_field f)
{
	return f == FS_FIELD_TLS ? fs_level_name(s->tls) : f == FS_FIELD_SASL ? fs_level_name(s->sasl) :
	    fs_dialback_name(s->dialback);
}

static const char *
method_word(enum fs_method m)
{
	const char *s = m != 0 ? fs_method_name(m) : NULL;

	return s != NULL ? s : "none";
}

const char *
fs_change_what(const struct fs_change *c)
{
	switch (c->kind) {
	case FS_CHANGE_PARTNER_ADDED:
	case FS_CHANGE_PARTNER_REMOVED:
	case FS_CHANGE_PARTNER_UNAUDITED: return "partner";
	case FS_CHANGE_VERDICT_BETTER:
	case FS_CHANGE_VERDICT_WORSE: return "verdict";
	case FS_CHANGE_METHOD_STRONGER:
	case FS_CHANGE_METHOD_WEAKER:
	case FS_CHANGE_METHOD_NONE: return "negotiated";
	case FS_CHANGE_SETTING:
	case FS_CHANGE_LOCAL_SETTING: return field_key[c->field < NFIELDS ? c->field : 0];
	case FS_CHANGE_ENDPOINT_REMOVED:
	case FS_CHANGE_ENDPOINT_ADDED: return "endpoint";
	case FS_CHANGE_ENDPOINT_DOWN:
	case FS_CHANGE_ENDPOINT_UP: return "reachable";
	case FS_CHANGE_TLS_OLDER:
	case FS_CHANGE_TLS_NEWER: return "tls_version";
	case FS_CHANGE_CERT_REPLACED: return "certificate";
	case FS_CHANGE_CERT_EXPIRING:
	case FS_CHANGE_CERT_EXPIRED: return "cert_expiry";
	}
	return "?";
}

void
fs_change_from_to(const struct fs_change *c, const char **from, const char **to)
{
	*from = *to = NULL;
	switch (c->kind) {
	case FS_CHANGE_PARTNER_ADDED: *to = fs_verdict_name(c->verdict_to); break;
	case FS_CHANGE_PARTNER_REMOVED:
	case FS_CHANGE_PARTNER_UNAUDITED: *from = fs_verdict_name(c->verdict_from); break;
	case FS_CHANGE_VERDICT_BETTER:
	case FS_CHANGE_VERDICT_WORSE:
		*from = fs_verdict_name(c->verdict_from);
		*to = fs_verdict_name(c->verdict_to);
		break;
	case FS_CHANGE_METHOD_STRONGER:
	case FS_CHANGE_METHOD_WEAKER:
	case FS_CHANGE_METHOD_NONE:
		*from = method_word(c->method_from);
		*to = method_word(c->method_to);
		break;
	case FS_CHANGE_SETTING:
	case FS_CHANGE_LOCAL_SETTING:
		*from = field_value(&c->set_from, c->field);
		*to = field_value(&c->set_to, c->field);
		break;
	case FS_CHANGE_ENDPOINT_REMOVED:
	case FS_CHANGE_ENDPOINT_DOWN: *from = c->from; break;
	case FS_CHANGE_ENDPOINT_ADDED:
	case FS_CHANGE_ENDPOINT_UP: *to = c->to; break;
	case FS_CHANGE_TLS_OLDER:
	case FS_CHANGE_TLS_NEWER:
	case FS_CHANGE_CERT_REPLACED:
	case FS_CHANGE_CERT_EXPIRING:
	case FS_CHANGE_CERT_EXPIRED:
		*from = c->from;
		*to = c->to;
		break;
	}
}

/* "AB:CD:EF:01:23:45…": enough of the first fingerprint of a list to tell two apart in a mail. */
static void
short_fp(const char *list, char *buf, size_t size)
{
	size_t n = strcspn(list, ",");

	snprintf(buf, size, "%.*s%s%s", (int)(n > 17 ? 17 : n), list, n > 17 ? "\xe2\x80\xa6" : "",
	    strchr(list, ',') != NULL ? " (+more)" : "");
}

void
fs_change_text(const struct fs_change *c, char *buf, size_t size)
{
	const char *from, *to, *s = c->count > 1 ? "s" : "", *verb_s = c->count > 1 ? "" : "s";
	char fa[64], fb[64];

	fs_change_from_to(c, &from, &to);
	switch (c->kind) {
	case FS_CHANGE_PARTNER_ADDED: snprintf(buf, size, "new partner: %s", to); break;
	case FS_CHANGE_PARTNER_REMOVED: snprintf(buf, size, "no longer in the scan"); break;
	case FS_CHANGE_PARTNER_UNAUDITED: snprintf(buf, size, "not audited (the newer scan is incomplete)"); break;
	case FS_CHANGE_VERDICT_BETTER:
	case FS_CHANGE_VERDICT_WORSE: snprintf(buf, size, "verdict %s " ARROW " %s", from, to); break;
	case FS_CHANGE_METHOD_STRONGER:
	case FS_CHANGE_METHOD_WEAKER:
	case FS_CHANGE_METHOD_NONE: snprintf(buf, size, "negotiated %s " ARROW " %s", from, to); break;
	case FS_CHANGE_SETTING:
		snprintf(buf, size, "%s %s " ARROW " %s", field_label[c->field < NFIELDS ? c->field : 0], from, to);
		break;
	case FS_CHANGE_LOCAL_SETTING:
		snprintf(buf, size, "local policy %s %s " ARROW " %s", field_label[c->field < NFIELDS ? c->field : 0], from,
		    to);
		break;
	case FS_CHANGE_ENDPOINT_REMOVED: snprintf(buf, size, "endpoint%s vanished: %s", s, from); break;
	case FS_CHANGE_ENDPOINT_DOWN: snprintf(buf, size, "endpoint%s no longer answer%s: %s", s, verb_s, from); break;
	case FS_CHANGE_ENDPOINT_ADDED: snprintf(buf, size, "endpoint%s appeared: %s", s, to); break;
	case FS_CHANGE_ENDPOINT_UP: snprintf(buf, size, "endpoint%s answer%s again: %s", s, verb_s, to); break;
	case FS_CHANGE_TLS_OLDER:
	case FS_CHANGE_TLS_NEWER: snprintf(buf, size, "TLS version %s " ARROW " %s", from, to); break;
	case FS_CHANGE_CERT_REPLACED:
		short_fp(c->from, fa, sizeof(fa));
		short_fp(c->to, fb, sizeof(fb));
		snprintf(buf, size, "certificate replaced: %s " ARROW " %s%s%s", fa, fb,
		    c->expires[0] != '\0' ? ", expires " : "", c->expires);
		break;
	case FS_CHANGE_CERT_EXPIRING:
		snprintf(buf, size, "certificate expires in %lld day%s (%s)", c->days, c->days == 1 ? "" : "s", c->expires);
		break;
	case FS_CHANGE_CERT_EXPIRED: snprintf(buf, size, "certificate expired on %s", c->expires); break;
	default: snprintf(buf, size, "?"); break;
	}
}

/* ---- building the lists ---- */

/* A new change of kind at severity, appended to p (zeroed otherwise); NULL when out of memory. */
static struct fs_change *
add(struct fs_diff_partner *p, enum fs_change_kind kind, int severity)
{
	struct fs_change *c;
	size_t cap;

	if (p->nchanges == p->cap) {
		cap = p->cap > 0 ? p->cap * 2 : 4;
		if ((c = realloc(p->changes, cap * sizeof(*c))) == NULL)
			return NULL;
		p->changes = c;
		p->cap = cap;
	}
	c = &p->changes[p->nchanges++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->severity = severity;
	return c;
}

/* What one partner showed of TLS over all its endpoints' connections. */
struct tls_side {
	char versions[128];          /* "TLSv1.2, TLSv1.3" (sorted, unique) */
	char certs[FS_EV_LONG];      /* SHA-256 fingerprints, sorted, unique, ", " between */
	long long not_after;         /* the earliest expiry, UNIX time; 0: no certificate seen */
	char not_after_text[FS_EV_SHORT];
};

/* The distinct values seen while walking the connections, kept sorted. */
struct tls_walk {
	size_t nv, nc;
	char v[TLS_VALUES][FS_EV_SHORT];
	char c[TLS_VALUES][FS_EV_TEXT];
	struct tls_side *t;
};

/* Insert s into the sorted, unique list v (n entries of width w, at most TLS_VALUES). */
static void
insert_sorted(char *v, size_t w, size_t *n, const char *s)
{
	size_t i;
	int d = 1;

	for (i = 0; i < *n && (d = strcmp(v + i * w, s)) < 0; i++)
		;
	if ((i < *n && d == 0) || *n == TLS_VALUES)
		return;
	memmove(v + (i + 1) * w, v + i * w, (*n - i) * w);
	fs_ev_set(v + i * w, w, s);
	(*n)++;
}

static void
tls_conn(const struct fs_conn_ev *ev, struct tls_walk *w)
{
	const struct fs_cert_ev *cert = &ev->tls.cert;

	if (!ev->tls.ok)
		return;
	if (ev->tls.version[0] != '\0')
		insert_sorted(&w->v[0][0], FS_EV_SHORT, &w->nv, ev->tls.version);
	if (!cert->present || cert->sha256[0] == '\0')
		return;
	insert_sorted(&w->c[0][0], FS_EV_TEXT, &w->nc, cert->sha256);
	if (cert->not_after_epoch > 0 && (w->t->not_after == 0 || cert->not_after_epoch < w->t->not_after)) {
		w->t->not_after = cert->not_after_epoch;
		FS_EV_SET(w->t->not_after_text, cert->not_after);
	}
}

/* "a, b, c" of n strings of width w into buf, cut where it is full. */
static void
join(const char *v, size_t w, size_t n, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len > 0 ? ", " : "", v + i * w);
}

/*
 * Every connection's TLS facts, not only the endpoint's first handshake (struct fs_tls_facts): a partner whose
 * connections differ in version or certificate shows all of them. A live assessment carries the evidence
 * typed; one read back from the store carries the record, read here through the evidence's own field table.
 */
static int
tls_side(const struct fs_assessment *a, struct tls_side *t)
{
	struct tls_walk *w = calloc(1, sizeof(*w));
	struct fs_conn_ev ev;
	const struct fs_endpoint_assess *e;
	const json_t *x;
	unsigned i, k;
	size_t j;

	memset(t, 0, sizeof(*t));
	if (w == NULL)
		return -1;
	w->t = t;
	for (i = 0; i < a->nendpoints; i++) {
		e = &a->endpoints[i];
		for (k = 0; e->record == NULL && k < e->nconns; k++)
			tls_conn(&e->conns[k], w);
		json_array_foreach(e->record, j, x)
			if (fs_conn_ev_from_json(x, &ev) == 0)
				tls_conn(&ev, w);
	}
	join(&w->v[0][0], FS_EV_SHORT, w->nv, t->versions, sizeof(t->versions));
	join(&w->c[0][0], FS_EV_TEXT, w->nc, t->certs, sizeof(t->certs));
	free(w);
	return 0;
}

/* Whole days from `at` to `t`, rounded down. */
static long long
days_until(long long t, long long at)
{
	long long d = t - at;

	return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/* The TLS version, certificate and expiry changes. */
static int
tls_changes(const struct fs_assessment *a, const struct fs_assessment *b, const struct fs_diff_opts *o,
    struct fs_diff_partner *p)
{
	struct tls_side ta, tb;
	struct fs_change *c = NULL;
	long long da, db;
	bool fresh;
	int older;

	if (tls_side(a, &ta) != 0 || tls_side(b, &tb) != 0)
		return -1;
	if (ta.versions[0] != '\0' && tb.versions[0] != '\0' && strcmp(ta.versions, tb.versions) != 0) {
		older = strcmp(tb.versions, ta.versions) < 0;
		if ((c = add(p, older ? FS_CHANGE_TLS_OLDER : FS_CHANGE_TLS_NEWER, older ? FS_SEV_TLS_DOWN : FS_SEV_MINOR))
		    == NULL)
			return -1;
		FS_EV_SET(c->from, ta.versions);
		FS_EV_SET(c->to, tb.versions);
	}
	if (ta.certs[0] != '\0' && tb.certs[0] != '\0' && strcmp(ta.certs, tb.certs) != 0) {
		if ((c = add(p, FS_CHANGE_CERT_REPLACED, FS_SEV_CERT_NEW)) == NULL)
			return -1;
		FS_EV_SET(c->from, ta.certs);
		FS_EV_SET(c->to, tb.certs);
		FS_EV_SET(c->expires, tb.not_after_text);
	}
	if (tb.not_after <= 0 || o->at_b <= 0)
		return 0;
	db = days_until(tb.not_after, o->at_b);
	da = ta.not_after > 0 && o->at_a > 0 ? days_until(ta.not_after, o->at_a) : -1000000;
	/* New in the window (or a new certificate in it): said once, not every night until it expires. */
	fresh = strcmp(ta.certs, tb.certs) != 0;
	if (db < 0 && (da >= 0 || fresh))
		c = add(p, FS_CHANGE_CERT_EXPIRED, FS_SEV_EXPIRED);
	else if (db >= 0 && db < o->expiry_days && (da >= o->expiry_days || fresh))
		c = add(p, FS_CHANGE_CERT_EXPIRING, FS_SEV_EXPIRING);
	else
		return 0;
	if (c == NULL)
		return -1;
	c->days = db;
	FS_EV_SET(c->from, ta.not_after_text);
	FS_EV_SET(c->to, tb.not_after_text);
	FS_EV_SET(c->expires, tb.not_after_text);
	return 0;
}

/* An endpoint's key: "host [address]:port". */
static void
ep_key(const struct fs_endpoint_assess *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s [%s]:%d", e->host, e->address, e->port);
}

static const struct fs_endpoint_assess *
find_ep(const struct fs_assessment *a, const char *key)
{
	char k[600];
	unsigned i;

	for (i = 0; i < a->nendpoints; i++) {
		ep_key(&a->endpoints[i], k, sizeof(k));
		if (strcmp(k, key) == 0)
			return &a->endpoints[i];
	}
	return NULL;
}

/* One growing list "a, b" of endpoint keys: what a change lists. */
struct ep_list {
	char text[FS_EV_LONG];
	unsigned n;
};

static void
list_add(struct ep_list *l, const char *key)
{
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "%s%s", len > 0 ? ", " : "", key);
	l->n++;
}

/* Endpoints gone, no longer answering, new, answering again: one change for each that has any. */
static int
endpoint_changes(const struct fs_assessment *a, const struct fs_assessment *b, struct fs_diff_partner *p)
{
	static const struct { enum fs_change_kind kind; int sev; bool in_from; } out[4] = {
		{ FS_CHANGE_ENDPOINT_REMOVED, FS_SEV_ENDPOINT, true }, { FS_CHANGE_ENDPOINT_DOWN, FS_SEV_ENDPOINT, true },
		{ FS_CHANGE_ENDPOINT_ADDED, FS_SEV_MINOR, false }, { FS_CHANGE_ENDPOINT_UP, FS_SEV_MINOR, false },
	};
	struct ep_list l[4];
	const struct fs_endpoint_assess *e, *other;
	struct fs_change *c;
	char k[600];
	unsigned i;

	memset(l, 0, sizeof(l));
	for (i = 0; i < a->nendpoints; i++) {
		e = &a->endpoints[i];
		ep_key(e, k, sizeof(k));
		if ((other = find_ep(b, k)) == NULL)
			list_add(&l[0], k);
		else if (e->reachable && !other->reachable)
			list_add(&l[1], k);
		else if (!e->reachable && other->reachable)
			list_add(&l[3], k);
	}
	for (i = 0; i < b->nendpoints; i++) {
		ep_key(&b->endpoints[i], k, sizeof(k));
		if (find_ep(a, k) == NULL)
			list_add(&l[2], k);
	}
	for (i = 0; i < 4; i++) {
		if (l[i].n == 0)
			continue;
		if ((c = add(p, out[i].kind, out[i].sev)) == NULL)
			return -1;
		c->count = l[i].n;
		if (out[i].in_from)
			FS_EV_SET(c->from, l[i].text);
		else
			FS_EV_SET(c->to, l[i].text);
	}
	return 0;
}

/* The changes of one partner present in both scans. */
static int
partner_changes(const struct fs_assessment *a, const struct fs_assessment *b, const struct fs_diff_opts *o,
    struct fs_diff_partner *p)
{
	struct fs_change *c;
	unsigned f;
	bool worse;

	if (a->verdict != b->verdict) {
		worse = fs_verdict_severity_rank(b->verdict) < fs_verdict_severity_rank(a->verdict);
		if ((c = add(p, worse ? FS_CHANGE_VERDICT_WORSE : FS_CHANGE_VERDICT_BETTER, !worse ? FS_SEV_BETTER :
		    b->verdict == FS_VERDICT_DEGRADED ? FS_SEV_DEGRADED : FS_SEV_BROKEN)) == NULL)
			return -1;
		c->verdict_from = a->verdict;
		c->verdict_to = b->verdict;
	}
	if (a->negotiated != b->negotiated) {
		/* enum fs_method is in preference order: a later bit is a weaker method. */
		if (b->negotiated == 0)
			c = add(p, FS_CHANGE_METHOD_NONE, FS_SEV_NONE);
		else if (a->negotiated != 0 && b->negotiated > a->negotiated)
			c = add(p, FS_CHANGE_METHOD_WEAKER, FS_SEV_WEAKER);
		else
			c = add(p, FS_CHANGE_METHOD_STRONGER, FS_SEV_MINOR);
		if (c == NULL)
			return -1;
		c->method_from = a->negotiated;
		c->method_to = b->negotiated;
	}
	for (f = 0; f < NFIELDS; f++) {
		if (strcmp(field_value(&a->eff.s, f), field_value(&b->eff.s, f)) == 0)
			continue;
		if ((c = add(p, FS_CHANGE_SETTING, FS_SEV_SETTING)) == NULL)
			return -1;
		c->field = f;
		c->set_from = a->eff.s;
		c->set_to = b->eff.s;
	}
	if (endpoint_changes(a, b, p) != 0)
		return -1;
	return tls_changes(a, b, o, p);
}

/* The last record of domain (any case) in v: a run that listed a domain twice counts its last one. */
static const struct fs_assessment *
find_partner(const struct fs_assessment *v, size_t n, const char *domain)
{
	const struct fs_assessment *found = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i].domain, domain) == 0)
			found = &v[i];
	return found;
}

/* Stable: changes of the same severity stay in the order they were found (verdict, method, settings ...). */
static void
sort_changes(struct fs_diff_partner *p)
{
	struct fs_change tmp;
	size_t i, j;

	for (i = 1; i < p->nchanges; i++) {
		if (p->changes[i].severity <= p->changes[i - 1].severity)
			continue;
		tmp = p->changes[i];
		for (j = i; j > 0 && p->changes[j - 1].severity < tmp.severity; j--)
			p->changes[j] = p->changes[j - 1];
		p->changes[j] = tmp;
	}
}

static int
partner_cmp(const void *x, const void *y)
{
	const struct fs_diff_partner *a = x, *b = y;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	return strcmp(a->domain, b->domain);
}

/* A new partner entry in d (zeroed but for its domain and verdicts); NULL when out of memory. */
static struct fs_diff_partner *
new_partner(struct fs_diff *d, const struct fs_assessment *a, const struct fs_assessment *b)
{
	struct fs_diff_partner *p;
	size_t cap;

	if (d->npartners == d->cap) {
		cap = d->cap > 0 ? d->cap * 2 : 8;
		if ((p = realloc(d->partners, cap * sizeof(*p))) == NULL)
			return NULL;
		d->partners = p;
		d->cap = cap;
	}
	p = &d->partners[d->npartners++];
	memset(p, 0, sizeof(*p));
	FS_EV_SET(p->domain, b != NULL ? b->domain : a->domain);
	if ((p->in_a = a != NULL))
		p->from = a->verdict;
	if ((p->in_b = b != NULL))
		p->to = b->verdict;
	return p;
}

/* Partners of B: new ones, and those of both scans with their changes. */
static int
partners_of_b(const struct fs_assessment *a, size_t na, const struct fs_assessment *b, size_t nb,
    const struct fs_diff_opts *o, struct fs_diff *d)
{
	const struct fs_assessment *q;
	struct fs_diff_partner *p;
	struct fs_change *c;
	size_t i;

	for (i = 0; i < nb; i++) {
		if (find_partner(b, nb, b[i].domain) != &b[i])
			continue;       /* an earlier duplicate */
		q = find_partner(a, na, b[i].domain);
		if ((p = new_partner(d, q, &b[i])) == NULL)
			return -1;
		if (q == NULL) {
			if ((c = add(p, FS_CHANGE_PARTNER_ADDED, FS_SEV_PARTNER)) == NULL)
				return -1;
			c->verdict_to = b[i].verdict;
		} else if (partner_changes(q, &b[i], o, p) != 0) {
			return -1;
		} else if (p->nchanges == 0) {
			d->npartners--;
			free(p->changes);
			d->unchanged++;
		}
	}
	return 0;
}

static int
diff_partners(const struct fs_assessment *a, size_t na, const struct fs_assessment *b, size_t nb,
    const struct fs_diff_opts *o, struct fs_diff *d)
{
	struct fs_diff_partner *p;
	struct fs_change *c;
	size_t i, k;

	if (partners_of_b(a, na, b, nb, o, d) != 0)
		return -1;
	for (i = 0; i < na; i++) {
		if (find_partner(a, na, a[i].domain) != &a[i] || find_partner(b, nb, a[i].domain) != NULL)
			continue;
		if ((p = new_partner(d, &a[i], NULL)) == NULL)
			return -1;
		if ((c = add(p, o->b_complete ? FS_CHANGE_PARTNER_REMOVED : FS_CHANGE_PARTNER_UNAUDITED, FS_SEV_PARTNER))
		    == NULL)
			return -1;
		c->verdict_from = a[i].verdict;
	}
	for (i = 0; i < d->npartners; i++) {
		p = &d->partners[i];
		sort_changes(p);
		for (k = 0; k < p->nchanges; k++)
			if (p->changes[k].severity > p->severity)
				p->severity = p->changes[k].severity;
	}
	if (d->npartners > 1)
		qsort(d->partners, d->npartners, sizeof(*d->partners), partner_cmp);
	return 0;
}

static void
local_changes(const struct fs_diff_opts *o, struct fs_diff *d)
{
	struct fs_change *c;
	unsigned f;

	if (o->local_a == NULL || o->local_b == NULL)
		return;
	for (f = 0; f < NFIELDS; f++) {
		if (strcmp(field_value(o->local_a, f), field_value(o->local_b, f)) == 0)
			continue;
		c = &d->local[d->nlocal++];
		memset(c, 0, sizeof(*c));
		c->kind = FS_CHANGE_LOCAL_SETTING;
		c->severity = FS_SEV_SETTING;
		c->field = f;
		c->set_from = *o->local_a;
		c->set_to = *o->local_b;
	}
}

int
fs_diff(const struct fs_assessment *a, size_t na, const struct fs_assessment *b, size_t nb,
    const struct fs_diff_opts *opts, struct fs_diff *out)
{
	memset(out, 0, sizeof(*out));
	local_changes(opts, out);
	if (diff_partners(a, na, b, nb, opts, out) != 0) {
		fs_diff_clear(out);
		return -1;
	}
	return 0;
}

void
fs_diff_clear(struct fs_diff *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->npartners; i++)
		free(d->partners[i].changes);
	free(d->partners);
	memset(d, 0, sizeof(*d));
}

bool
fs_diff_changed(const struct fs_diff *d)
{
	return d->npartners > 0 || d->nlocal > 0;
}
