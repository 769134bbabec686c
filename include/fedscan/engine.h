/* engine.h: the event loop that resolves partner domains, runs every probe on every endpoint and hands back evidence. */
#ifndef FEDSCAN_ENGINE_H
#define FEDSCAN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fedscan/evidence.h"

struct fs_engine_opts {
	const char *from;          /* our stream from */
	const char *ca_file;       /* NULL: the system trust store */
	const char *client_cert;   /* NULL: none */
	const char *client_key;
	const char *resolver;      /* "ADDR[:PORT]" or NULL */
	const char *connect_host;  /* --connect: skip DNS, probe this host */
	int connect_port;          /* 0: 5269 */
	bool direct_tls;           /* --direct-tls with --connect */
	bool dnssec;               /* --dnssec: DNSSEC states and TLSA records through a validating resolver */
	long timeout_ms;           /* per connection */
	unsigned concurrency;      /* domains in flight */
	size_t max_conn_bytes;     /* bytes read per connection */
	const char *listen_host;   /* --listen: answer the partners' dialback connect-back here (numeric) */
	int listen_port;           /* 0: 5269 */
	unsigned per_address;      /* connections at once to one address (politeness); 0: the default */
	unsigned per_domain;       /* connections at once to one partner domain (politeness); 0: the default */
	long dialback_wait_ms;     /* sink mode: silence after db:result that means "verifying"; 0: by round trip */
	/* --capture: called with each endpoint before the first connect() to it, so the filter can take it in. */
	void (*on_connect)(void *ud, const char *address, int port);
	void *on_connect_ud;
	FILE *keylog;              /* --capture: TLS secrets go here (NSS key log format), or NULL */
};

/* Called once per domain when all its probes are done; ev belongs to the engine and is freed after the call. */
typedef void (*fs_domain_done_cb)(void *ud, const struct fs_domain_ev *ev);

struct fs_engine;

/* A new engine. Returns 0, or -1 with err filled (bad CA file, certificate, resolver ...). */
int fs_engine_new(const struct fs_engine_opts *opts, fs_domain_done_cb cb, void *ud, struct fs_engine **out,
    char *err, size_t errlen);
/* Queue a domain for auditing. 0, or -1 on out-of-memory. */
int fs_engine_add(struct fs_engine *e, const char *domain);
/*
 * Probe HOST:PORT (0: 5269) for domain instead of looking it up in DNS (a policy file's connect =, Lync's
 * ProxyFqdn); several calls give several endpoints. It does not queue the domain; --connect (opts) wins over it.
 * 0, or -1 on out-of-memory.
 */
int fs_engine_add_endpoint(struct fs_engine *e, const char *domain, const char *host, int port);
/* Run until every queued domain is done or fs_engine_stop() is called. 0, or -1 on an internal failure. */
int fs_engine_run(struct fs_engine *e);
/* Ask a running engine to stop soon (from a signal-safe context: it only sets a flag read by a timer). */
void fs_engine_stop(struct fs_engine *e);
/* The engine's event loop, for other event sources (the --capture handle). */
struct event_base *fs_engine_base(struct fs_engine *e);
/* Free an engine; NULL is allowed. */
void fs_engine_free(struct fs_engine *e);

/* The documented defaults. */
#define FS_DEFAULT_TIMEOUT_MS 15000L
#define FS_DEFAULT_CONCURRENCY 32U
#define FS_DEFAULT_MAX_CONN_BYTES (1024UL * 1024UL)
/* A domain's whole audit (DNS, then every connection in parallel) ends within twice --timeout. */
/* Connections at once to one partner address; the rest wait their turn within the domain's budget. */
#define FS_DEFAULT_PER_ADDRESS 64U
#define FS_DEFAULT_PER_DOMAIN 16U
#define FS_ADDR_BUCKETS 1024U
/* Inbound connections the listener keeps at once, in all and per partner under audit. */
#define FS_MAX_INBOUND 64U
#define FS_MAX_INBOUND_PER_PARTNER 4U
/*
 * --concurrency is fitted to RLIMIT_NOFILE at FS_FDS_PER_DOMAIN descriptors per domain in flight (a reachable
 * endpoint's probe plan), after a reserve for DNS, the database, the capture and stdio (plus the listener's
 * inbound connections with --listen). Open probe connections never pass the limit: past it they wait for a slot.
 */
#define FS_FDS_PER_DOMAIN 4U
#define FS_FD_RESERVE 32U
#define FS_DOMAIN_BUDGET(timeout_ms) (2 * (timeout_ms))

#endif
