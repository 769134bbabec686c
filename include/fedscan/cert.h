/* cert.h: describe a peer's X.509 certificate as evidence and match it to an XMPP domain (RFC 6125, RFC 6120 §13.7). */
#ifndef FEDSCAN_CERT_H
#define FEDSCAN_CERT_H

#include <openssl/x509.h>

#include "fedscan/evidence.h"

/* How a certificate was found valid for a domain (the kind of presented identifier that matched). */
enum fs_name_id {
	FS_NAMEID_NONE = 0,
	FS_NAMEID_DNS,          /* dNSName equal to the domain */
	FS_NAMEID_DNS_WILDCARD, /* dNSName "*.<parent>" covering the domain */
	FS_NAMEID_SRV,          /* otherName SRVName "_xmpp-server.<domain>" (RFC 4985) */
	FS_NAMEID_XMPPADDR,     /* otherName id-on-xmppAddr equal to the domain (RFC 6120 §13.7.1.4) */
	FS_NAMEID_CN,           /* subject CN, only when no DNS-ID/SRV-ID/XmppAddr/URI-ID exists */
};

/* Fill *out from leaf (chain as sent by the peer, may be NULL); printable, truncated text; 0, or -1 on error. */
int fs_cert_describe(X509 *leaf, STACK_OF(X509) *chain, struct fs_cert_ev *out);

/* 1 if leaf is valid for xmpp-server source domain (UTF-8 or A-labels), with *how set; 0 if not or invalid; -1 on error. */
int fs_cert_match_domain(X509 *leaf, const char *domain, enum fs_name_id *how);

/* 1 if DNS-ID pattern (A-labels, "*" only as the whole left-most label of 3+) matches domain_alabel, else 0. */
int fs_name_match_dns(const char *pattern, const char *domain_alabel);

/* Display name of a match kind: "DNS-ID", "DNS-ID (wildcard)", "SRV-ID", "XmppAddr", "CN", or "". */
const char *fs_name_id_name(enum fs_name_id id);

#endif
