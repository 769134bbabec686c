/* dns.c: asynchronous SRV and address lookups on c-ares, driven by the engine's libevent loop. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <event2/event.h>

#include "fedscan/dns.h"

#define MAX_SOCKS 16
#define MAX_SRV 32
#define MAX_ADDRS 16

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
};

static void process(struct fs_dns *d, ares_socket_t rfd, ares_socket_t wfd);

static void
arm_timer(struct fs_dns *d)
{
	struct timeval tv, *tvp;

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
	*out = d;
	return 0;
}

void
fs_dns_free(struct fs_dns *d)
{
	int i;

	if (d == NULL)
		return;
	ares_destroy(d->channel);
	for (i = 0; i < MAX_SOCKS; i++)
		if (d->socks[i].ev != NULL)
			event_free(d->socks[i].ev);
	if (d->timer != NULL)
		event_free(d->timer);
	free(d);
}

struct srv_req {
	fs_dns_srv_cb cb;
	void *ud;
};

static void
srv_done(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct srv_req *q = arg;
	struct ares_srv_reply *reply = NULL, *r;
	struct fs_srv_rec recs[MAX_SRV];
	unsigned n = 0;
	int ps;
	char err[256];

	if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		q->cb(q->ud, status == ARES_ENOTFOUND ? 1 : 0, NULL, recs, 0);
		goto out;
	}
	if (status != ARES_SUCCESS) {
		snprintf(err, sizeof(err), "%s", ares_strerror(status));
		q->cb(q->ud, -1, err, recs, 0);
		goto out;
	}
	if ((ps = ares_parse_srv_reply(abuf, alen, &reply)) != ARES_SUCCESS) {
		/* An answer with no SRV records parses as ENODATA: the same as no records. */
		if (ps == ARES_ENODATA) {
			q->cb(q->ud, 0, NULL, recs, 0);
		} else {
			snprintf(err, sizeof(err), "malformed SRV answer: %s", ares_strerror(ps));
			q->cb(q->ud, -1, err, recs, 0);
		}
		goto out;
	}
	for (r = reply; r != NULL && n < MAX_SRV; r = r->next) {
		snprintf(recs[n].target, sizeof(recs[n].target), "%s", r->host);
		recs[n].port = r->port;
		recs[n].priority = r->priority;
		recs[n].weight = r->weight;
		n++;
	}
	q->cb(q->ud, 0, NULL, recs, n);
out:
	if (reply != NULL)
		ares_free_data(reply);
	free(q);
}

void
fs_dns_srv(struct fs_dns *d, const char *name, fs_dns_srv_cb cb, void *ud)
{
	struct srv_req *q;

	if ((q = malloc(sizeof(*q))) == NULL) {
		cb(ud, -1, "out of memory", NULL, 0);
		return;
	}
	q->cb = cb;
	q->ud = ud;
	ares_query(d->channel, name, ns_c_in, ns_t_srv, srv_done, q);
	arm_timer(d);
}

struct addr_req {
	fs_dns_addr_cb cb;
	void *ud;
};

static void
addr_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct addr_req *q = arg;
	struct sockaddr_storage addrs[MAX_ADDRS];
	struct ares_addrinfo_node *nd;
	unsigned n = 0;
	char err[256];

	if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		q->cb(q->ud, 1, NULL, addrs, 0);
	} else if (status != ARES_SUCCESS) {
		snprintf(err, sizeof(err), "%s", ares_strerror(status));
		q->cb(q->ud, -1, err, addrs, 0);
	} else {
		for (nd = res->nodes; nd != NULL && n < MAX_ADDRS; nd = nd->ai_next) {
			if ((nd->ai_family != AF_INET && nd->ai_family != AF_INET6) ||
			    (size_t)nd->ai_addrlen > sizeof(addrs[n]))
				continue;
			memset(&addrs[n], 0, sizeof(addrs[n]));
			memcpy(&addrs[n], nd->ai_addr, nd->ai_addrlen);
			n++;
		}
		q->cb(q->ud, 0, NULL, addrs, n);
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	free(q);
}

void
fs_dns_addr(struct fs_dns *d, const char *host, fs_dns_addr_cb cb, void *ud)
{
	struct addr_req *q;
	struct ares_addrinfo_hints hints;

	if ((q = malloc(sizeof(*q))) == NULL) {
		cb(ud, -1, "out of memory", NULL, 0);
		return;
	}
	q->cb = cb;
	q->ud = ud;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ares_getaddrinfo(d->channel, host, NULL, &hints, addr_done, q);
	arm_timer(d);
}
