/* dns.c: asynchronous SRV and address lookups on c-ares, driven by the engine's libevent loop. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <event2/event.h>

#include "fedscan/dns.h"

#define MAX_SOCKS 16
#define MAX_SRV 32
#define MAX_ADDRS 16
/*
 * Lookups sent at once. A burst of 2 x --concurrency SRV queries overflowed a small resolver's socket buffer
 * (dnsmasq dropped ~440 per 1000-domain run, each retried seconds later): the rest wait their turn here.
 */
#define MAX_INFLIGHT 64
#define CACHE_BUCKETS 4096
#define CACHE_MAX 200000      /* names remembered per run; past this, answers are used once and forgotten */

enum qkind { Q_SRV = 0, Q_ADDR };
enum qstate { Q_QUEUED = 0, Q_SENT, Q_DONE };

/* Someone waiting for a name's answer. */
struct waiter {
	union {
		fs_dns_srv_cb srv;
		fs_dns_addr_cb addr;
	} cb;
	void *ud;
	struct waiter *next;
};

/*
 * One name's lookup: queued, sent, or answered. Answered entries are the per-run cache (1000 domains sharing 4
 * SRV targets asked A/AAAA for them ~1000 times each); lookups of a name already in flight wait on its entry.
 * Failures (timeouts, SERVFAIL) are not kept: the next domain asks again.
 */
struct entry {
	struct fs_dns *d;
	enum qkind kind;
	enum qstate state;
	char name[FS_DNS_NAME + 32];
	int status;
	char *err;
	void *recs;           /* struct fs_srv_rec[] or struct sockaddr_storage[] */
	unsigned n;
	struct waiter *waiters;
	struct entry *hnext;  /* hash chain (answered or in flight) */
	struct entry *qnext;  /* the send queue, or the ready list */
	bool ready;           /* on the ready list */
	bool cached;          /* in the hash table */
};

struct sockwatch {
	ares_socket_t fd;
	struct event *ev;
	short what;
};

struct fs_dns {
	struct event_base *base;
	ares_channel channel;
	struct event *timer;
	struct sockwatch socks[MAX_SOCKS];
	struct entry *table[CACHE_BUCKETS];
	unsigned long ncached;
	unsigned inflight;
	struct entry *qhead, *qtail;   /* waiting to be sent */
	struct entry *rhead, *rtail;   /* answered, waiters to be told from the top of the loop */
	struct event *deliver;
	bool closing;                  /* fs_dns_free: send nothing more */
	struct fs_dns_stats stats;
};

static void process(struct fs_dns *d, ares_socket_t rfd, ares_socket_t wfd);

static void
arm_timer(struct fs_dns *d)
{
	struct timeval tv, *tvp;

	if (d->closing)
		return;
	tvp = ares_timeout(d->channel, NULL, &tv);
	if (tvp != NULL)
		evtimer_add(d->timer, tvp);
	else
		evtimer_del(d->timer);
}

static void
on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct fs_dns *d = arg;

	process(d, (what & EV_READ) ? fd : ARES_SOCKET_BAD, (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fs_dns *d = arg;

	process(d, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void
process(struct fs_dns *d, ares_socket_t rfd, ares_socket_t wfd)
{
	ares_process_fd(d->channel, rfd, wfd);
	arm_timer(d);
}

/* c-ares tells us which sockets to watch; we mirror that in libevent. */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct fs_dns *d = data;
	struct sockwatch *w = NULL, *freew = NULL;
	short what = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
	int i;

	for (i = 0; i < MAX_SOCKS; i++) {
		if (d->socks[i].ev != NULL && d->socks[i].fd == fd)
			w = &d->socks[i];
		else if (d->socks[i].ev == NULL && freew == NULL)
			freew = &d->socks[i];
	}
	if (w != NULL) {
		event_free(w->ev);
		w->ev = NULL;
	}
	if (what == 0)
		return;
	if (w == NULL)
		w = freew;
	if (w == NULL)
		return;  /* more than MAX_SOCKS sockets: c-ares still times out and retries */
	w->fd = fd;
	w->what = what;
	w->ev = event_new(d->base, fd, what | EV_PERSIST, on_sock, d);
	if (w->ev != NULL)
		event_add(w->ev, NULL);
}


static void answer(struct fs_dns *d, struct entry *q, int status, const char *err, const void *recs, unsigned n);
static void tell_waiters(struct entry *q);
static void entry_free(struct entry *q);
static void on_deliver(evutil_socket_t fd, short what, void *arg);

int
fs_dns_new(struct event_base *base, const char *resolver, long timeout_ms, struct fs_dns **out, char *err,
    size_t errlen)
{
	struct fs_dns *d = NULL;
	struct ares_options opts;
	int r, optmask;

	*out = NULL;
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		return -1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	d->base = base;
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = sock_state;
	opts.sock_state_cb_data = d;
	/* Each try gets a share of the connection timeout; two tries per server. */
	opts.timeout = (int)(timeout_ms / 3 > 0 ? timeout_ms / 3 : 1000);
	if (opts.timeout > 5000)
		opts.timeout = 5000;
	opts.tries = 2;
	optmask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	if ((r = ares_init_options(&d->channel, &opts, optmask)) != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(r));
		free(d);
		return -1;
	}
	if (resolver != NULL && (r = ares_set_servers_ports_csv(d->channel, resolver)) != ARES_SUCCESS) {
		snprintf(err, errlen, "--resolver '%s': %s (expected ADDR, ADDR:PORT or [IPv6]:PORT)", resolver,
		    ares_strerror(r));
		ares_destroy(d->channel);
		free(d);
		return -1;
	}
	d->timer = evtimer_new(base, on_timer, d);
	d->deliver = evtimer_new(base, on_deliver, d);
	if (d->timer == NULL || d->deliver == NULL) {
		snprintf(err, errlen, "out of memory");
		fs_dns_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

void
fs_dns_free(struct fs_dns *d)
{
	struct entry *q;
	int i;

	if (d == NULL)
		return;
	/* Sent lookups end with ARES_EDESTRUCTION inside ares_destroy; queued and ready ones end here. */
	d->closing = true;
	if (d->channel != NULL)
		ares_destroy(d->channel);
	while ((q = d->qhead) != NULL) {
		d->qhead = q->qnext;
		q->qnext = NULL;
		answer(d, q, -1, "the resolver was shut down", NULL, 0);
	}
	d->qtail = NULL;
	while ((q = d->rhead) != NULL) {
		d->rhead = q->qnext;
		q->ready = false;
		tell_waiters(q);
	}
	for (i = 0; i < CACHE_BUCKETS; i++)
		while ((q = d->table[i]) != NULL) {
			d->table[i] = q->hnext;
			entry_free(q);
		}
	for (i = 0; i < MAX_SOCKS; i++)
		if (d->socks[i].ev != NULL)
			event_free(d->socks[i].ev);
	if (d->timer != NULL)
		event_free(d->timer);
	if (d->deliver != NULL)
		event_free(d->deliver);
	free(d);
}

static void
entry_free(struct entry *q)
{
	struct waiter *w;

	while ((w = q->waiters) != NULL) {
		q->waiters = w->next;
		free(w);
	}
	free(q->err);
	free(q->recs);
	free(q);
}

static unsigned
name_hash(enum qkind kind, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 16777619u;
	return h % CACHE_BUCKETS;
}

static struct entry **
find(struct fs_dns *d, enum qkind kind, const char *name)
{
	struct entry **q;

	for (q = &d->table[name_hash(kind, name)]; *q != NULL; q = &(*q)->hnext)
		if ((*q)->kind == kind && strcasecmp((*q)->name, name) == 0)
			break;
	return q;
}

static void
unhash(struct fs_dns *d, struct entry *q)
{
	struct entry **p = find(d, q->kind, q->name);

	if (*p == q) {
		*p = q->hnext;
		d->ncached--;
	}
	q->cached = false;
}

/* Tell everyone waiting on q, one at a time: a callback may add waiters (they go to the ready list). */
static void
tell_waiters(struct entry *q)
{
	struct waiter *w;

	while ((w = q->waiters) != NULL) {
		q->waiters = w->next;
		if (q->kind == Q_SRV)
			w->cb.srv(w->ud, q->status, q->err, q->recs, q->n);
		else
			w->cb.addr(w->ud, q->status, q->err, q->recs, q->n);
		free(w);
	}
}

static void send_queued(struct fs_dns *d);

/* A lookup is answered: keep the answer (unless it is a failure), tell the waiters, send the next queued. */
static void
answer(struct fs_dns *d, struct entry *q, int status, const char *err, const void *recs, unsigned n)
{
	size_t sz = q->kind == Q_SRV ? sizeof(struct fs_srv_rec) : sizeof(struct sockaddr_storage);

	if (q->state == Q_SENT && d->inflight > 0)
		d->inflight--;
	q->state = Q_DONE;
	q->status = status;
	q->n = 0;
	if (err != NULL && (q->err = strdup(err)) == NULL)
		q->status = -1;
	if (n > 0) {
		if ((q->recs = malloc(n * sz)) != NULL) {
			memcpy(q->recs, recs, n * sz);
			q->n = n;
		} else {
			q->status = -1;
		}
	}
	if (q->status == -1 && q->err == NULL)
		q->err = strdup("out of memory");
	if (q->status < 0 && q->cached)
		unhash(d, q);
	if (q->status < 0)
		d->stats.failed++;
	tell_waiters(q);
	if (!q->cached)
		entry_free(q);
	send_queued(d);
}

/* RFC 2782 order: lower priority first; within one priority, heavier first. */
static int
srv_cmp(const void *a, const void *b)
{
	const struct ares_srv_reply *x = *(struct ares_srv_reply *const *)a, *y = *(struct ares_srv_reply *const *)b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->weight > y->weight ? -1 : x->weight < y->weight;
}

static void
srv_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct entry *q = arg;
	struct fs_dns *d = q->d;
	struct ares_srv_reply *reply = NULL, *r, **sorted;
	struct fs_srv_rec recs[MAX_SRV];
	size_t total, i;
	unsigned n = 0;
	int ps;
	char err[256];

	if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		answer(d, q, status == ARES_ENOTFOUND ? 1 : 0, NULL, NULL, 0);
		return;
	}
	if (status != ARES_SUCCESS) {
		snprintf(err, sizeof(err), "%s", ares_strerror(status));
		answer(d, q, -1, err, NULL, 0);
		return;
	}
	if ((ps = ares_parse_srv_reply(abuf, alen, &reply)) != ARES_SUCCESS) {
		/* An answer with no SRV records parses as ENODATA: the same as no records. */
		if (ps == ARES_ENODATA) {
			answer(d, q, 0, NULL, NULL, 0);
		} else {
			snprintf(err, sizeof(err), "malformed SRV answer: %s", ares_strerror(ps));
			answer(d, q, -1, err, NULL, 0);
		}
		return;
	}
	/* A large answer (TCP carries up to 64 KiB): keep the MAX_SRV a client would try first, and say so. */
	for (r = reply, total = 0; r != NULL; r = r->next)
		total++;
	if ((sorted = calloc(total, sizeof(*sorted))) == NULL) {
		ares_free_data(reply);
		answer(d, q, -1, "out of memory", NULL, 0);
		return;
	}
	for (r = reply, i = 0; r != NULL; r = r->next)
		sorted[i++] = r;
	if (total > 1)
		qsort(sorted, total, sizeof(*sorted), srv_cmp);
	for (i = 0; i < total && n < MAX_SRV; i++) {
		snprintf(recs[n].target, sizeof(recs[n].target), "%s", sorted[i]->host);
		recs[n].port = sorted[i]->port;
		recs[n].priority = sorted[i]->priority;
		recs[n].weight = sorted[i]->weight;
		n++;
	}
	free(sorted);
	ares_free_data(reply);
	if (total > MAX_SRV)
		snprintf(err, sizeof(err), "%zu SRV records; the %d first in priority order are used", total, MAX_SRV);
	answer(d, q, 0, total > MAX_SRV ? err : NULL, recs, n);
}

static void
addr_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct entry *q = arg;
	struct fs_dns *d = q->d;
	struct sockaddr_storage addrs[MAX_ADDRS];
	struct ares_addrinfo_node *nd;
	unsigned n = 0;
	char err[256];

	if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		answer(d, q, 1, NULL, NULL, 0);
	} else if (status != ARES_SUCCESS) {
		snprintf(err, sizeof(err), "%s", ares_strerror(status));
		answer(d, q, -1, err, NULL, 0);
	} else {
		for (nd = res->nodes; nd != NULL && n < MAX_ADDRS; nd = nd->ai_next) {
			if ((nd->ai_family != AF_INET && nd->ai_family != AF_INET6) ||
			    (size_t)nd->ai_addrlen > sizeof(addrs[n]))
				continue;
			memset(&addrs[n], 0, sizeof(addrs[n]));
			memcpy(&addrs[n], nd->ai_addr, nd->ai_addrlen);
			n++;
		}
		answer(d, q, 0, NULL, addrs, n);
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
}

/* Send queued lookups while fewer than MAX_INFLIGHT are out. */
static void
send_queued(struct fs_dns *d)
{
	struct ares_addrinfo_hints hints;
	struct entry *q;

	if (d->closing)
		return;
	while (d->inflight < MAX_INFLIGHT && (q = d->qhead) != NULL) {
		d->qhead = q->qnext;
		if (d->qhead == NULL)
			d->qtail = NULL;
		q->qnext = NULL;
		q->state = Q_SENT;
		d->inflight++;
		d->stats.sent++;
		if (q->kind == Q_SRV) {
			ares_query(d->channel, q->name, ns_c_in, ns_t_srv, srv_done, q);
		} else {
			memset(&hints, 0, sizeof(hints));
			hints.ai_family = AF_UNSPEC;
			hints.ai_socktype = SOCK_STREAM;
			ares_getaddrinfo(d->channel, q->name, NULL, &hints, addr_done, q);
		}
	}
	arm_timer(d);
}

static void
on_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct fs_dns *d = arg;
	struct entry *q;

	while ((q = d->rhead) != NULL) {
		d->rhead = q->qnext;
		if (d->rhead == NULL)
			d->rtail = NULL;
		q->qnext = NULL;
		q->ready = false;
		tell_waiters(q);
	}
}

/* Wait for name's answer: from the cache (told from the top of the loop, never inside this call), or asked. */
static void
lookup(struct fs_dns *d, enum qkind kind, const char *name, struct waiter *w)
{
	struct entry **slot = find(d, kind, name), *q = *slot;
	struct timeval now = { 0, 0 };

	if (q != NULL) {
		w->next = q->waiters;
		q->waiters = w;
		d->stats.cached++;
		if (q->state != Q_DONE)
			return;  /* in flight or queued: the answer comes for everyone */
		if (!q->ready) {
			q->ready = true;
			q->qnext = NULL;
			if (d->rtail != NULL)
				d->rtail->qnext = q;
			else
				d->rhead = q;
			d->rtail = q;
			evtimer_add(d->deliver, &now);
		}
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		if (kind == Q_SRV)
			w->cb.srv(w->ud, -1, "out of memory", NULL, 0);
		else
			w->cb.addr(w->ud, -1, "out of memory", NULL, 0);
		free(w);
		return;
	}
	q->d = d;
	q->kind = kind;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->waiters = w;
	if (d->ncached < CACHE_MAX) {
		q->hnext = NULL;
		*slot = q;
		q->cached = true;
		d->ncached++;
	}
	if (d->qtail != NULL)
		d->qtail->qnext = q;
	else
		d->qhead = q;
	d->qtail = q;
	send_queued(d);
}

static struct waiter *
waiter_new(void *ud)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (w != NULL)
		w->ud = ud;
	return w;
}

void
fs_dns_srv(struct fs_dns *d, const char *name, fs_dns_srv_cb cb, void *ud)
{
	struct waiter *w;

	if ((w = waiter_new(ud)) == NULL) {
		cb(ud, -1, "out of memory", NULL, 0);
		return;
	}
	w->cb.srv = cb;
	lookup(d, Q_SRV, name, w);
}

void
fs_dns_addr(struct fs_dns *d, const char *host, fs_dns_addr_cb cb, void *ud)
{
	struct waiter *w;

	if ((w = waiter_new(ud)) == NULL) {
		cb(ud, -1, "out of memory", NULL, 0);
		return;
	}
	w->cb.addr = cb;
	lookup(d, Q_ADDR, host, w);
}

void
fs_dns_get_stats(const struct fs_dns *d, struct fs_dns_stats *out)
{
	*out = d->stats;
}

/* ---- DNSSEC state through the AD bit of a validating resolver (fedscan(1), DNSSEC AND DANE) ---- */

struct rawq {
	struct fs_dns *d;
	char name[FS_DNS_NAME + 32];
	int type;
	bool cd;
	fs_dns_raw_cb cb;
	void *ud;
};

static void raw_send(struct rawq *r);

static void
raw_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct rawq *r = arg;
	int rcode = -1;
	bool ad;
	char err[128];

	if (abuf != NULL && alen >= 12)
		rcode = abuf[3] & 0x0f;
	/* c-ares reports the SERVFAIL of its last server as ECONNREFUSED ("could not contact"): ask with CD too. */
	if (status == ARES_ESERVFAIL || status == ARES_ECONNREFUSED || rcode == 2) {
		if (!r->cd && !r->d->closing) {
			/* RFC 4035 §3.2.2: with CD the resolver hands over what validation rejected. */
			r->cd = true;
			raw_send(r);
			return;
		}
		snprintf(err, sizeof(err), "SERVFAIL");
		r->cb(r->ud, FS_DNSSEC_UNKNOWN, 2, NULL, 0, err);
	} else if (abuf == NULL || alen < 12 || (status != ARES_SUCCESS && status != ARES_ENOTFOUND &&
	    status != ARES_ENODATA)) {
		snprintf(err, sizeof(err), "%s", ares_strerror(status != ARES_SUCCESS ? status : ARES_EBADRESP));
		r->cb(r->ud, FS_DNSSEC_UNKNOWN, rcode, NULL, 0, err);
	} else if (r->cd) {
		r->cb(r->ud, FS_DNSSEC_BOGUS, rcode, abuf, alen, NULL);
	} else {
		ad = (abuf[3] & 0x20) != 0;
		r->cb(r->ud, ad ? FS_DNSSEC_SECURE : FS_DNSSEC_INSECURE, rcode, abuf, alen, NULL);
	}
	free(r);
}

static void
raw_send(struct rawq *r)
{
	unsigned char *q = NULL;
	int qlen = 0, rc;

	/* EDNS0 with a 1232-byte buffer (what DNS flag day 2020 settled on): TLSA and RRSIGs fit more often. */
	rc = ares_create_query(r->name, ns_c_in, r->type, 0, 1, &q, &qlen, 1232);
	if (rc != ARES_SUCCESS || qlen < 12) {
		if (q != NULL)
			ares_free_string(q);
		r->cb(r->ud, FS_DNSSEC_UNKNOWN, -1, NULL, 0, ares_strerror(rc != ARES_SUCCESS ? rc : ARES_EBADQUERY));
		free(r);
		return;
	}
	q[3] |= 0x20;                  /* AD: tell us whether the answer validated (RFC 6840 §5.7) */
	if (r->cd)
		q[3] |= 0x10;          /* CD */
	r->d->stats.sent++;
	ares_send(r->d->channel, q, qlen, raw_done, r);
	ares_free_string(q);
	arm_timer(r->d);
}

void
fs_dns_secure(struct fs_dns *d, const char *name, int type, fs_dns_raw_cb cb, void *ud)
{
	struct rawq *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		cb(ud, FS_DNSSEC_UNKNOWN, -1, NULL, 0, "out of memory");
		return;
	}
	r->d = d;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->type = type;
	r->cb = cb;
	r->ud = ud;
	raw_send(r);
}
