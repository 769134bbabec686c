/* dns.h: asynchronous SRV and address lookups on c-ares, driven by the engine's libevent loop. */
#ifndef FEDSCAN_DNS_H
#define FEDSCAN_DNS_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "fedscan/evidence.h"

struct event_base;
struct fs_dns;

#define FS_DNS_NAME 256

struct fs_srv_rec {
	char target[FS_DNS_NAME];
	unsigned short port, priority, weight;
};

/* What the resolver did in a run: lookups sent, answered without one of their own (cache or joined), failed. */
struct fs_dns_stats {
	unsigned long sent, cached, failed;
};

/*
 * status: 0 answered (n may be 0 for NODATA; err, when set, is a note such as records left out), 1 no such name,
 * -1 other failure (err says what).
 */
typedef void (*fs_dns_srv_cb)(void *ud, int status, const char *err, const struct fs_srv_rec *recs, unsigned n);
typedef void (*fs_dns_addr_cb)(void *ud, int status, const char *err, const struct sockaddr_storage *addrs, unsigned n);

/* A resolver on base; resolver is "ADDR[:PORT]" or NULL for the system's. Returns 0, or -1 with err filled. */
int fs_dns_new(struct event_base *base, const char *resolver, long timeout_ms, struct fs_dns **out, char *err,
    size_t errlen);
/* Free a resolver; pending callbacks fire with a failure first. NULL is allowed. */
void fs_dns_free(struct fs_dns *d);
/*
 * Lookups are cached for the resolver's life (failures excepted), a name already being looked up is asked once,
 * and at most 64 lookups are out at once. Callbacks fire from the event loop, never inside these calls (except
 * when memory runs out).
 */
/* Look up SRV records for name (e.g. "_xmpp-server._tcp.example.org"); cb fires exactly once. */
void fs_dns_srv(struct fs_dns *d, const char *name, fs_dns_srv_cb cb, void *ud);
/* Look up A and AAAA records (or parse a literal) for host; cb fires exactly once. */
void fs_dns_addr(struct fs_dns *d, const char *host, fs_dns_addr_cb cb, void *ud);
/*
 * A raw answer with its DNSSEC state: rcode (0 NOERROR, 3 NXDOMAIN ...) and the answer's bytes (NULL when
 * none). err says what failed when st is FS_DNSSEC_UNKNOWN.
 */
typedef void (*fs_dns_raw_cb)(void *ud, enum fs_dnssec st, int rcode, const unsigned char *abuf, int alen,
    const char *err);
/*
 * Ask the resolver for name/type with the AD bit set (RFC 6840 §5.7) and read the AD bit of the answer; on
 * SERVFAIL ask again with CD set: an answer then means the data is bogus. Not cached; cb fires exactly once,
 * from the event loop (or at once when memory runs out).
 */
void fs_dns_secure(struct fs_dns *d, const char *name, int type, fs_dns_raw_cb cb, void *ud);
/* What the resolver has done so far. */
void fs_dns_get_stats(const struct fs_dns *d, struct fs_dns_stats *out);

#endif
