/* engine.c: the engine's life: options, the event loop, the queue of domains; the parts live in src/net/. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "fedscan/log.h"
#include "fedscan/tls.h"
#include "net/engine_int.h"

int
fs_engine_new(const struct fs_engine_opts *opts, fs_domain_done_cb cb, void *ud, struct fs_engine **out,
    char *err, size_t errlen)
{
	struct fs_engine *e;

	*out = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->o = *opts;
	if (e->o.timeout_ms <= 0)
		e->o.timeout_ms = FS_DEFAULT_TIMEOUT_MS;
	if (e->o.concurrency == 0)
		e->o.concurrency = FS_DEFAULT_CONCURRENCY;
	if (e->o.max_conn_bytes == 0)
		e->o.max_conn_bytes = FS_DEFAULT_MAX_CONN_BYTES;
	fit_concurrency(e);
	e->cb = cb;
	e->ud = ud;
	clock_gettime(CLOCK_MONOTONIC, &e->t0);
	e->lfd = -1;
	TAILQ_INIT(&e->jobs);
	TAILQ_INIT(&e->inbound);
	TAILQ_INIT(&e->waiting);
	if (e->o.per_address == 0)
		e->o.per_address = FS_DEFAULT_PER_ADDRESS;
	if (e->o.per_domain == 0)
		e->o.per_domain = FS_DEFAULT_PER_DOMAIN;
	RAND_bytes(e->secret, sizeof(e->secret));
	if ((e->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		goto out;
	}
	if (fs_dns_new(e->base, opts->resolver, e->o.timeout_ms, &e->dns, err, errlen) != 0)
		goto out;
	if (fs_tls_ctx_new(opts->ca_file, opts->client_cert, opts->client_key, &e->tls, err, errlen) != 0)
		goto out;
	if (opts->keylog != NULL)
		fs_tls_ctx_set_keylog(e->tls, opts->keylog);
	if (opts->listen_host != NULL && listen_on(e, err, errlen) != 0)
		goto out;
	e->sigint = evsignal_new(e->base, SIGINT, engine_on_signal, e);
	e->sigterm = evsignal_new(e->base, SIGTERM, engine_on_signal, e);
	*out = e;
	return 0;
out:
	fs_engine_free(e);
	return -1;
}

int
fs_engine_add(struct fs_engine *e, const char *domain)
{
	char **q, *d;

	if ((d = strdup(domain)) == NULL)
		return -1;
	if ((q = realloc(e->queue, (e->nqueue + 1) * sizeof(*q))) == NULL) {
		free(d);
		return -1;
	}
	e->queue = q;
	e->queue[e->nqueue++] = d;
	return 0;
}

int
fs_engine_add_endpoint(struct fs_engine *e, const char *domain, const char *host, int port)
{
	struct fixed_ep *f;

	if ((f = realloc(e->fixed, (e->nfixed + 1) * sizeof(*f))) == NULL)
		return -1;
	e->fixed = f;
	f = &e->fixed[e->nfixed];
	f->domain = strdup(domain);
	f->host = strdup(host);
	f->port = port > 0 ? port : 5269;
	if (f->domain == NULL || f->host == NULL) {
		free(f->domain);
		free(f->host);
		return -1;
	}
	e->nfixed++;
	return 0;
}

int
fs_engine_run(struct fs_engine *e)
{
	struct fs_dns_stats ds;

	if (e->sigint != NULL)
		evsignal_add(e->sigint, NULL);
	if (e->sigterm != NULL)
		evsignal_add(e->sigterm, NULL);
	start_jobs(e);
	if (e->running > 0 && event_base_dispatch(e->base) < 0)
		return -1;
	fs_dns_get_stats(e->dns, &ds);
	fs_debug("DNS: %lu lookups sent, %lu answered by this run's cache or a lookup already out, %lu failed",
	    ds.sent, ds.cached, ds.failed);
	if (e->sigint != NULL)
		evsignal_del(e->sigint);
	if (e->sigterm != NULL)
		evsignal_del(e->sigterm);
	return 0;
}

struct event_base *
fs_engine_base(struct fs_engine *e)
{
	return e->base;
}

void
fs_engine_free(struct fs_engine *e)
{
	struct job *j;
	struct conn *c;
	size_t i;

	if (e == NULL)
		return;
	while ((j = TAILQ_FIRST(&e->jobs)) != NULL) {
		while ((c = TAILQ_FIRST(&j->conns)) != NULL) {
			TAILQ_REMOVE(&j->conns, c, link);
			conn_close(c);
			conn_release(c);
			free(c->out);
			free(c);
		}
		TAILQ_REMOVE(&e->jobs, j, link);
		job_free(j);
	}
	while ((c = TAILQ_FIRST(&e->inbound)) != NULL) {
		c->job = NULL;
		inbound_destroy(c);
	}
	if (e->lev != NULL)
		event_free(e->lev);
	if (e->lfd >= 0)
		close(e->lfd);
	for (i = 0; i < FS_ADDR_BUCKETS; i++) {
		struct addrcount *a, *an;
		for (a = e->addrs[i]; a != NULL; a = an) {
			an = a->next;
			free(a);
		}
	}
	/* Destroying the resolver fires pending callbacks; no job is left for them to touch. */
	e->running = 0;
	fs_dns_free(e->dns);
	fs_tls_ctx_free(e->tls);
	if (e->sigint != NULL)
		event_free(e->sigint);
	if (e->sigterm != NULL)
		event_free(e->sigterm);
	if (e->base != NULL)
		event_base_free(e->base);
	for (i = 0; i < e->nqueue; i++)
		free(e->queue[i]);
	free(e->queue);
	for (i = 0; i < e->nfixed; i++) {
		free(e->fixed[i].domain);
		free(e->fixed[i].host);
	}
	free(e->fixed);
	free(e);
}
