/* evidence.h: what was seen on each connection to a partner, as plain bounded data (no pointers). */
#ifndef FEDSCAN_EVIDENCE_H
#define FEDSCAN_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every string here is a fixed-size, NUL-terminated array: whatever a peer
 * sends is truncated to fit, so one connection's evidence has a fixed size
 * and the whole struct can be copied, stored and compared without owners.
 */
#define FS_EV_SHORT 64
#define FS_EV_TEXT 256
#define FS_EV_LONG 1024

/* Which connection of the probe plan (doc/protocol.md#connections). */
enum fs_conn_kind {
	FS_CONN_STARTTLS = 0,   /* C1: header, STARTTLS, TLS, EXTERNAL, dialback over TLS */
	FS_CONN_PLAIN,          /* C2: header, dialback without TLS */
	FS_CONN_DIRECT_TLS,     /* C3: TLS first (XEP-0368), then as C1 after TLS */
	FS_CONN_STARTTLS_NOCERT,/* C4: C1 without our client certificate */
	FS_CONN_DIALBACK_CERT,  /* C5: with our certificate, dialback over TLS and no SASL */
	FS_CONN_KIND_LAST
};

/* One stream header and the features that followed it. */
struct fs_stream_ev {
	bool header;                  /* a stream header arrived */
	bool version1;                /* it carried version 1.x */
	bool db_ns;                   /* xmlns:db='jabber:server:dialback' was declared */
	char version[FS_EV_SHORT];
	char id[FS_EV_TEXT];
	char from[FS_EV_TEXT];
	char to[FS_EV_TEXT];
	bool features;                /* <stream:features/> arrived */
	bool starttls;                /* <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> offered */
	bool starttls_required;       /* ... with <required/> */
	bool only_starttls;           /* starttls is the only feature (RFC 6120 §5.3.1) */
	bool dialback;                /* <dialback xmlns='urn:xmpp:features:dialback'/> */
	bool dialback_errors;         /* ... with <errors/> (XEP-0220 §2.4.2) */
	bool bidi;                    /* <bidi xmlns='urn:xmpp:features:bidi'/> */
	bool mechanisms;              /* a <mechanisms/> element was present (maybe empty) */
	char mechanism_list[FS_EV_TEXT];  /* space-separated SASL mechanisms */
	char other[FS_EV_TEXT];       /* other features, space-separated "ns#name" */
	bool not_server;              /* the header is not a jabber:server stream (jabber:client, wrong element) */
};

enum fs_starttls_ev { FS_STARTTLS_NOT_TRIED = 0, FS_STARTTLS_PROCEED, FS_STARTTLS_FAILURE, FS_STARTTLS_NO_ANSWER };

/* The server certificate (leaf) as seen in a handshake. */
struct fs_cert_ev {
	bool present;
	char subject[FS_EV_TEXT];
	char issuer[FS_EV_TEXT];
	char sans[FS_EV_LONG];        /* "DNS:a.example, SRV:_xmpp-server.example, XMPP:example" */
	char not_before[FS_EV_SHORT]; /* ISO 8601 UTC */
	char not_after[FS_EV_SHORT];
	int64_t not_after_epoch;
	char sha256[FS_EV_TEXT];      /* hex fingerprint with colons */
	char key[FS_EV_SHORT];        /* "RSA 2048", "EC prime256v1" */
	char sig_alg[FS_EV_SHORT];
	int chain_len;
	char spki_sha256[FS_EV_TEXT]; /* hex SHA-256 of the SubjectPublicKeyInfo: the "3 1 1" TLSA record to publish */
};

struct fs_tls_ev {
	bool attempted;
	bool ok;                      /* handshake completed */
	char error[FS_EV_TEXT];       /* why it did not */
	char version[FS_EV_SHORT];    /* "TLSv1.3" */
	char cipher[FS_EV_SHORT];
	char alpn[FS_EV_SHORT];
	bool cert_requested;          /* the server sent a CertificateRequest */
	bool cert_sent;               /* we answered it with our certificate */
	bool chain_ok;                /* chain verifies against the trust store */
	int verify_code;              /* X509_V_* */
	char verify_error[FS_EV_TEXT];
	bool name_ok;                 /* RFC 6125 match for the partner domain */
	char name_match[FS_EV_SHORT]; /* how it matched: "DNS-ID", "SRV-ID", "XmppAddr", "CN", "" */
	bool expired;
	long injected_bytes;          /* bytes after <proceed/> before the handshake, discarded */
	bool hidden;                  /* passive: the certificate and CertificateRequest were not visible (TLS 1.3, resumption) */
	bool dane_checked;            /* the chain was checked against the endpoint's usable TLSA records */
	bool dane_ok;                 /* ... and matched one (RFC 6698 §2.1 usages, via OpenSSL's DANE) */
	struct fs_cert_ev cert;
};

enum fs_sasl_result { FS_SASL_NOT_TRIED = 0, FS_SASL_SUCCESS, FS_SASL_FAILURE, FS_SASL_NO_ANSWER };

struct fs_sasl_ev {
	enum fs_sasl_result result;
	int tries;                    /* 2 when retried with an authzid */
	char condition[FS_EV_SHORT];
	char text[FS_EV_TEXT];
};

enum fs_db_ev {
	FS_DB_NOT_SENT = 0,
	FS_DB_VALID,                  /* <db:result type='valid'/> */
	FS_DB_INVALID,                /* type='invalid' */
	FS_DB_ERROR,                  /* type='error' with a condition (XEP-0220 §2.5) */
	FS_DB_STREAM_ERROR,           /* a stream error answered it */
	FS_DB_CLOSED,                 /* the peer closed without a word */
	FS_DB_TIMEOUT,                /* no answer within our wait */
};

struct fs_dialback_ev {
	enum fs_db_ev result;
	bool over_tls;
	char condition[FS_EV_SHORT];
	char text[FS_EV_TEXT];
	long wait_ms;                 /* from sending db:result to the answer */
	long grace_ms;                /* sink mode: we stopped waiting after this much silence (FS_DB_TIMEOUT) */
};

/*
 * The session proof (XEP-0199 ping after a successful authentication): whether a stanza crossed. The partner
 * answers on its own stream to our domain, which only --listen receives (fs_outbound_ev.answers); our stream shows
 * only the negative half: a stream error or a close after the ping.
 */
enum fs_proof_result {
	FS_PROOF_NOT_SENT = 0,
	FS_PROOF_ANSWERED,            /* an iq result or error with our id came back (a stanza crossed) */
	FS_PROOF_REFUSED,             /* a stream error answered the ping */
	FS_PROOF_CLOSED,              /* the partner closed after the ping */
	FS_PROOF_NO_ANSWER,           /* nothing on our stream within the wait (sink mode: the answer goes elsewhere) */
};

struct fs_proof_ev {
	enum fs_proof_result result;
	char method[FS_EV_SHORT];     /* the method it proves: "SASL over TLS", "TLS Dialback", "TCP Dialback" */
	char id[FS_EV_SHORT];         /* the iq id we sent */
	char answer[FS_EV_SHORT];     /* "result" or "error" (FS_PROOF_ANSWERED) */
	char condition[FS_EV_SHORT];  /* the stanza or stream error condition */
	char text[FS_EV_TEXT];
	long wait_ms;                 /* FS_PROOF_NO_ANSWER: how long we waited */
	long answer_ms;               /* from sending the ping to its answer, on our stream or the listener's,
	                                 rounded up to whole ms (0: no answer timed) */
	long sent_at;                 /* the engine's clock (fs_pev.now_ms) when the ping was sent; never recorded */
};

/* Everything one connection saw. */
struct fs_conn_ev {
	enum fs_conn_kind kind;
	bool attempted;
	bool connected;               /* TCP connected */
	char connect_error[FS_EV_TEXT];
	bool client_cert;             /* we offered a client certificate on this connection */
	struct fs_stream_ev pre;      /* before TLS (empty on direct TLS) */
	enum fs_starttls_ev starttls;
	struct fs_tls_ev tls;
	struct fs_stream_ev post;     /* after TLS */
	struct fs_sasl_ev sasl;
	struct fs_stream_ev post_sasl;/* after SASL success */
	struct fs_dialback_ev dialback;
	struct fs_proof_ev proof;     /* after an authentication that succeeded */
	char stream_error[FS_EV_SHORT];      /* last stream error condition */
	char stream_error_text[FS_EV_TEXT];
	char stream_error_stage[FS_EV_SHORT];/* "pre-tls", "post-tls", "post-sasl", "dialback" */
	char see_other_host[FS_EV_TEXT];
	char close_reason[FS_EV_TEXT];       /* how the connection ended, in words */
	char broke_at[FS_EV_SHORT];   /* silence, bad XML or a reset ended the probe at "STATE/STREAM" ("header/post-tls") */
	bool xml_error;               /* the peer's bytes broke an XML rule */
	bool timed_out;
	bool peer_closed;
	long bytes_in;
	long bytes_out;
	long duration_ms;
	bool post_hidden;             /* passive: what followed the TLS handshake was encrypted, not seen */
	char stream[FS_EV_TEXT];      /* the TCP stream: "LOCAL_ADDR:PORT > PEER_ADDR:PORT" (find it in a capture) */
	bool local_unreachable;       /* connect() failed at once because of this host (no route or source address
	                               * for the family): not the partner's doing (fedscan(1), JSON) */
};

/* What a validating resolver said of an answer (RFC 4035 §3.2.3 AD bit, RFC 4035 §3.2.2 CD bit). */
enum fs_dnssec {
	FS_DNSSEC_UNKNOWN = 0,    /* not asked, or the lookup failed for another reason */
	FS_DNSSEC_INSECURE,       /* answered without AD: unsigned, or a resolver that does not validate */
	FS_DNSSEC_SECURE,         /* answered with AD */
	FS_DNSSEC_BOGUS,          /* SERVFAIL, yet answered with CD set: validation failed */
};

/* What DANE (RFC 6698, RFC 7673) made of an endpoint's certificate. */
enum fs_dane_result {
	FS_DANE_NOT_CHECKED = 0,  /* no usable TLSA records, or no handshake */
	FS_DANE_VALID,            /* the chain matched a TLSA record */
	FS_DANE_MISMATCH,         /* it matched none */
};

/* DNSSEC and DANE facts of one endpoint (fedscan(1), DNSSEC AND DANE). */
struct fs_dane_ev {
	bool looked_up;               /* asked: every endpoint found through DNS (not --connect) */
	enum fs_dnssec srv;           /* the SRV answer that named it (unknown for a fallback endpoint) */
	enum fs_dnssec addr;          /* its host's A and AAAA answers, the weaker of the two */
	enum fs_dnssec tlsa;          /* the TLSA answer */
	char tlsa_name[FS_EV_TEXT];   /* _PORT._tcp.HOST */
	unsigned ntlsa;               /* TLSA records in the answer */
	char tlsa_records[FS_EV_LONG];/* "U S M HEX" per record, "; " between (those that fit) */
	bool usable;                  /* RFC 7673 §3: SRV (if any) and TLSA secure, with records: DANE applies */
	enum fs_dane_result result;
	char detail[FS_EV_TEXT];      /* the matched record, or why none matched */
	char error[FS_EV_TEXT];       /* lookups that failed, and DNSSEC validation failures, in words */
};

/* Where an endpoint came from. */
enum fs_ep_source { FS_SRC_SRV = 0, FS_SRC_SRV_TLS, FS_SRC_FALLBACK, FS_SRC_CONNECT, FS_SRC_PASSIVE };

struct fs_endpoint_ev {
	char host[FS_EV_TEXT];        /* SRV target or the domain */
	int port;
	char address[FS_EV_SHORT];    /* numeric IPv4 or IPv6 */
	enum fs_ep_source source;
	int priority, weight;
	bool direct_tls;
	struct fs_dane_ev dane;
	unsigned nconns;
	struct fs_conn_ev conns[FS_CONN_KIND_LAST];
};

/* What DNS said about the domain. */
struct fs_dns_ev {
	bool srv_found;               /* _xmpp-server._tcp answered with records */
	bool srv_tls_found;           /* _xmpps-server._tcp answered with records */
	bool srv_dot;                 /* _xmpp-server target "." : no service */
	bool failed;                  /* a lookup failed for another reason than "no such name/records" */
	enum fs_dnssec srv_dnssec;    /* the _xmpp-server._tcp answer's DNSSEC state */
	enum fs_dnssec srv_tls_dnssec;/* the _xmpps-server._tcp answer's */
	char error[FS_EV_TEXT];       /* resolution problems, in words */
};

/* What the partner did as an *initiating* server when it connected back to our listener (authoritative mode). */
struct fs_outbound_ev {
	unsigned connections;         /* inbound connections from the partner */
	unsigned refused;             /* inbound connections we refused (over the limit) */
	char address[FS_EV_SHORT];    /* where the first one came from */
	bool starttls;                /* it negotiated STARTTLS with us */
	bool tls_ok;
	char tls_version[FS_EV_SHORT];
	bool client_cert;             /* it presented a certificate in the handshake */
	bool cert_chain_ok;           /* ... that chains to our trust store */
	bool cert_name_ok;            /* ... and names the partner domain (RFC 6125) */
	char cert_subject[FS_EV_TEXT];
	char cert_error[FS_EV_TEXT];
	bool sasl_external;           /* it tried SASL EXTERNAL outward */
	bool dialback;                /* it sent its own db:result (dialback outward) */
	unsigned verify_requests;     /* db:verify received */
	unsigned verify_valid;        /* ... for keys this run issued */
	unsigned verify_invalid;      /* ... for anything else */
	char close_reason[FS_EV_TEXT];
	unsigned nanswers;            /* answers to our pings that came on the partner's stream */
	struct fs_proof_answer {
		char id[FS_EV_SHORT];
		char answer[FS_EV_SHORT];     /* "result" or "error" */
		char condition[FS_EV_SHORT];
		long at;                      /* the engine's clock (fs_pev.now_ms) when it arrived; never recorded */
	} answers[FS_CONN_KIND_LAST];
};

/* Limits on what one domain may accumulate. */
#define FS_MAX_ENDPOINTS 16

/* The run's own parameters that matter for reading the evidence. */
struct fs_probe_params {
	char from[FS_EV_TEXT];        /* our stream from */
	bool have_client_cert;
	bool authoritative;           /* we answer the connect-back (--listen) */
	long timeout_ms;
};

struct fs_domain_ev {
	char domain[FS_EV_TEXT];            /* U-labels: the XMPP domainpart, stream to and db:result (RFC 7622 §3.2) */
	char domain_ascii[FS_EV_TEXT];      /* A-labels: what DNS and TLS SNI carry (RFC 5891); = domain when ASCII */
	struct fs_probe_params params;
	struct fs_dns_ev dns;
	unsigned nendpoints;
	struct fs_endpoint_ev *endpoints;   /* owned; at most FS_MAX_ENDPOINTS */
	bool interrupted;             /* SIGINT/SIGTERM stopped the audit of this domain */
	struct fs_outbound_ev outbound;
	long duration_ms;
};

/* Contract spelling of an endpoint source ("srv", "srv-tls", "fallback", "connect", "passive": seen in a capture). */
const char *fs_ep_source_name(enum fs_ep_source s);
/* Contract name of a DNSSEC state: "secure", "insecure", "bogus", "unknown". */
const char *fs_dnssec_name(enum fs_dnssec st);
/* An endpoint's DANE outcome: "valid", "mismatch", "not-checked", "no-tlsa", "insecure", "bogus", "unknown". */
const char *fs_dane_status(const struct fs_dane_ev *ev);
/* Parse a DNSSEC state's name; unknown for anything else. */
enum fs_dnssec fs_dnssec_parse(const char *s);
/* Short name of a connection kind ("starttls", "plain", "direct-tls", "starttls-nocert", "dialback-cert"). */
const char *fs_conn_kind_name(enum fs_conn_kind k);
/* Name of a proof outcome ("not-sent", "answered", "refused", "closed", "no-answer"). */
const char *fs_proof_name(enum fs_proof_result r);
/* Name of a dialback outcome ("valid", "invalid", "error", "stream-error", "closed", "timeout", "not-sent"). */
const char *fs_db_ev_name(enum fs_db_ev r);

/* Add an endpoint (zeroed) to a domain; NULL when FS_MAX_ENDPOINTS is reached. */
struct fs_endpoint_ev *fs_domain_ev_add_endpoint(struct fs_domain_ev *d);
/* Free what a domain's evidence owns (not the struct itself); NULL is allowed. */
void fs_domain_ev_clear(struct fs_domain_ev *d);

/* Time each ping the listener saw answered (proof.answer_ms, from the engine's clock); at the end of an audit. */
void fs_domain_ev_time_proofs(struct fs_domain_ev *d);
/* Add one inbound connection's observations to a partner's outbound evidence. */
void fs_outbound_merge(struct fs_outbound_ev *dst, const struct fs_outbound_ev *src);

/* Copy a string into a fixed evidence field, truncating safely. */
void fs_ev_set(char *dst, size_t dstsize, const char *src);
/* Dialback answers that show the receiver tried to verify our key: valid, invalid, a failed connect-back (T6/D1). */
bool fs_ev_db_verified(const struct fs_dialback_ev *db);
/* Verification started but did not finish within the wait (silence, or Prosody's <connection-timeout/>). */
bool fs_ev_db_pending(const struct fs_dialback_ev *db);
/* Whether a space-separated evidence list contains word. */
bool fs_ev_has_word(const char *list, const char *word);
/* Append a word to a space-separated evidence field, if it fits. */
void fs_ev_append(char *dst, size_t dstsize, const char *word);
#define FS_EV_SET(field, src) fs_ev_set((field), sizeof(field), (src))
#define FS_EV_APPEND(field, word) fs_ev_append((field), sizeof(field), (word))

#endif
