/* listener.c: the authoritative listener (--listen): accepts the partners' dialback connect-backs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fedscan/log.h"
#include "fedscan/tls.h"
#include "net/engine_int.h"

void
inbound_destroy(struct conn *c)
{
	struct fs_engine *e = c->e;

	conn_close(c);
	if (c->job != NULL)
		fs_outbound_merge(&c->job->ev.outbound, &c->in->oev);
	conn_release(c);
	TAILQ_REMOVE(&e->inbound, c, link);
	e->ninbound--;
	free(c->out);
	free(c->in);
	free(c);
}

void
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
		c->rd = event_new(e->base, fd, EV_READ | EV_PERSIST, conn_on_io, c);
		c->wr = event_new(e->base, fd, EV_WRITE, conn_on_io, c);
		c->timer = evtimer_new(e->base, conn_on_timer, c);
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

int
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
