/* dane.h: DNSSEC states and TLSA records of an endpoint, and its certificate chain checked against them (RFC 7673). */
#ifndef FEDSCAN_DANE_H
#define FEDSCAN_DANE_H

#include <openssl/ssl.h>

#include "fedscan/dns.h"
#include "fedscan/evidence.h"

/* An SRV answer (as fs_dns_srv_cb) with its DNSSEC state. */
typedef void (*fs_dane_srv_cb)(void *ud, int status, const char *err, const struct fs_srv_rec *recs, unsigned n,
    enum fs_dnssec st);
/* Look up SRV records for name (fs_dns_srv) and, when dnssec, the answer's DNSSEC state; cb fires exactly once. */
void fs_dane_srv(struct fs_dns *d, bool dnssec, const char *name, fs_dane_srv_cb cb, void *ud);

/* Called once with the endpoint's DNSSEC states and TLSA records (ev belongs to the caller after the call). */
typedef void (*fs_dane_cb)(void *ud, const struct fs_dane_ev *ev);

/*
 * Ask for host's A and AAAA and for TLSA at _PORT._tcp.HOST through the validating resolver, and fill a
 * fs_dane_ev (srv is the SRV answer's state, given by the caller); cb fires exactly once.
 */
void fs_dane_lookup(struct fs_dns *d, const char *host, int port, enum fs_dnssec srv, fs_dane_cb cb, void *ud);
/* Parse the TLSA records of a raw answer into ev (ntlsa, tlsa_records); 0, or -1 when the answer is malformed. */
int fs_dane_parse_tlsa(const unsigned char *abuf, int alen, struct fs_dane_ev *ev);
/* RFC 7673 §3: whether DANE applies (SRV, when there is one, and TLSA secure, with records). */
void fs_dane_decide(struct fs_dane_ev *ev, bool from_srv);
/*
 * After a handshake: the leaf's "3 1 1" digest into tls->cert.spki_sha256 and, when ep's TLSA records are usable,
 * the chain checked with OpenSSL's DANE (usages 0-3, selectors, matching types) against them, with
 * domain_ascii and the SRV target as reference names; the outcome goes to tls and, the first time, to ep->dane.
 */
void fs_dane_check(SSL *ssl, const char *domain_ascii, struct fs_endpoint_ev *ep, struct fs_tls_ev *tls);
/* Check a chain (leaf first) against TLSA records in text ("U S M HEX; ..."): 1 matched, 0 not, -1 error. */
int fs_dane_verify_chain(X509_STORE *store, X509 *leaf, STACK_OF(X509) *chain, const char *host,
    const char *domain_ascii, const char *records, char *detail, size_t detaillen);

#endif
