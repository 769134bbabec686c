/* conn.c: one outbound or inbound connection: connect, read, write, TLS, timers, and its driver's actions run. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "fedscan/dane.h"
#include "fedscan/log.h"
#include "fedscan/tls.h"
#include "net/engine_int.h"
#include "net/reach.h"

static void conn_step(struct conn *c);
static struct fs_drive *clocked(struct conn *c);
static void on_quiet(evutil_socket_t fd, short what, void *arg);

long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* The connection's driver, told the run's clock first: the probes time the session proof with it (probe.h). */
static struct fs_drive *
clocked(struct conn *c)
{
	fs_drive_clock(c->drv, ms_since(&c->e->t0));
	return c->drv;
}

static void
want_write(struct conn *c)
{
	if (c->st != C_CLOSED && c->wr != NULL)
		event_add(c->wr, NULL);
}

/* The peer is gone or we are done: release the socket now, the struct in conn_after(). */
void
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

void
conn_release(struct conn *c)
{
	if (c->quiet != NULL)
		event_free(c->quiet);
	if (c->rd != NULL)
		event_free(c->rd);
	if (c->wr != NULL)
		event_free(c->wr);
	if (c->timer != NULL)
		event_free(c->timer);
	c->quiet = c->rd = c->wr = c->timer = NULL;
	fs_drive_free(c->drv);
	c->drv = NULL;
}

void
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
	conn_release(c);
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
		c->ssl = fs_tls_session(j->e->tls, c->fd, j->ev.domain_ascii, c->direct,
		    fs_session_uses_client_cert(fs_drive_session(c->drv)), &c->ev->tls);
	if (c->ssl == NULL) {
		FS_EV_SET(c->ev->tls.error, "cannot create a TLS session");
		FS_EV_SET(c->ev->close_reason, "cannot create a TLS session");
		conn_close(c);
		return;
	}
	c->st = C_HANDSHAKE;
}

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
	/* A session that ended without room left for its CLOSE has ended all the same (probes/drive.c). */
	if (close_after || fs_drive_done(c->drv))
		conn_close(c);
	if (tls && c->st == C_HANDSHAKE)
		conn_step(c);
}

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
	after_drive(c, fs_drive_event(clocked(c), type, reason));
}

/* State changes of the driver and its session, at -vv. */
void
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
		after_drive(c, fs_drive_feed(clocked(c), buf, (size_t)n, &used));
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
		{
			fs_tls_record(c->ssl, c->job->ev.domain, &c->ev->tls);
			fs_dane_check(c->ssl, c->job->ev.domain_ascii, &c->job->ev.endpoints[c->epi], &c->ev->tls);
		}
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

void
conn_on_io(evutil_socket_t fd, short what, void *arg)
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
		after_drive(c, fs_drive_quiet(clocked(c), c->quiet_ms));
	conn_after(c);
}

void
conn_on_timer(evutil_socket_t fd, short what, void *arg)
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
void
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
		goto out;
	}
	if (sockaddr_of(ep, &ss, &sl) != 0) {
		FS_EV_SET(ev->connect_error, "not a numeric address");
		goto out;
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		FS_EV_SET(ev->connect_error, strerror(errno));
		FS_EV_SET(ev->close_reason, strerror(errno));
		if (fs_reach_local_errno(errno))  /* this host has no way to that family: not the partner's doing */
			fs_reach_note_local(ev, errno, ss.ss_family);
		goto out;
	}
	c->rd = event_new(e->base, c->fd, EV_READ | EV_PERSIST, conn_on_io, c);
	c->wr = event_new(e->base, c->fd, EV_WRITE, conn_on_io, c);
	if (c->rd == NULL || c->wr == NULL) {
		FS_EV_SET(ev->close_reason, "out of memory");
		goto out;
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
		if (fs_reach_local_errno(errno))  /* this host has no way to that family: not the partner's doing */
			fs_reach_note_local(ev, errno, ss.ss_family);
		goto out;
	}
	record_stream(c->fd, ep, ev);
	event_add(c->rd, NULL);
	event_add(c->wr, NULL);
	fs_debug("%s: %s [%s]:%d connecting", j->ev.domain, fs_conn_kind_name(ev->kind), ep->address, ep->port);
	return;
out:
	conn_close(c);
}

void
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
	    (c->timer = evtimer_new(e->base, conn_on_timer, c)) == NULL) {
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
