/* infer.h: a pure function from recorded evidence to a partner's effective TLS/SASL/Dialback, with the lines that decided it. */
#ifndef FEDSCAN_INFER_H
#define FEDSCAN_INFER_H

#include <stdbool.h>

#include "fedscan/evidence.h"
#include "fedscan/settings.h"

enum fs_conf { FS_CONF_NONE = 0, FS_CONF_LOW, FS_CONF_MEDIUM, FS_CONF_HIGH };

/* What kind of problem a problem line is: the policy decides on the code, never on the words. */
enum fs_problem_code {
	FS_P_OTHER = 0,
	FS_P_CERT,            /* no certificate, expired or expiring, name mismatch, not trusted */
	FS_P_TLS_OLD,         /* a protocol below TLS 1.2 (RFC 7525) */
	FS_P_INJECTED,        /* bytes after <proceed/> before the handshake */
	FS_P_STARTTLS_REFUSED,/* <failure/> to STARTTLS */
	FS_P_TLS_FAILED,      /* the handshake failed */
	FS_P_REDIRECT,        /* <see-other-host/> */
	FS_P_STREAM_ERROR,    /* a stream error that ended a connection early */
	FS_P_SASL_FAILED,     /* SASL EXTERNAL refused our certificate */
	FS_P_DISAGREE,        /* the endpoints disagree */
	FS_P_ENDPOINT_DOWN,   /* one endpoint did not answer while others did */
	FS_P_DNSSEC_BOGUS,    /* DNSSEC validation failed for an SRV, address or TLSA answer */
	FS_P_DANE_MISMATCH,   /* the certificate matches none of the usable TLSA records (RFC 7673) */
	FS_P_BROKE,           /* one endpoint broke (silence, bad XML, a reset) before any answer while others did not */
};

/*
 * Certificate expiry thresholds, in days (fedscan(1) --expiry-warn and --expiry-crit, fedscan.conf(5)
 * expiry-warn and expiry-crit): a certificate that expires within the warning days is a problem (the partner
 * is degraded); within the critical days the monitoring outputs (--nagios, --prometheus) say critical.
 * Fourteen days: an ACME certificate is renewed 30 days ahead, so two weeks left means renewal has failed for
 * two weeks; three days is the last working day or two before it breaks.
 */
#define FS_DEFAULT_EXPIRY_WARN_DAYS 14
#define FS_DEFAULT_EXPIRY_CRIT_DAYS 3

#define FS_INFER_LINES 24
#define FS_INFER_PROBLEMS 12

/* What an endpoint (or a whole domain) is, as far as the evidence shows. */
struct fs_inference {
	struct fs_setting s;
	enum fs_conf tls_conf, sasl_conf, dialback_conf;
	char tls_unknown[FS_EV_TEXT];      /* why TLS is Unknown, when it is */
	char sasl_unknown[FS_EV_TEXT];
	char dialback_unknown[FS_EV_TEXT];
	bool reachable;      /* some connection got a jabber:server stream header */
	bool connected;      /* some TCP connection was made */
	bool xmpp_error;     /* a peer answered but broke the protocol (XML, namespace) */
	bool from_refused;   /* rule D6: our FROM is not accepted; settings not decidable by dialback */
	bool cert_required;  /* rule S7: every method needs a certificate valid for FROM */
	bool tls_failed;     /* rule T9 */
	bool tls_used;       /* a handshake completed */
	bool dns_failed;     /* no endpoint, and DNS failed (not NXDOMAIN): an error, not unreachable */
	bool local_unreachable; /* endpoint: every connection failed because of this host (no IPv6 route ...);
	                         * domain: every endpoint did, so the audit could not be done from here */
	bool cert_problem;   /* chain, name or expiry problems: SASL over TLS with this partner fails */
	unsigned nlines;
	char lines[FS_INFER_LINES][FS_EV_TEXT];      /* evidence lines, rule id first: "T3: ..." */
	unsigned nproblems;
	char problems[FS_INFER_PROBLEMS][FS_EV_TEXT];/* things that will bite (certificate, TLS version, protocol) */
	enum fs_problem_code problem_codes[FS_INFER_PROBLEMS];
	char error[FS_EV_TEXT];                      /* why no setting could be inferred */
	char broke[FS_EV_TEXT];      /* every attempt broke before an answer: the first break, where and when */
	char refusal[FS_EV_TEXT];    /* with from_refused: "the partner refuses FROM by policy (its words)" */
	char listen_hint[FS_EV_TEXT];/* sink mode: what --listen would prove ("" when nothing) */
	unsigned nproofs;            /* one per connection that sent the session proof, in plan order */
	char proofs[FS_CONN_KIND_LAST][FS_EV_TEXT];  /* "SASL over TLS: ping answered (iq error service-unavailable)" */
	long proof_ms[FS_CONN_KIND_LAST];  /* per proof: ms from the ping to its answer (P1), 0 when not timed */
};

/*
 * Infer one endpoint's effective setting from its connections' evidence. now = current UNIX time; a certificate
 * expiring in fewer than warn_days days from now is a problem.
 */
void fs_infer_endpoint(const struct fs_domain_ev *d, unsigned ep, long long now, int warn_days,
    struct fs_inference *out);

/* Infer a domain's setting (expiry warning at FS_DEFAULT_EXPIRY_WARN_DAYS): the strictest over its reachable
 * endpoints, with a reason when they disagree. */
void fs_infer_domain(const struct fs_domain_ev *d, long long now, struct fs_inference *out);
/* The same from the endpoints' inferences already made (eps[i] for d->endpoints[i]): each endpoint inferred once. */
void fs_infer_domain_from(const struct fs_domain_ev *d, const struct fs_inference *eps, struct fs_inference *out);

/* Add a problem line to r (dropped when already there or when FS_INFER_PROBLEMS are). */
void fs_infer_add_problem(struct fs_inference *r, enum fs_problem_code code, const char *text);
/* The DNSSEC and DANE problems of endpoint ep (fedscan(1), DNSSEC AND DANE); where is "[ADDR]:PORT". */
void fs_infer_dane(const struct fs_domain_ev *d, const struct fs_endpoint_ev *ep, const char *where,
    struct fs_inference *r);

/* Contract-free name of a confidence ("high", "medium", "low", "none"). */
const char *fs_conf_name(enum fs_conf c);

#endif
