/* engine.c: the event loop that resolves partner domains, runs every probe on every endpoint and hands back evidence. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "fedscan/authority.h"
#include "fedscan/dns.h"
#include "fedscan/drive.h"
#include "fedscan/engine.h"
#include "fedscan/log.h"
#include "fedscan/probe.h"
#include "fedscan/tls.h"

#define OUTBUF 8192
#define READBUF 16384
#define MAX_TARGETS 32

enum cstate { C_CONNECTING = 0, C_OPEN, C_HANDSHAKE, C_CLOSED, C_WAITING };

struct job;

struct conn {
	struct job *job;           /* inbound: the partner it belongs to, once its header says (else NULL) */
	struct fs_conn_ev *ev;
	struct fs_drive *drv;      /* the parser and the session: a probe's, or the listener's authority (inbound) */
	bool inbound;              /* accepted by the authoritative listener */
	struct inbound_ev *in;     /* inbound only: a separate allocation, so outbound connections stay small */
	struct fs_engine *e;
	unsigned epi;              /* outbound: the endpoint */
	bool counted;              /* outbound: holds a --per-address slot of its address and a --per-domain one */
	struct addrcount *ac;      /* outbound: its address's politeness counter */
	TAILQ_ENTRY(conn) wlink;   /* C_WAITING: in the engine's queue for a slot */
	int fd;
	SSL *ssl;
	enum cstate st;
	bool direct;
	struct event *rd, *wr, *timer;
	struct event *quiet;       /* sink-mode dialback grace (FS_ACT_QUIET), made when first asked */
	long quiet_ms;
	long left_ms;              /* the time this connection was given (--timeout, cut to the domain's budget) */
	long connect_ms;           /* how long the TCP handshake took: the round trip the grace is scaled by */
	char *out;             /* allocated while there is something to send: most connections idle most of the time */
	size_t outlen;
	struct timespec t0;
	TAILQ_ENTRY(conn) link;
};

/* What an inbound connection records: 10 KiB that no outbound probe needs. */
struct inbound_ev {
	struct fs_outbound_ev oev; /* what the partner did on this connection */
	struct fs_conn_ev own_ev;  /* transport evidence nobody reads but the engine */
};

struct target {
	char host[FS_DNS_NAME];
	int port, priority, weight;
	enum fs_ep_source source;
	bool direct;
};

struct job {
	struct fs_engine *e;
	struct fs_domain_ev ev;
	char key[65];
	unsigned pending;      /* DNS lookups in flight */
	unsigned nopen;        /* connections open now (politeness: --per-domain) */
	bool srv_done[2];
	struct target targets[MAX_TARGETS];
	unsigned ntargets;
	struct timespec t0;
	bool probing;
	TAILQ_HEAD(, conn) conns;
	TAILQ_ENTRY(job) link;
};

struct fixed_ep {
	char *domain;
	char *host;
	int port;
};

struct fs_engine {
	struct fs_engine_opts o;
	struct event_base *base;
	struct fs_dns *dns;
	struct fs_tls_ctx *tls;
	fs_domain_done_cb cb;
	void *ud;
	char **queue;
	size_t nqueue, next;
	struct fixed_ep *fixed;  /* fs_engine_add_endpoint: endpoints given per domain (a policy file's connect =) */
	size_t nfixed;
	unsigned running;
	bool stopping;
	struct event *sigint, *sigterm;
	TAILQ_HEAD(, job) jobs;
	/* Authoritative mode (--listen): our dialback secret, the listener, and its inbound connections. */
	unsigned char secret[FS_DBKEY_SECRET];
	int lfd;
	struct event *lev;
	TAILQ_HEAD(, conn) inbound;
	unsigned ninbound;
	unsigned long refused;
	/* Politeness: connections at once per partner address, and the connections waiting for a slot. */
	struct addrcount *addrs[FS_ADDR_BUCKETS];
	TAILQ_HEAD(, conn) waiting;
	bool wake_pending;
	unsigned nopen;          /* probe connections open now */
	unsigned max_open;       /* what RLIMIT_NOFILE allows of them */
};

struct addrcount {
	char addr[FS_EV_SHORT];
	unsigned n;            /* connections open to it now */
	unsigned refs;         /* connections that may open to it (open, waiting, about to start) */
	struct addrcount *next;
};

static void job_maybe_done(struct job *j);
static void conn_step(struct conn *c);
static void conn_after(struct conn *c);
static void start_jobs(struct fs_engine *e);

static long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* ---- connections ---- */

static void
want_write(struct conn *c)
{
	if (c->st != C_CLOSED && c->wr != NULL)
		event_add(c->wr, NULL);
}

static struct addrcount **
addr_slot(struct fs_engine *e, const char *addr)
{
	uint32_t h = 2166136261u;
	const char *p;
	struct addrcount **a;

	for (p = addr; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (a = &e->addrs[h % FS_ADDR_BUCKETS]; *a != NULL; a = &(*a)->next)
		if (strcmp((*a)->addr, addr) == 0)
			break;
	return a;
}

/* The politeness counter of addr, shared by every connection to it: found once, when a connection is made. */
static struct addrcount *
addr_ref(struct fs_engine *e, const char *addr)
{
	struct addrcount **a = addr_slot(e, addr), *n;

	if (*a == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return NULL;
		FS_EV_SET(n->addr, addr);
		*a = n;
	}
	(*a)->refs++;
	return *a;
}

static void
addr_unref(struct fs_engine *e, struct addrcount *ac)
{
	struct addrcount **a;

	if (ac == NULL || --ac->refs > 0)
		return;
	a = addr_slot(e, ac->addr);
	if (*a == ac) {
		*a = ac->next;
		free(ac);
	}
}

static void wake_waiting(evutil_socket_t fd, short what, void *arg);

/* Politeness: whether c may open now (--per-address and --per-domain). */
static bool
has_slot(const struct conn *c)
{
	const struct job *j = c->job;

	return j->nopen < j->e->o.per_domain && j->e->nopen < j->e->max_open &&
	    (c->ac == NULL || c->ac->n < j->e->o.per_address);
}

/* A slot is free at an address: start waiting connections soon, from the top of the loop (never nested). */
static void
schedule_wake(struct fs_engine *e)
{
	struct timeval now = { 0, 0 };

	if (e->wake_pending || TAILQ_EMPTY(&e->waiting))
		return;
	if (event_base_once(e->base, -1, EV_TIMEOUT, wake_waiting, e, &now) == 0)
		e->wake_pending = true;
}

/* The peer is gone or we are done: release the socket now, the struct in conn_after(). */
static void
conn_close(struct conn *c)
{
	if (c->st == C_CLOSED)
		return;
	if (c->st == C_WAITING)
		TAILQ_REMOVE(&c->e->waiting, c, wlink);
	if (c->counted) {
		if (c->ac != NULL && c->ac->n > 0)
			c->ac->n--;
		c->job->nopen--;
		c->e->nopen--;
		c->counted = false;
		schedule_wake(c->e);
	}
	c->st = C_CLOSED;
	/* Events first: epoll must forget the descriptor before it is closed (and maybe reused). */
	if (c->rd != NULL)
		event_del(c->rd);
	if (c->wr != NULL)
		event_del(c->wr);
	if (c->timer != NULL)
		event_del(c->timer);
	if (c->quiet != NULL)
		event_del(c->quiet);
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

static void
inbound_destroy(struct conn *c)
{
	struct fs_engine *e = c->e;

	conn_close(c);
	if (c->job != NULL)
		fs_outbound_merge(&c->job->ev.outbound, &c->in->oev);
	if (c->rd != NULL)
		event_free(c->rd);
	if (c->wr != NULL)
		event_free(c->wr);
	if (c->timer != NULL)
		event_free(c->timer);
	fs_drive_free(c->drv);
	TAILQ_REMOVE(&e->inbound, c, link);
	e->ninbound--;
	free(c->out);
	free(c->in);
	free(c);
}

static void start_after(struct job *j, unsigned epi, const struct fs_conn_ev *before);

static void
conn_destroy(struct conn *c)
{
	struct job *j = c->job;
	const struct fs_conn_ev *ev = c->ev;
	unsigned epi = c->epi;

	if (c->inbound) {
		inbound_destroy(c);
		return;
	}
	conn_close(c);
	c->ev->duration_ms = ms_since(&c->t0);
	if (c->quiet != NULL)
		event_free(c->quiet);
	if (c->rd != NULL)
		event_free(c->rd);
	if (c->wr != NULL)
		event_free(c->wr);
	if (c->timer != NULL)
		event_free(c->timer);
	fs_drive_free(c->drv);
	addr_unref(c->e, c->ac);
	TAILQ_REMOVE(&j->conns, c, link);
	free(c->out);
	free(c);
	start_after(j, epi, ev);
	job_maybe_done(j);
}

/* Write what we can of the output buffer. */
static void
flush_out(struct conn *c)
{
	ssize_t n;
	int r, err;

	while (c->outlen > 0 && c->st == C_OPEN) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, c->out, (int)c->outlen);
			if (r <= 0) {
				err = SSL_get_error(c->ssl, r);
				if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
					if (err == SSL_ERROR_WANT_WRITE)
						want_write(c);
					return;
				}
				FS_EV_SET(c->ev->close_reason, "write failed on the TLS stream");
				conn_close(c);
				return;
			}
			n = r;
		} else {
			n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					want_write(c);
					return;
				}
				if (c->ev->close_reason[0] == '\0')
					FS_EV_SET(c->ev->close_reason, strerror(errno));
				conn_close(c);
				return;
			}
		}
		c->ev->bytes_out += n;
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	if (c->outlen == 0) {
		free(c->out);
		c->out = NULL;
	}
}

static void
start_handshake(struct conn *c)
{
	struct job *j = c->job;

	if (c->inbound)
		c->ssl = fs_tls_server_session(c->e->tls, c->fd);
	else
		c->ssl = fs_tls_session(j->e->tls, c->fd, j->ev.domain, c->direct,
		    fs_session_uses_client_cert(fs_drive_session(c->drv)), &c->ev->tls);
	if (c->ssl == NULL) {
		FS_EV_SET(c->ev->tls.error, "cannot create a TLS session");
		FS_EV_SET(c->ev->close_reason, "cannot create a TLS session");
		conn_close(c);
		return;
	}
	c->st = C_HANDSHAKE;
}

static void on_quiet(evutil_socket_t fd, short what, void *arg);

/*
 * Sink mode asked to hear of silence after its db:result. What a partner refuses it refuses at once, within a
 * few round trips; what it accepts it verifies by connecting back to our sink FROM, which nobody answers, so
 * only silence follows (then Prosody's <connection-timeout/> after s2s_timeout, 90 s by default). Waiting that
 * out adds nothing to the evidence. The grace: --dialback-wait, or 250 ms + 8 round trips.
 */
static void
arm_quiet(struct conn *c)
{
	struct fs_engine *e = c->e;
	struct timeval tv;
	long g = e->o.dialback_wait_ms > 0 ? e->o.dialback_wait_ms : 250 + 8 * c->connect_ms;

	if (c->inbound || ms_since(&c->t0) + g >= c->left_ms)
		return;  /* the connection's own timer comes first */
	if (c->quiet == NULL && (c->quiet = evtimer_new(e->base, on_quiet, c)) == NULL)
		return;
	c->quiet_ms = g;
	tv.tv_sec = g / 1000;
	tv.tv_usec = (g % 1000) * 1000;
	evtimer_add(c->quiet, &tv);
}

/* Queue data to send; false when the connection had to close (its output is bounded). */
static bool
queue_out(struct conn *c, const char *data, size_t len)
{
	/* One read may carry several answers (the listener's db:verify): send what the socket takes first. */
	if (c->outlen + len > OUTBUF)
		flush_out(c);
	if (c->st == C_CLOSED)
		return false;
	if (c->outlen + len > OUTBUF) {
		FS_EV_SET(c->ev->close_reason, "internal: output buffer full");
		conn_close(c);
		return false;
	}
	if (c->out == NULL && (c->out = malloc(OUTBUF)) == NULL) {
		FS_EV_SET(c->ev->close_reason, "out of memory");
		conn_close(c);
		return false;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return true;
}

/* Run the actions the driver queued, in order. */
static void
run_actions(struct conn *c)
{
	struct fs_drive_acts a;
	bool tls = false, close_after = false;
	size_t i;

	fs_drive_take(c->drv, &a);
	for (i = 0; i < a.n && c->st != C_CLOSED; i++) {
		switch (a.a[i].type) {
		case FS_ACT_SEND:
			queue_out(c, a.buf + a.a[i].off, a.a[i].len);
			break;
		case FS_ACT_STARTTLS:
			flush_out(c);
			start_handshake(c);
			tls = true;
			break;
		case FS_ACT_RESTART:
			break;  /* the driver has reset its parser */
		case FS_ACT_CLOSE:
			close_after = true;
			break;
		case FS_ACT_QUIET:
			arm_quiet(c);
			break;
		}
	}
	flush_out(c);
	if (close_after)
		conn_close(c);
	if (tls && c->st == C_HANDSHAKE)
		conn_step(c);
}

static void bind_inbound(struct conn *c);

/* After the driver has had bytes or an event: place an inbound partner, then run what the session asked. */
static void
after_drive(struct conn *c, int r)
{
	if (r != 0) {
		FS_EV_SET(c->ev->close_reason, "out of memory");
		conn_close(c);
		return;
	}
	if (c->inbound && c->job == NULL && fs_authority_peer(fs_drive_authority(c->drv))[0] != '\0')
		bind_inbound(c);
	if (c->st != C_CLOSED)
		run_actions(c);
}

/* An event from outside the stream, in any state but closed (a failed or timed-out handshake included). */
static void
deliver(struct conn *c, enum fs_pev_type type, const char *reason)
{
	if (c->st == C_CLOSED)
		return;
	after_drive(c, fs_drive_event(c->drv, type, reason));
}

/* State changes of the driver and its session, at -vv. */
static void
conn_trace(void *ud, const char *machine, const char *from, const char *to)
{
	struct conn *c = ud;
	const struct fs_endpoint_ev *ep;

	if (c->inbound) {
		fs_debug("listener: %s: %s: %s -> %s", c->in->oev.address, machine, from, to);
		return;
	}
	ep = &c->job->ev.endpoints[c->epi];
	fs_debug("%s: %s [%s]:%d %s: %s -> %s", c->job->ev.domain, fs_conn_kind_name(c->ev->kind), ep->address,
	    ep->port, machine, from, to);
}

static void
do_read(struct conn *c)
{
	char buf[READBUF];
	ssize_t n;
	size_t used;
	int r, err;

	while (c->st == C_OPEN) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, buf, sizeof(buf));
			if (r <= 0) {
				err = SSL_get_error(c->ssl, r);
				if (err == SSL_ERROR_WANT_READ)
					return;
				if (err == SSL_ERROR_WANT_WRITE) {
					want_write(c);
					return;
				}
				deliver(c, FS_PEV_CLOSED, err == SSL_ERROR_ZERO_RETURN ?
				    "the peer closed the TLS session" : "the peer closed the connection");
				conn_close(c);
				return;
			}
			n = r;
		} else {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				return;
			if (n <= 0) {
				deliver(c, FS_PEV_CLOSED, n == 0 ? "the peer closed the connection" :
				    (errno == ECONNRESET ? "the peer reset the connection" : strerror(errno)));
				conn_close(c);
				return;
			}
		}
		c->ev->bytes_in += n;
		if ((size_t)c->ev->bytes_in > c->e->o.max_conn_bytes) {
			char why[FS_EV_TEXT];
			snprintf(why, sizeof(why), "the peer sent more than %zu bytes", c->e->o.max_conn_bytes);
			deliver(c, FS_PEV_XML_ERROR, why);
			conn_close(c);
			return;
		}
		after_drive(c, fs_drive_feed(c->drv, buf, (size_t)n, &used));
	}
}

static void
do_handshake(struct conn *c)
{
	int r, err;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->st = C_OPEN;
		if (c->inbound)
			fs_tls_record_client(c->ssl, fs_authority_peer(fs_drive_authority(c->drv)), &c->in->oev);
		else
			fs_tls_record(c->ssl, c->job->ev.domain, &c->ev->tls);
		deliver(c, FS_PEV_TLS_UP, NULL);
		return;
	}
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		return;
	if (err == SSL_ERROR_WANT_WRITE) {
		want_write(c);
		return;
	}
	fs_tls_record_error(c->ssl, err, &c->ev->tls);
	deliver(c, FS_PEV_TLS_FAILED, c->ev->tls.error);
	conn_close(c);
}

static void
conn_step(struct conn *c)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	switch (c->st) {
	case C_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr == EINPROGRESS)
			return;
		if (soerr != 0) {
			FS_EV_SET(c->ev->connect_error, strerror(soerr));
			FS_EV_SET(c->ev->close_reason, strerror(soerr));
			conn_close(c);
			return;
		}
		c->st = C_OPEN;
		c->connect_ms = ms_since(&c->t0);
		deliver(c, FS_PEV_CONNECTED, NULL);
		if (c->st == C_OPEN)
			do_read(c);
		break;
	case C_HANDSHAKE:
		do_handshake(c);
		if (c->st == C_OPEN)
			do_read(c);
		break;
	case C_OPEN:
		flush_out(c);
		do_read(c);
		break;
	case C_CLOSED:
	case C_WAITING:
		break;
	}
}

static void
conn_after(struct conn *c)
{
	if (c->st == C_CLOSED)
		conn_destroy(c);
}

static void
on_io(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	conn_step(c);
	conn_after(c);
}

static void
on_quiet(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->st == C_OPEN)
		after_drive(c, fs_drive_quiet(c->drv, c->quiet_ms));
	conn_after(c);
}

static void
on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->st == C_WAITING) {
		FS_EV_SET(c->ev->connect_error, "no free slot at this address or domain within the domain's "
		    "time budget (--per-address, --per-domain, RLIMIT_NOFILE)");
		FS_EV_SET(c->ev->close_reason, c->ev->connect_error);
	}
	if (c->st == C_HANDSHAKE && c->ev->tls.error[0] == '\0')
		FS_EV_SET(c->ev->tls.error, "no answer to the TLS handshake before the timeout");
	deliver(c, FS_PEV_TIMEOUT, c->e->stopping ? "interrupted" : "timed out");
	conn_close(c);
	conn_after(c);
}

static int
sockaddr_of(const struct fs_endpoint_ev *ep, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ep->address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)ep->port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, ep->address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)ep->port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* Which TCP stream a connection is ("LOCAL:PORT > PEER:PORT"): its packets in a --capture file. */
static void
record_stream(int fd, const struct fs_endpoint_ev *ep, struct fs_conn_ev *ev)
{
	struct sockaddr_storage ls;
	socklen_t ll = sizeof(ls);
	char a[INET6_ADDRSTRLEN] = "?";
	int lport = 0;
	bool v6 = strchr(ep->address, ':') != NULL;

	if (getsockname(fd, (struct sockaddr *)&ls, &ll) != 0)
		return;
	if (ls.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ls)->sin_addr, a, sizeof(a));
		lport = ntohs(((struct sockaddr_in *)&ls)->sin_port);
	} else if (ls.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ls)->sin6_addr, a, sizeof(a));
		lport = ntohs(((struct sockaddr_in6 *)&ls)->sin6_port);
	}
	snprintf(ev->stream, sizeof(ev->stream), "%s%s%s:%d > %s%s%s:%d", v6 ? "[" : "", a, v6 ? "]" : "", lport,
	    v6 ? "[" : "", ep->address, v6 ? "]" : "", ep->port);
}

/* Open a connection's socket and connect; on failure it is closed (the caller destroys it at top level). */
static void
conn_open(struct conn *c)
{
	struct job *j = c->job;
	struct fs_engine *e = j->e;
	struct fs_endpoint_ev *ep = &j->ev.endpoints[c->epi];
	struct fs_conn_ev *ev = c->ev;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct timeval tv;
	long left;

	/* Each connection gets --timeout, but never past the domain's budget (DNS and waiting included). */
	left = FS_DOMAIN_BUDGET(e->o.timeout_ms) - ms_since(&j->t0);
	if (left > e->o.timeout_ms)
		left = e->o.timeout_ms;
	if (left <= 0) {
		FS_EV_SET(ev->connect_error, "the domain's time budget was spent before this connection");
		FS_EV_SET(ev->close_reason, "the domain's time budget was spent before this connection");
		ev->timed_out = true;
		goto fail;
	}
	if (sockaddr_of(ep, &ss, &sl) != 0) {
		FS_EV_SET(ev->connect_error, "not a numeric address");
		goto fail;
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		FS_EV_SET(ev->connect_error, strerror(errno));
		FS_EV_SET(ev->close_reason, strerror(errno));
		goto fail;
	}
	c->rd = event_new(e->base, c->fd, EV_READ | EV_PERSIST, on_io, c);
	c->wr = event_new(e->base, c->fd, EV_WRITE, on_io, c);
	if (c->rd == NULL || c->wr == NULL) {
		FS_EV_SET(ev->close_reason, "out of memory");
		goto fail;
	}
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->left_ms = left;
	if (c->ac != NULL)
		c->ac->n++;
	j->nopen++;
	e->nopen++;
	c->counted = true;
	c->st = C_CONNECTING;
	/* --capture widens its filter to this endpoint before the SYN leaves. */
	if (e->o.on_connect != NULL)
		e->o.on_connect(e->o.on_connect_ud, ep->address, ep->port);
	if (connect(c->fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
		FS_EV_SET(ev->connect_error, strerror(errno));
		FS_EV_SET(ev->close_reason, strerror(errno));
		goto fail;
	}
	record_stream(c->fd, ep, ev);
	event_add(c->rd, NULL);
	event_add(c->wr, NULL);
	fs_debug("%s: %s [%s]:%d connecting", j->ev.domain, fs_conn_kind_name(ev->kind), ep->address, ep->port);
	return;
fail:
	conn_close(c);
}

static void
conn_start(struct job *j, unsigned epi, const struct fs_probe *p, const struct fs_probe_env *env)
{
	struct fs_engine *e = j->e;
	struct fs_endpoint_ev *ep = &j->ev.endpoints[epi];
	struct fs_conn_ev *ev = &ep->conns[p->kind];
	struct fs_drive_opts dopts = { .trace = fs_log_level >= 3 ? conn_trace : NULL };
	struct timeval tv;
	struct conn *c;
	long left;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	dopts.trace_ud = c;
	c->job = j;
	c->e = e;
	c->ev = ev;
	c->epi = epi;
	c->fd = -1;
	c->direct = ep->direct_tls;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	TAILQ_INSERT_TAIL(&j->conns, c, link);
	if (ep->nconns <= (unsigned)p->kind)
		ep->nconns = (unsigned)p->kind + 1;
	if (fs_drive_open(p, env, ev, &dopts, &c->drv) != 0 ||
	    (c->ac = addr_ref(e, ep->address)) == NULL ||
	    (c->timer = evtimer_new(e->base, on_conn_timer, c)) == NULL) {
		FS_EV_SET(ev->close_reason, "out of memory");
		conn_close(c);
		conn_destroy(c);
		return;
	}
	if (!has_slot(c)) {
		/* Politeness: wait for a slot at this address and domain, but never past the domain's budget. */
		left = FS_DOMAIN_BUDGET(e->o.timeout_ms) - ms_since(&j->t0);
		tv.tv_sec = left > 0 ? left / 1000 : 0;
		tv.tv_usec = left > 0 ? (left % 1000) * 1000 : 0;
		evtimer_add(c->timer, &tv);
		c->st = C_WAITING;
		TAILQ_INSERT_TAIL(&e->waiting, c, wlink);
		return;
	}
	conn_open(c);
	conn_after(c);
}

static void
wake_waiting(evutil_socket_t fd, short what, void *arg)
{
	struct fs_engine *e = arg;
	struct conn *c, *next;

	e->wake_pending = false;
	for (c = TAILQ_FIRST(&e->waiting); c != NULL; c = next) {
		next = TAILQ_NEXT(c, wlink);
		if (!has_slot(c))
			continue;
		TAILQ_REMOVE(&e->waiting, c, wlink);
		c->st = C_CONNECTING;
		conn_open(c);
		if (c->st == C_CLOSED) {
			/* Destroying may finish its domain and start others, adding to the queue: start over. */
			conn_destroy(c);
			next = TAILQ_FIRST(&e->waiting);
		}
	}
}

/* ---- domains ---- */

static void
job_free(struct job *j)
{
	fs_domain_ev_clear(&j->ev);
	free(j);
}

static void
job_maybe_done(struct job *j)
{
	struct fs_engine *e = j->e;
	struct conn *ic, *icn;

	if (j->pending > 0 || !j->probing || !TAILQ_EMPTY(&j->conns))
		return;
	/* The partner's connect-backs belong to this audit: record them, then hang up (issue 7). */
	for (ic = TAILQ_FIRST(&e->inbound); ic != NULL; ic = icn) {
		icn = TAILQ_NEXT(ic, link);
		if (ic->job == j)
			inbound_destroy(ic);
	}
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
static void
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

struct addr_ctx {
	struct job *j;
	unsigned t;
};

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

static void
resolve_targets(struct job *j)
{
	struct addr_ctx *a;
	unsigned i, n = j->ntargets;

	if (n == 0) {
		start_probes(j);
		return;
	}
	j->pending += n;
	for (i = 0; i < n; i++) {
		if ((a = malloc(sizeof(*a))) == NULL) {
			j->pending--;
			continue;
		}
		a->j = j;
		a->t = i;
		fs_dns_addr(j->e->dns, j->targets[i].host, addr_done, a);
	}
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

struct srv_ctx {
	struct job *j;
	bool tls;
};

static void
srv_done(void *ud, int status, const char *err, const struct fs_srv_rec *recs, unsigned n)
{
	struct srv_ctx *s = ud;
	struct job *j = s->j;
	bool tls = s->tls;
	char msg[FS_EV_TEXT];
	unsigned i;

	free(s);
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
	if (!j->ev.dns.srv_found && !j->ev.dns.srv_tls_found && !j->ev.dns.srv_dot)
		add_target(j, j->ev.domain, 5269, 0, 0, FS_SRC_FALLBACK, false);
	qsort(j->targets, j->ntargets, sizeof(j->targets[0]), target_cmp);
	resolve_targets(j);
}

static void
job_start(struct fs_engine *e, const char *domain)
{
	struct job *j;
	struct srv_ctx *s;
	unsigned char rnd[32];
	char name[FS_DNS_NAME + 32];
	int i, t;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->e = e;
	TAILQ_INIT(&j->conns);
	TAILQ_INSERT_TAIL(&e->jobs, j, link);
	e->running++;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	FS_EV_SET(j->ev.domain, domain);
	FS_EV_SET(j->ev.params.from, e->o.from);
	j->ev.params.have_client_cert = e->o.client_cert != NULL;
	j->ev.params.timeout_ms = e->o.timeout_ms;
	j->ev.params.authoritative = e->lfd >= 0;
	/* A random key for our own FROM: no one can be impersonated with it (protocol-notes §3.1). */
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
		snprintf(name, sizeof(name), "_%s-server._tcp.%s", t ? "xmpps" : "xmpp", domain);
		fs_dns_srv(e->dns, name, srv_done, s);
	}
}

static void
start_jobs(struct fs_engine *e)
{
	while (!e->stopping && e->running < e->o.concurrency && e->next < e->nqueue)
		job_start(e, e->queue[e->next++]);
	if (e->running == 0 && (e->next >= e->nqueue || e->stopping))
		event_base_loopexit(e->base, NULL);
}

/* ---- the authoritative listener (--listen) ---- */

static void
bind_inbound(struct conn *c)
{
	struct fs_engine *e = c->e;
	const char *peer = fs_authority_peer(fs_drive_authority(c->drv));
	struct job *j;
	struct conn *o;
	unsigned n = 0;

	TAILQ_FOREACH(j, &e->jobs, link)
		if (strcasecmp(j->ev.domain, peer) == 0)
			break;
	if (j == NULL) {
		/* Not a partner under audit: we verify nothing for strangers. */
		fs_info("listener: %s connected but is not being audited; closed", peer);
		e->refused++;
		conn_close(c);
		return;
	}
	TAILQ_FOREACH(o, &e->inbound, link)
		if (o->job == j)
			n++;
	if (n >= FS_MAX_INBOUND_PER_PARTNER) {
		j->ev.outbound.refused++;
		conn_close(c);
		return;
	}
	c->job = j;
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct fs_engine *e = arg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct fs_authority_env aenv;
	struct fs_drive_opts dopts = { .trace = fs_log_level >= 3 ? conn_trace : NULL };
	struct timeval tv;
	struct conn *c;
	char addr[INET6_ADDRSTRLEN] = "";
	int fd;

	while ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		sl = sizeof(ss);
		if (e->ninbound >= FS_MAX_INBOUND) {
			e->refused++;
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL || (c->in = calloc(1, sizeof(*c->in))) == NULL) {
			free(c);
			close(fd);
			continue;
		}
		c->e = e;
		c->inbound = true;
		c->fd = fd;
		c->ev = &c->in->own_ev;
		c->st = C_OPEN;
		clock_gettime(CLOCK_MONOTONIC, &c->t0);
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
		FS_EV_SET(c->in->oev.address, addr);
		aenv.from = e->o.from;
		aenv.secret = e->secret;
		aenv.can_tls = fs_tls_can_serve(e->tls);
		TAILQ_INSERT_TAIL(&e->inbound, c, link);
		e->ninbound++;
		dopts.trace_ud = c;
		fs_drive_open_authority(&aenv, &c->in->oev, &dopts, &c->drv);
		c->rd = event_new(e->base, fd, EV_READ | EV_PERSIST, on_io, c);
		c->wr = event_new(e->base, fd, EV_WRITE, on_io, c);
		c->timer = evtimer_new(e->base, on_conn_timer, c);
		if (c->drv == NULL || c->rd == NULL || c->wr == NULL || c->timer == NULL) {
			inbound_destroy(c);
			continue;
		}
		tv.tv_sec = e->o.timeout_ms / 1000;
		tv.tv_usec = (e->o.timeout_ms % 1000) * 1000;
		evtimer_add(c->timer, &tv);
		event_add(c->rd, NULL);
		fs_debug("listener: connection from %s", addr);
	}
}

static int
listen_on(struct fs_engine *e, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int one = 1, port = e->o.listen_port > 0 ? e->o.listen_port : 5269;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, e->o.listen_host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, e->o.listen_host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		snprintf(err, errlen, "--listen %s: not a numeric IPv4 or IPv6 address", e->o.listen_host);
		return -1;
	}
	if (!fs_tls_can_serve(e->tls)) {
		snprintf(err, errlen, "--listen needs --client-cert/--client-key: the partner connects back over TLS "
		    "and must see a certificate for %s", e->o.from);
		return -1;
	}
	if ((e->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(e->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(e->lfd, (struct sockaddr *)&ss, sl) != 0 || listen(e->lfd, 64) != 0) {
		snprintf(err, errlen, "--listen %s:%d: %s", e->o.listen_host, port, strerror(errno));
		if (e->lfd >= 0)
			close(e->lfd);
		e->lfd = -1;
		return -1;
	}
	e->lev = event_new(e->base, e->lfd, EV_READ | EV_PERSIST, on_accept, e);
	if (e->lev == NULL || event_add(e->lev, NULL) != 0) {
		snprintf(err, errlen, "--listen: cannot watch the socket");
		return -1;
	}
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct fs_engine *e = arg;
	struct job *j, *jn;
	struct conn *c, *cn;
	struct timeval now = { 0, 0 };

	if (e->stopping)
		return;
	fs_warn("interrupted: finishing the domains in flight as interrupted");
	e->stopping = true;
	/* Time out every live connection now; their domains then report as interrupted. */
	for (j = TAILQ_FIRST(&e->jobs); j != NULL; j = jn) {
		jn = TAILQ_NEXT(j, link);
		for (c = TAILQ_FIRST(&j->conns); c != NULL; c = cn) {
			cn = TAILQ_NEXT(c, link);
			if (c->timer != NULL && c->st != C_CLOSED)
				evtimer_add(c->timer, &now);
		}
	}
}

/*
 * Domains in flight must fit the file descriptors we may open: raise the soft RLIMIT_NOFILE to the hard one, cap
 * the probe connections open at once below it (the rest wait for a slot, as for --per-address), and lower
 * --concurrency so that a typical domain's connections fit.
 */
static void
fit_concurrency(struct fs_engine *e)
{
	struct rlimit rl;
	rlim_t reserve = FS_FD_RESERVE + (e->o.listen_host != NULL ? FS_MAX_INBOUND + 1 : 0), fit;

	e->max_open = UINT_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	fit = rl.rlim_cur > reserve + FS_FDS_PER_DOMAIN ? rl.rlim_cur - reserve : FS_FDS_PER_DOMAIN;
	if (fit < UINT_MAX)
		e->max_open = (unsigned)fit;
	fit /= FS_FDS_PER_DOMAIN;
	if (e->o.concurrency > fit) {
		fs_warn("--concurrency %u lowered to %lu: only %lu file descriptors may be open (RLIMIT_NOFILE)",
		    e->o.concurrency, (unsigned long)fit, (unsigned long)rl.rlim_cur);
		e->o.concurrency = (unsigned)fit;
	}
}

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
		goto fail;
	}
	if (fs_dns_new(e->base, opts->resolver, e->o.timeout_ms, &e->dns, err, errlen) != 0)
		goto fail;
	if (fs_tls_ctx_new(opts->ca_file, opts->client_cert, opts->client_key, &e->tls, err, errlen) != 0)
		goto fail;
	if (opts->keylog != NULL)
		fs_tls_ctx_set_keylog(e->tls, opts->keylog);
	if (opts->listen_host != NULL && listen_on(e, err, errlen) != 0)
		goto fail;
	e->sigint = evsignal_new(e->base, SIGINT, on_signal, e);
	e->sigterm = evsignal_new(e->base, SIGTERM, on_signal, e);
	*out = e;
	return 0;
fail:
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

void
fs_engine_stop(struct fs_engine *e)
{
	on_signal(SIGTERM, 0, e);
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
			if (c->rd != NULL)
				event_free(c->rd);
			if (c->wr != NULL)
				event_free(c->wr);
			if (c->timer != NULL)
				event_free(c->timer);
			fs_drive_free(c->drv);
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
