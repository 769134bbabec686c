/* passive_int.h: the state the parts of the passive analysis share (passive.c, follow.c, tls_sniff.c, flows.c). */
#ifndef FEDSCAN_PCAP_PASSIVE_INT_H
#define FEDSCAN_PCAP_PASSIVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fedscan/evidence.h"
#include "fedscan/passive.h"
#include "fedscan/pcap_read.h"
#include "fedscan/xmlstream.h"
#include "pcap/tcp_reasm.h"

#define INI 0   /* the initiating server's direction (it opened the stream) */
#define RCV 1   /* the receiving server's */

enum dmode {
	M_SNIFF = 0,   /* next bytes decide: '<' XML, 0x16 TLS */
	M_XML,
	M_RESTART,     /* after <auth/>: a new stream header restarts the parser, anything else goes on */
	M_TLS,
	M_DONE,        /* nothing more to learn in this direction */
};

struct pstream;

struct pdir {
	struct pstream *s;
	int role;
	enum dmode mode;
	struct fs_xmlstream *xs;
	bool reset;            /* reset the parser before the next bytes */
	bool started;
	size_t xml_bytes;
	/* TLS records */
	uint8_t rh[5];
	unsigned rhlen;
	size_t rec_left;
	uint8_t rec_type;
	uint8_t alert[2];
	unsigned alertlen;
	uint8_t *hs;
	size_t hslen;
	bool hs_skip;          /* a message too large to keep: skip its bytes */
	size_t hs_skip_left;
	bool encrypted;        /* this direction's handshake is encrypted from here on */
	bool ccs;
	unsigned appdata;      /* encrypted records */
};

/* What the initiating server did on one stream. */
struct ini_ev {
	struct fs_stream_ev hdr;       /* its stream header (to, from, version) */
	bool client_ns;                /* it opened a jabber:client stream: not s2s */
	char sni[FS_EV_TEXT];
	char alpn[FS_EV_SHORT];
	char offered[FS_EV_SHORT];     /* the highest TLS version offered */
	bool client_cert_known;        /* the handshake showed whether it sent a certificate */
	char db_from[FS_EV_TEXT], db_to[FS_EV_TEXT];
	bool dialback;                 /* db:result in the clear */
	char sasl_mech[FS_EV_SHORT];   /* <auth mechanism=...> in the clear */
	unsigned verify_sent;          /* db:verify it sent (it verifies keys: a receiving server elsewhere) */
	bool xml_error;
	X509 *cert;                    /* its client certificate (TLS <= 1.2) */
};

struct pstream {
	struct fs_passive *p;
	int cdir;                      /* the reassembler's direction of the initiator (0 normally) */
	struct pdir d[2];
	struct fs_conn_ev ev;          /* the receiving server's evidence */
	struct ini_ev ini;
	bool kind_set;
	bool sasl_restart;             /* <success/> came: the next receiver header is post-SASL */
	bool learned;                  /* nothing more to learn: stop reading */
	bool judged;                   /* recorded while the connection was still open (then freed) */
	bool db_pending;
	int64_t db_sent_us;
	bool client_hello, server_hello, hrr, tls13;
	uint8_t sid[32];
	unsigned sidlen;
	bool resumed;
	X509 *leaf;
	STACK_OF(X509) *chain;
	int64_t first_us, last_us;
};

/* Per receiving domain: the evidence the inference reads, and which stream filled each connection slot. */
struct pdomain {
	struct fs_domain_ev ev;
	unsigned streams[FS_MAX_ENDPOINTS];
	int score[FS_MAX_ENDPOINTS][FS_CONN_KIND_LAST];
	int64_t first_us, last_us;
	struct pdomain *hnext;
};

struct pinit {
	char domain[FS_EV_TEXT];       /* "" when the stream never named it */
	char addresses[FS_EV_LONG];
	char to[FS_EV_LONG];
	char versions[FS_EV_TEXT];     /* TLS versions negotiated */
	char offered[FS_EV_SHORT];
	char cert_subject[FS_EV_TEXT];
	unsigned streams, starttls, direct_tls, without_tls, tls_ok, tls_failed;
	unsigned cert_sent, cert_not_sent, cert_hidden, cert_name_ok, cert_name_bad;
	unsigned dialback_clear, sasl_clear, external_clear, auth_hidden, verify_sent;
	struct pinit *hnext;
};

#define HASH_SIZE 4096U

struct fs_passive {
	struct fs_passive_opts o;
	struct fs_reasm *r;
	struct fs_pcap_stats pst;
	SSL_CTX *sslctx;               /* only to name cipher suites */
	SSL *ssl;
	X509_STORE *store;
	struct pdomain **doms;
	size_t ndoms, capdoms;
	struct pdomain *dhash[HASH_SIZE];
	struct pinit **inis;
	size_t ninis, capinis;
	struct pinit *ihash[HASH_SIZE];
	size_t nendpoints;
	unsigned live;
	int64_t last_us;
	/* counters */
	uint64_t streams, streams_skipped, streams_midstream, streams_not_s2s, streams_unknown;
	uint64_t endpoints_dropped, initiators_dropped, tls_streams, syn_only;
};

/* follow.c: the XMPP stream follower. */

/* The first bytes of an XMPP stream: optional BOM and blanks, then "<?xml" or "<stream". */
bool fs_pv_looks_xmpp(const uint8_t *b, size_t n);
/* Bytes of one direction of a stream, in order: sniffed, then read as XML or handed to the TLS sniffer. */
void fs_pv_dir_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n);

/* tls_sniff.c: the TLS records up to where they turn encrypted. */

/* TLS record bytes of one direction (mode M_TLS): handshake messages, alerts, the end of the handshake. */
void fs_pv_tls_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n);
/* Judge the receiving server's certificate (TLS <= 1.2) for domain, at the time of the capture. */
void fs_pv_judge_cert(struct fs_passive *p, struct pstream *s, const char *domain);

/* flows.c: the bookkeeping of receiving domains (endpoints) and initiating servers. */

/* A stream ended (or told all it could): its evidence goes to its domain's endpoint and its initiator. */
void fs_pv_record_stream(struct fs_passive *p, struct pstream *s, const struct fs_flow_info *fi,
    enum fs_flow_end why);
/* Free the domains and initiators. */
void fs_pv_flows_free(struct fs_passive *p);

#endif
