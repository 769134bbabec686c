/* job.c: one partner domain's audit: SRV and address lookups, its endpoints, its probes, and its end. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "fedscan/dane.h"
#include "fedscan/dns.h"
#include "fedscan/idn.h"
#include "net/engine_int.h"

struct addr_ctx {
	struct job *j;
	unsigned t;
};

struct srv_ctx {
	struct job *j;
	bool tls;
};

void
job_free(struct job *j)
{
	fs_domain_ev_clear(&j->ev);
	free(j);
}

void
job_maybe_done(struct job *j)
{
	struct fs_engine *e = j->e;
	struct conn *ic, *icn;

	if (j->pending > 0 || !j->probing || !TAILQ_EMPTY(&j->conns))
		return;
	/* The partner's connect-backs belong to this audit: record them, then hang up. */
	for (ic = TAILQ_FIRST(&e->inbound); ic != NULL; ic = icn) {
		icn = TAILQ_NEXT(ic, link);
		if (ic->job == j)
			inbound_destroy(ic);
	}
	fs_domain_ev_time_proofs(&j->ev);
	j->ev.duration_ms = ms_since(&j->t0);
	j->ev.interrupted = e->stopping;
	TAILQ_REMOVE(&e->jobs, j, link);
	e->running--;
	e->cb(e->ud, &j->ev);
	job_free(j);
	start_jobs(e);
}

/* The parameters every probe of endpoint epi runs with. */
static void
probe_env(const struct job *j, unsigned epi, struct fs_probe_env *env)
{
	memset(env, 0, sizeof(*env));
	env->domain = j->ev.domain;
	env->from = j->ev.params.from;
	env->db_key = j->key;
	if (j->e->lfd >= 0)
		env->db_secret = j->e->secret;
	env->have_client_cert = j->ev.params.have_client_cert;
	env->endpoint_direct_tls = j->ev.endpoints[epi].direct_tls;
}

static void dane_to_endpoints(struct job *j);

static void
start_probes(struct job *j)
{
	struct fs_probe_env env;
	unsigned i, k;

	/*
	 * Not "probing" until every connection is started: a connection that fails at once (no file
	 * descriptors) must not let job_maybe_done() free the job under this loop.
	 */
	j->probing = false;
	dane_to_endpoints(j);
	for (i = 0; i < j->ev.nendpoints; i++) {
		probe_env(j, i, &env);
		for (k = 0; fs_probes[k] != NULL; k++)
			if (fs_probes[k]->after == NULL && fs_probes[k]->applies(&env) && !j->e->stopping)
				conn_start(j, i, fs_probes[k], &env);
	}
	j->probing = true;
	job_maybe_done(j);
}

/* A probe's connection to endpoint epi ended: start the probes that wait for it, if its outcome wants them. */
void
start_after(struct job *j, unsigned epi, const struct fs_conn_ev *before)
{
	struct fs_probe_env env;
	bool probing = j->probing;
	unsigned k;

	if (j->e->stopping)
		return;
	probe_env(j, epi, &env);
	j->probing = false;     /* as in start_probes() */
	for (k = 0; fs_probes[k] != NULL; k++) {
		const struct fs_probe *p = fs_probes[k];

		if (p->after != NULL && p->after->kind == before->kind && p->applies(&env) && p->wanted(before))
			conn_start(j, epi, p, &env);
	}
	j->probing = probing;
}

static void
addr_done(void *ud, int status, const char *err, const struct sockaddr_storage *addrs, unsigned n)
{
	struct addr_ctx *a = ud;
	struct job *j = a->j;
	struct target *t = &j->targets[a->t];
	struct fs_endpoint_ev *ep;
	char buf[INET6_ADDRSTRLEN], msg[FS_EV_TEXT];
	unsigned i, k;
	bool dup;

	free(a);
	if (status < 0)
		j->ev.dns.failed = true;
	if (status != 0 || n == 0) {
		snprintf(msg, sizeof(msg), "%s: %s", t->host,
		    status < 0 ? err : "no A/AAAA records");
		FS_EV_APPEND(j->ev.dns.error, msg);
	}
	for (i = 0; i < n; i++) {
		if (addrs[i].ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)&addrs[i])->sin_addr, buf, sizeof(buf));
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&addrs[i])->sin6_addr, buf, sizeof(buf));
		dup = false;
		for (k = 0; k < j->ev.nendpoints; k++)
			if (strcmp(j->ev.endpoints[k].address, buf) == 0 && j->ev.endpoints[k].port == t->port &&
			    j->ev.endpoints[k].direct_tls == t->direct)
				dup = true;
		if (dup)
			continue;
		if ((ep = fs_domain_ev_add_endpoint(&j->ev)) == NULL) {
			FS_EV_APPEND(j->ev.dns.error, "(more endpoints than fedscan probes per domain; rest skipped)");
			break;
		}
		FS_EV_SET(ep->host, t->host);
		FS_EV_SET(ep->address, buf);
		ep->port = t->port;
		ep->source = t->source;
		ep->priority = t->priority;
		ep->weight = t->weight;
		ep->direct_tls = t->direct;
	}
	if (--j->pending == 0)
		start_probes(j);
}

/* ---- --dnssec: DNSSEC and DANE per target (src/net/dane.c): its states and TLSA records, for its endpoints ---- */

static void
dane_done(void *ud, const struct fs_dane_ev *ev)
{
	struct addr_ctx *a = ud;
	struct job *j = a->j;
	struct target *t = &j->targets[a->t];

	free(a);
	t->dane = *ev;
	fs_dane_decide(&t->dane, t->source == FS_SRC_SRV || t->source == FS_SRC_SRV_TLS);
	if (--j->pending == 0)
		start_probes(j);
}

static void
dane_lookups(struct job *j)
{
	struct addr_ctx *a;
	struct target *t;
	unsigned i;

	for (i = 0; i < j->ntargets && j->e->o.dnssec; i++) {
		t = &j->targets[i];
		if (t->source == FS_SRC_CONNECT || (a = malloc(sizeof(*a))) == NULL)
			continue;
		a->j = j;
		a->t = i;
		j->pending++;
		fs_dane_lookup(j->e->dns, t->host, t->port, t->source == FS_SRC_SRV_TLS ? j->ev.dns.srv_tls_dnssec :
		    t->source == FS_SRC_SRV ? j->ev.dns.srv_dnssec : FS_DNSSEC_UNKNOWN, dane_done, a);
	}
}

static void
dane_to_endpoints(struct job *j)
{
	struct fs_endpoint_ev *ep;
	unsigned i, k;

	for (i = 0; i < j->ev.nendpoints; i++)
		for (ep = &j->ev.endpoints[i], k = 0; k < j->ntargets; k++)
			if (strcasecmp(j->targets[k].host, ep->host) == 0 && j->targets[k].port == ep->port &&
			    j->targets[k].direct == ep->direct_tls)
				ep->dane = j->targets[k].dane;
}

static void
resolve_targets(struct job *j)
{
	struct addr_ctx *a;
	unsigned i, n = j->ntargets;

	if (n == 0) {
		start_probes(j);
		return;
	}
	j->pending += n + 1;      /* + 1: dane_lookups() may answer at once */
	dane_lookups(j);
	for (i = 0; i < n; i++) {
		if ((a = malloc(sizeof(*a))) == NULL) {
			j->pending--;
			continue;
		}
		a->j = j;
		a->t = i;
		fs_dns_addr(j->e->dns, j->targets[i].host, addr_done, a);
	}
	if (--j->pending == 0)
		start_probes(j);
}

static int
target_cmp(const void *a, const void *b)
{
	const struct target *x = a, *y = b;

	/* RFC 2782: lower priority first; within one priority, heavier first (every target is probed anyway). */
	if (x->priority != y->priority)
		return x->priority - y->priority;
	return y->weight - x->weight;
}

static void
add_target(struct job *j, const char *host, int port, int prio, int weight, enum fs_ep_source src, bool direct)
{
	struct target *t;

	if (j->ntargets >= MAX_TARGETS)
		return;
	t = &j->targets[j->ntargets++];
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = port;
	t->priority = prio;
	t->weight = weight;
	t->source = src;
	t->direct = direct;
}

static void
srv_done(void *ud, int status, const char *err, const struct fs_srv_rec *recs, unsigned n, enum fs_dnssec st)
{
	struct srv_ctx *s = ud;
	struct job *j = s->j;
	bool tls = s->tls;
	char msg[FS_EV_TEXT];
	unsigned i;

	free(s);
	*(tls ? &j->ev.dns.srv_tls_dnssec : &j->ev.dns.srv_dnssec) = st;
	if (st == FS_DNSSEC_BOGUS) {
		/* The partner's signatures fail: a finding about the partner, not our resolver failing (DNSSEC). */
		snprintf(msg, sizeof(msg), "DNSSEC validation failed for _%s-server._tcp.%s;", tls ? "xmpps" : "xmpp",
		    j->ev.domain_ascii);
		FS_EV_APPEND(j->ev.dns.error, msg);
		status = 1;
		err = NULL;
	}
	if (status < 0)
		j->ev.dns.failed = true;
	if (err != NULL && status <= 0) {
		snprintf(msg, sizeof(msg), "_%s-server._tcp: %s;", tls ? "xmpps" : "xmpp", err);
		FS_EV_APPEND(j->ev.dns.error, msg);
	}
	/* RFC 2782 / RFC 6120 §3.2.1: a single target "." means the service is decidedly not available. */
	if (status == 0 && n == 1 && (strcmp(recs[0].target, ".") == 0 || recs[0].target[0] == '\0')) {
		if (!tls)
			j->ev.dns.srv_dot = true;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (recs[i].target[0] == '\0' || strcmp(recs[i].target, ".") == 0)
			continue;
		add_target(j, recs[i].target, recs[i].port, recs[i].priority, recs[i].weight,
		    tls ? FS_SRC_SRV_TLS : FS_SRC_SRV, tls);
		if (tls)
			j->ev.dns.srv_tls_found = true;
		else
			j->ev.dns.srv_found = true;
	}
	j->srv_done[tls] = true;
	j->pending--;
	if (!j->srv_done[0] || !j->srv_done[1])
		return;
	/* RFC 6120 §3.2.2: no SRV at all → the domain itself on 5269; "." → no service, no fallback. */
	if (!j->ev.dns.srv_found && !j->ev.dns.srv_tls_found && !j->ev.dns.srv_dot &&
	    j->ev.dns.srv_dnssec != FS_DNSSEC_BOGUS)  /* never the fallback of a bogus answer, as if NXDOMAIN */
		add_target(j, j->ev.domain_ascii, 5269, 0, 0, FS_SRC_FALLBACK, false);
	if (j->ntargets > 1)
		qsort(j->targets, j->ntargets, sizeof(j->targets[0]), target_cmp);
	resolve_targets(j);
}

static void
job_start(struct fs_engine *e, const char *domain)
{
	struct job *j;
	struct srv_ctx *s;
	unsigned char rnd[32];
	char name[FS_DNS_NAME + 32], idnerr[FS_EV_TEXT];
	int i, t;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->e = e;
	TAILQ_INIT(&j->conns);
	TAILQ_INSERT_TAIL(&e->jobs, j, link);
	e->running++;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	/* IDN: U-labels in the stream and dialback, A-labels in DNS and SNI (src/net/idn.c). */
	if (fs_idn_forms(domain, j->ev.domain, sizeof(j->ev.domain), j->ev.domain_ascii, sizeof(j->ev.domain_ascii),
	    idnerr, sizeof(idnerr)) != 0) {
		FS_EV_SET(j->ev.domain, domain);
		FS_EV_SET(j->ev.domain_ascii, domain);
	}
	FS_EV_SET(j->ev.params.from, e->o.from);
	j->ev.params.have_client_cert = e->o.client_cert != NULL;
	j->ev.params.timeout_ms = e->o.timeout_ms;
	j->ev.params.authoritative = e->lfd >= 0;
	/* A random key for our own FROM: no one can be impersonated with it (fedscan(1), THE FROM DOMAIN). */
	RAND_bytes(rnd, sizeof(rnd));
	for (i = 0; i < 32; i++)
		snprintf(j->key + 2 * i, 3, "%02x", rnd[i]);
	if (e->o.connect_host != NULL) {
		add_target(j, e->o.connect_host, e->o.connect_port > 0 ? e->o.connect_port : 5269, 0, 0,
		    FS_SRC_CONNECT, e->o.direct_tls);
		resolve_targets(j);
		return;
	}
	/* Endpoints given for this domain (a policy file's connect =, Lync's ProxyFqdn): no DNS either. */
	for (i = 0; i < (int)e->nfixed; i++)
		if (strcasecmp(e->fixed[i].domain, domain) == 0)
			add_target(j, e->fixed[i].host, e->fixed[i].port, 0, 0, FS_SRC_CONNECT, false);
	if (j->ntargets > 0) {
		resolve_targets(j);
		return;
	}
	j->pending = 2;
	for (t = 0; t < 2; t++) {
		if ((s = malloc(sizeof(*s))) == NULL) {
			j->pending--;
			j->srv_done[t] = true;
			continue;
		}
		s->j = j;
		s->tls = t == 1;
		snprintf(name, sizeof(name), "_%s-server._tcp.%s", t ? "xmpps" : "xmpp", j->ev.domain_ascii);
		fs_dane_srv(e->dns, e->o.dnssec, name, srv_done, s);
	}
}

void
start_jobs(struct fs_engine *e)
{
	while (!e->stopping && e->running < e->o.concurrency && e->next < e->nqueue)
		job_start(e, e->queue[e->next++]);
	if (e->running == 0 && (e->next >= e->nqueue || e->stopping))
		event_base_loopexit(e->base, NULL);
}
