/* engine_int.h: what the engine's files (src/net: engine, conn, job, politeness, listener, signals) share. */
#ifndef FEDSCAN_NET_ENGINE_INT_H
#define FEDSCAN_NET_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "fedscan/authority.h"
#include "fedscan/dns.h"
#include "fedscan/drive.h"
#include "fedscan/engine.h"
#include "fedscan/evidence.h"
#include "fedscan/probe.h"

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
	struct fs_dane_ev dane;  /* --dnssec: DNSSEC states and TLSA records (src/net/dane.c) */
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
	struct timespec t0;      /* the run's clock starts here: fs_drive_clock() gets the ms since */
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

/* conn.c */
/* Milliseconds since t0 (CLOCK_MONOTONIC). */
long ms_since(const struct timespec *t0);
/* The peer is gone or we are done: release the socket and the slot now, the struct in conn_destroy(). */
void conn_close(struct conn *c);
/* Free a closed connection's events and its driver (what every way of freeing one needs). */
void conn_release(struct conn *c);
/* Free a closed connection; an outbound one then starts the probes waiting for it and may end its domain. */
void conn_destroy(struct conn *c);
/* A connection for probe p to endpoint epi of j: opened now, or queued for a slot (politeness.c). */
void conn_start(struct job *j, unsigned epi, const struct fs_probe *p, const struct fs_probe_env *env);
/* Open a connection's socket and connect; on failure it is closed (the caller destroys it at top level). */
void conn_open(struct conn *c);
/* The read and write events of a connection. */
void conn_on_io(evutil_socket_t fd, short what, void *arg);
/* A connection's time is up (or its wait for a slot, or the run was interrupted). */
void conn_on_timer(evutil_socket_t fd, short what, void *arg);
/* fs_trace_fn for a connection's driver: state changes at -vv. */
void conn_trace(void *ud, const char *machine, const char *from, const char *to);

/* politeness.c */
/* The politeness counter of addr, shared by every connection to it (NULL on out-of-memory). */
struct addrcount *addr_ref(struct fs_engine *e, const char *addr);
/* Drop a connection's reference to its address counter; NULL is allowed. */
void addr_unref(struct fs_engine *e, struct addrcount *ac);
/* Whether c may open now (--per-address, --per-domain, RLIMIT_NOFILE). */
bool has_slot(const struct conn *c);
/* A slot is free: start waiting connections soon, from the top of the loop (never nested). */
void schedule_wake(struct fs_engine *e);
/* Fit --concurrency and the connections open at once to RLIMIT_NOFILE (raised to its hard limit first). */
void fit_concurrency(struct fs_engine *e);

/* job.c */
/* Free a domain's audit and its evidence. */
void job_free(struct job *j);
/* When nothing of j is in flight: hand its evidence to the caller, free it and start the next domains. */
void job_maybe_done(struct job *j);
/* A probe's connection to endpoint epi ended: start the probes that wait for it, if its outcome wants them. */
void start_after(struct job *j, unsigned epi, const struct fs_conn_ev *before);
/* Start queued domains up to --concurrency; leave the loop when all are done. */
void start_jobs(struct fs_engine *e);

/* listener.c */
/* Free an inbound connection, its evidence merged into its partner's first. */
void inbound_destroy(struct conn *c);
/* An inbound stream said who it is: tie it to that partner's audit, or close it. */
void bind_inbound(struct conn *c);
/* Listen on --listen; 0, or -1 with err filled. */
int listen_on(struct fs_engine *e, char *err, size_t errlen);

/* signals.c */
/* SIGINT or SIGTERM: time out every live connection now, so their domains report as interrupted. */
void engine_on_signal(evutil_socket_t sig, short what, void *arg);

#endif
