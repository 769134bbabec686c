/*
 * passive.c: audit partners from captured s2s traffic.
 *
 * Each reassembled TCP stream on an s2s port (5269 and --port), or whose first
 * bytes are an XMPP stream header, is read in both directions the way a probe
 * reads its own connection: the plaintext through fs_xmlstream and the probes'
 * stream vocabulary (probes/stream.c), the TLS records by hand up to where they
 * turn encrypted (ClientHello, ServerHello, and in TLS <= 1.2 the Certificate
 * and CertificateRequest messages). What the *receiving* server showed becomes
 * a struct fs_conn_ev of one of its endpoints, so that the same inference,
 * report and store as `check` judge it; what the *initiating* server did is
 * kept per initiator (the "initiators" array).
 *
 * Nothing here is an error of the capture: what was not captured, or was
 * encrypted, is simply not evidence (fs_conn_ev.post_hidden, fs_tls_ev.hidden).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "fedscan/cert.h"
#include "fedscan/evjson.h"
#include "fedscan/log.h"
#include "fedscan/passive.h"
#include "fedscan/xmlstream.h"
#include "xmpp/stream.h"

#define INI 0   /* the initiating server's direction (it opened the stream) */
#define RCV 1   /* the receiving server's */

#define MAX_HS_MSG (64U * 1024U)   /* a handshake message we keep to parse (certificate chains are smaller) */
#define MAX_CHAIN 10

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

/* ---- small helpers ---- */

static uint32_t
strhash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)(*s | 0x20)) * 16777619u;
	return h;
}

static bool
port_watched(const struct fs_passive *p, uint16_t port)
{
	unsigned i;

	if (port == FS_PASSIVE_PORT)
		return true;
	for (i = 0; i < p->o.nports; i++)
		if (p->o.ports[i] == port)
			return true;
	return false;
}

/* The first bytes of an XMPP stream: optional BOM and blanks, then "<?xml" or "<stream:stream" / "<stream". */
static bool
looks_xmpp(const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		i = 3;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	if (n - i >= 5 && memcmp(b + i, "<?xml", 5) == 0)
		return true;
	return n - i >= 7 && memcmp(b + i, "<stream", 7) == 0;
}

static const char *
tls_version_name(unsigned v)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	default: return "";
	}
}

static const char *
alert_name(unsigned d)
{
	switch (d) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return "alert";
	}
}

static uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t
rd24(const uint8_t *b)
{
	return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

/* A bounded reader over a handshake message. */
struct rd {
	const uint8_t *b;
	size_t n, off;
	bool bad;
};

static const uint8_t *
take(struct rd *r, size_t k)
{
	const uint8_t *q;

	if (r->bad || r->n - r->off < k) {
		r->bad = true;
		return NULL;
	}
	q = r->b + r->off;
	r->off += k;
	return q;
}

static unsigned
take8(struct rd *r)
{
	const uint8_t *q = take(r, 1);

	return q != NULL ? q[0] : 0;
}

static unsigned
take16(struct rd *r)
{
	const uint8_t *q = take(r, 2);

	return q != NULL ? rd16(q) : 0;
}

/* ---- TLS handshake messages ---- */

static void
client_hello(struct pstream *s, const uint8_t *b, size_t n)
{
	struct rd r = { b, n, 0, false }, e;
	unsigned legacy, type, len, best = 0, v, k, i;
	const uint8_t *q;

	s->client_hello = true;
	s->ev.tls.attempted = true;
	legacy = take16(&r);
	take(&r, 32);
	k = take8(&r);
	if ((q = take(&r, k)) != NULL && k <= sizeof(s->sid)) {
		memcpy(s->sid, q, k);
		s->sidlen = k;
	}
	take(&r, take16(&r));   /* cipher suites */
	take(&r, take8(&r));    /* compression */
	best = legacy;
	if (r.off + 2 <= r.n) {
		len = take16(&r);
		e.b = take(&r, len);
		e.n = len;
		e.off = 0;
		e.bad = e.b == NULL;
		while (!e.bad && e.off + 4 <= e.n) {
			type = take16(&e);
			len = take16(&e);
			if ((q = take(&e, len)) == NULL)
				break;
			if (type == 0 && len >= 5) {             /* server_name: list, type 0 host_name */
				unsigned nl = rd16(q + 3);
				if (q[2] == 0 && 5 + nl <= len) {
					char host[FS_EV_TEXT];
					if (nl >= sizeof(host))
						nl = sizeof(host) - 1;
					memcpy(host, q + 5, nl);
					host[nl] = '\0';
					FS_EV_SET(s->ini.sni, host);
				}
			} else if (type == 16 && len >= 2) {     /* ALPN: the protocols offered */
				for (i = 2; i < len && i + 1 + q[i] <= len; i += 1 + q[i]) {
					char name[FS_EV_SHORT];
					unsigned l = q[i] < sizeof(name) - 1 ? q[i] : (unsigned)sizeof(name) - 1;
					memcpy(name, q + i + 1, l);
					name[l] = '\0';
					FS_EV_APPEND(s->ini.alpn, name);
				}
			} else if (type == 43 && len >= 1) {     /* supported_versions */
				for (i = 1; i + 1 < len && i <= q[0]; i += 2) {
					v = rd16(q + i);
					if (v <= 0x0304 && v > best)  /* GREASE values are 0x?a?a: above 0x0304 */
						best = v;
				}
			}
		}
	}
	FS_EV_SET(s->ini.offered, tls_version_name(best));
}

static void
server_hello(struct pstream *s, const uint8_t *b, size_t n)
{
	static const uint8_t hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
		0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	struct rd r = { b, n, 0, false };
	const uint8_t *rnd, *q, *cs;
	unsigned version, k, type, len;
	size_t end;
	const SSL_CIPHER *c;

	version = take16(&r);
	rnd = take(&r, 32);
	k = take8(&r);
	q = take(&r, k);
	cs = take(&r, 2);
	take8(&r);
	if (r.bad)
		return;
	if (memcmp(rnd, hrr_random, 32) == 0) {
		/* HelloRetryRequest (RFC 8446 §4.1.3): the real ServerHello follows the second ClientHello. */
		s->hrr = true;
		return;
	}
	s->server_hello = true;
	/* TLS <= 1.2 resumption: the server echoes the session id the client offered (RFC 5246 §7.4.1.3). */
	if (k > 0 && k == s->sidlen && memcmp(q, s->sid, k) == 0)
		s->resumed = true;
	if (r.off + 2 <= r.n) {
		len = take16(&r);
		end = r.off + len <= r.n ? r.off + len : r.n;
		while (!r.bad && r.off + 4 <= end) {
			type = take16(&r);
			len = take16(&r);
			if ((q = take(&r, len)) == NULL)
				break;
			if (type == 43 && len == 2)
				version = rd16(q);
			else if (type == 16 && len >= 3 && q[2] + 3u <= len) {
				char name[FS_EV_SHORT];
				unsigned l = q[2] < sizeof(name) - 1 ? q[2] : (unsigned)sizeof(name) - 1;
				memcpy(name, q + 3, l);
				name[l] = '\0';
				FS_EV_SET(s->ev.tls.alpn, name);
			}
		}
	}
	FS_EV_SET(s->ev.tls.version, tls_version_name(version));
	if (s->ev.tls.version[0] == '\0') {
		char hex[16];
		snprintf(hex, sizeof(hex), "0x%04x", version);
		FS_EV_SET(s->ev.tls.version, hex);
	}
	if (s->p->ssl == NULL && s->p->sslctx == NULL && (s->p->sslctx = SSL_CTX_new(TLS_method())) != NULL)
		s->p->ssl = SSL_new(s->p->sslctx);
	if (s->p->ssl != NULL && (c = SSL_CIPHER_find(s->p->ssl, cs)) != NULL) {
		FS_EV_SET(s->ev.tls.cipher, SSL_CIPHER_get_name(c));
	} else {
		char hex[16];
		snprintf(hex, sizeof(hex), "0x%02X%02X", cs[0], cs[1]);
		FS_EV_SET(s->ev.tls.cipher, hex);
	}
	if (version == 0x0304) {
		/* TLS 1.3: everything after the ServerHello is encrypted, the certificates too. */
		s->tls13 = true;
		s->ev.tls.hidden = true;
		s->d[RCV].encrypted = true;
	}
}

/* A Certificate message (TLS <= 1.2): the leaf, and the rest as the chain sent. */
static void
certificate(struct pstream *s, int role, const uint8_t *b, size_t n)
{
	size_t off = 3, total, l;
	const unsigned char *q;
	X509 *x;
	unsigned count = 0;

	if (n < 3)
		return;
	total = rd24(b);
	if (total + 3 > n)
		total = n - 3;
	while (off + 3 <= total + 3 && count < MAX_CHAIN) {
		l = rd24(b + off);
		off += 3;
		if (off + l > total + 3)
			break;
		q = b + off;
		x = d2i_X509(NULL, &q, (long)l);
		off += l;
		count++;
		if (x == NULL)
			continue;
		if (role == INI) {
			if (s->ini.cert == NULL)
				s->ini.cert = x;
			else
				X509_free(x);
			continue;
		}
		if (s->leaf == NULL) {
			s->leaf = x;
		} else {
			if (s->chain == NULL)
				s->chain = sk_X509_new_null();
			if (s->chain == NULL || sk_X509_push(s->chain, x) == 0)
				X509_free(x);
		}
	}
	ERR_clear_error();
	if (role == INI) {
		s->ini.client_cert_known = true;
		s->ev.tls.cert_sent = total > 0;
		s->ev.client_cert = total > 0;
	}
}

static void
handshake_msg(struct pstream *s, int role, unsigned type, const uint8_t *b, size_t n)
{
	if (role == INI) {
		if (type == 1)
			client_hello(s, b, n);
		else if (type == 11)
			certificate(s, INI, b, n);
		else if (type == 16 && !s->ini.client_cert_known && !s->tls13) {
			/* ClientKeyExchange with no Certificate before it: no certificate was sent. */
			s->ini.client_cert_known = true;
		}
		return;
	}
	if (type == 2)
		server_hello(s, b, n);
	else if (type == 11)
		certificate(s, RCV, b, n);
	else if (type == 13)
		s->ev.tls.cert_requested = true;
}

/* Handshake bytes of one direction: cut into messages (type, 24-bit length) across records. */
static void
handshake_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n)
{
	size_t k, mlen;

	while (n > 0) {
		if (d->hs_skip) {
			k = n < d->hs_skip_left ? n : d->hs_skip_left;
			d->hs_skip_left -= k;
			b += k;
			n -= k;
			if (d->hs_skip_left == 0)
				d->hs_skip = false;
			continue;
		}
		if (d->hs == NULL && (d->hs = malloc(MAX_HS_MSG + 4)) == NULL)
			return;
		k = MAX_HS_MSG + 4 - d->hslen;
		if (k > n)
			k = n;
		memcpy(d->hs + d->hslen, b, k);
		d->hslen += k;
		b += k;
		n -= k;
		while (d->hslen >= 4) {
			mlen = rd24(d->hs + 1);
			if (mlen > MAX_HS_MSG) {
				/* Too large to keep: skip the message, then go on with what follows. */
				d->hs_skip = true;
				d->hs_skip_left = mlen + 4 - d->hslen;
				d->hslen = 0;
				break;
			}
			if (d->hslen < mlen + 4)
				break;
			if (!d->encrypted)
				handshake_msg(s, d->role, d->hs[0], d->hs + 4, mlen);
			memmove(d->hs, d->hs + 4 + mlen, d->hslen - 4 - mlen);
			d->hslen -= 4 + mlen;
		}
	}
}

/* Whether the handshake is over as far as a capture can tell. */
static void
tls_progress(struct pstream *s)
{
	struct pdir *ci = &s->d[INI], *sv = &s->d[RCV];

	if (s->ev.tls.ok || !s->server_hello)
		return;
	if ((s->tls13 && ci->appdata > 0 && sv->appdata > 0) || (!s->tls13 && ci->ccs && sv->ccs)) {
		s->ev.tls.ok = true;
		s->ev.post_hidden = true;
		if (!s->tls13 && (s->leaf == NULL || s->resumed))
			s->ev.tls.hidden = true;
		s->learned = true;
	}
}

static void
tls_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n)
{
	size_t k;
	unsigned len;

	while (n > 0 && d->mode == M_TLS) {
		if (d->rhlen < 5) {
			k = 5 - d->rhlen < n ? 5 - d->rhlen : n;
			memcpy(d->rh + d->rhlen, b, k);
			d->rhlen += k;
			b += k;
			n -= k;
			if (d->rhlen < 5)
				return;
			len = rd16(d->rh + 3);
			if (d->rh[0] < 20 || d->rh[0] > 24 || d->rh[1] != 3 || len > 16384 + 2048) {
				/* Not a TLS record: whatever it is, the stream is not TLS from here. */
				if (d->role == RCV && !s->ev.tls.ok && s->ev.tls.error[0] == '\0')
					FS_EV_SET(s->ev.tls.error, "the receiving server did not answer with TLS");
				d->mode = M_DONE;
				return;
			}
			d->rec_type = d->rh[0];
			d->rec_left = len;
			d->alertlen = 0;
			if (d->rec_type == 20) {
				d->ccs = true;
				if (!s->tls13)
					d->encrypted = true;
			} else if (d->rec_type == 23) {
				d->appdata++;
				tls_progress(s);
			}
			if (len == 0)
				d->rhlen = 0;
			continue;
		}
		k = d->rec_left < n ? d->rec_left : n;
		if (d->rec_type == 22 && !d->encrypted) {
			handshake_bytes(s, d, b, k);
		} else if (d->rec_type == 21 && !d->encrypted && !(s->tls13 && d->role == RCV)) {
			size_t i;
			for (i = 0; i < k && d->alertlen < 2; i++)
				d->alert[d->alertlen++] = b[i];
			if (d->alertlen == 2 && d->alert[0] == 2) {
				char buf[FS_EV_TEXT];
				snprintf(buf, sizeof(buf), "the %s server sent a fatal TLS alert: %s",
				    d->role == RCV ? "receiving" : "initiating", alert_name(d->alert[1]));
				if (!s->ev.tls.ok && s->ev.tls.error[0] == '\0')
					FS_EV_SET(s->ev.tls.error, buf);
			}
		}
		b += k;
		n -= k;
		d->rec_left -= k;
		if (d->rec_left == 0)
			d->rhlen = 0;
		if (d->rec_type == 20)
			tls_progress(s);
	}
}

/* ---- the XML side ---- */

static void
record_db_error(const struct fs_xml_elem *el, struct fs_dialback_ev *db)
{
	const struct fs_xml_elem *e = fs_xml_child(el, NULL, "error"), *c;

	FS_EV_SET(db->condition, "undefined-condition");
	if (e == NULL)
		return;
	for (c = e->children; c != NULL; c = c->next) {
		if (strcmp(c->ns, NS_STANZA_ERRORS) != 0)
			continue;
		if (strcmp(c->name, "text") == 0)
			FS_EV_SET(db->text, c->text);
		else
			FS_EV_SET(db->condition, c->name);
	}
}

static void
on_open(void *ud, const struct fs_xml_stream_header *hdr)
{
	struct pdir *d = ud;
	struct pstream *s = d->s;
	const char *why;
	unsigned i;

	if (d->role == INI) {
		if (!s->ini.hdr.header) {
			fs_stream_record_header(hdr, &s->ini.hdr);
			for (i = 0; i < hdr->nnsdecls; i++)
				if (hdr->nsdecls[i].prefix[0] == '\0' && strcmp(hdr->nsdecls[i].uri, NS_CLIENT) == 0)
					s->ini.client_ns = true;
		}
		return;
	}
	if (s->sasl_restart) {
		fs_stream_record_header(hdr, &s->ev.post_sasl);
		return;
	}
	if (s->ev.pre.header)
		return;
	if ((why = fs_stream_record_header(hdr, &s->ev.pre)) != NULL) {
		FS_EV_SET(s->ev.close_reason, why);
		s->learned = true;
	}
}

static void
on_close(void *ud)
{
	struct pdir *d = ud;

	if (d->role == RCV && d->s->ev.close_reason[0] == '\0')
		FS_EV_SET(d->s->ev.close_reason, "the receiving server closed the stream (</stream:stream>)");
}

static void
rcv_element(struct pstream *s, const struct fs_xml_elem *el)
{
	struct fs_conn_ev *ev = &s->ev;
	const char *type;

	if (fs_stream_parse_error(el, ev->stream_error, sizeof(ev->stream_error), ev->stream_error_text,
	    sizeof(ev->stream_error_text), ev->see_other_host, sizeof(ev->see_other_host))) {
		FS_EV_SET(ev->stream_error_stage, s->db_pending ? "dialback" : s->sasl_restart ? "post-sasl" :
		    "pre-tls");
		if (s->db_pending) {
			ev->dialback.result = FS_DB_STREAM_ERROR;
			FS_EV_SET(ev->dialback.condition, ev->stream_error);
			FS_EV_SET(ev->dialback.text, ev->stream_error_text);
			ev->dialback.wait_ms = (long)((s->last_us - s->db_sent_us) / 1000);
			s->db_pending = false;
		}
		s->learned = true;
	} else if (fs_xml_is(el, NS_STREAMS, "features")) {
		if (s->sasl_restart) {
			fs_stream_record_features(el, &ev->post_sasl);
			s->learned = true;
		} else if (!ev->pre.features) {
			fs_stream_record_features(el, &ev->pre);
		}
	} else if (fs_xml_is(el, NS_TLS, "proceed")) {
		ev->starttls = FS_STARTTLS_PROCEED;
		s->d[RCV].mode = M_SNIFF;
		fs_xmlstream_pause(s->d[RCV].xs);
	} else if (fs_xml_is(el, NS_TLS, "failure")) {
		ev->starttls = FS_STARTTLS_FAILURE;
		s->learned = true;
	} else if (fs_xml_is(el, NS_SASL, "success")) {
		ev->sasl.result = FS_SASL_SUCCESS;
		s->sasl_restart = true;
		s->d[RCV].reset = true;
		fs_xmlstream_pause(s->d[RCV].xs);
	} else if (fs_xml_is(el, NS_SASL, "failure")) {
		ev->sasl.result = FS_SASL_FAILURE;
		if (el->children != NULL) {
			const struct fs_xml_elem *c;
			for (c = el->children; c != NULL; c = c->next)
				if (strcmp(c->name, "text") == 0)
					FS_EV_SET(ev->sasl.text, c->text);
				else if (ev->sasl.condition[0] == '\0')
					FS_EV_SET(ev->sasl.condition, c->name);
		}
	} else if (fs_xml_is(el, NS_DIALBACK, "result") && (type = fs_xml_attr(el, "", "type")) != NULL) {
		if (strcmp(type, "valid") == 0)
			ev->dialback.result = FS_DB_VALID;
		else if (strcmp(type, "invalid") == 0)
			ev->dialback.result = FS_DB_INVALID;
		else {
			ev->dialback.result = FS_DB_ERROR;
			record_db_error(el, &ev->dialback);
		}
		if (s->db_pending)
			ev->dialback.wait_ms = (long)((s->last_us - s->db_sent_us) / 1000);
		s->db_pending = false;
		s->learned = true;
	}
}

static void
ini_element(struct pstream *s, const struct fs_xml_elem *el)
{
	struct fs_conn_ev *ev = &s->ev;
	const char *v;

	if (fs_xml_is(el, NS_TLS, "starttls")) {
		ev->starttls = FS_STARTTLS_NO_ANSWER;
		ev->kind = FS_CONN_STARTTLS;
		s->kind_set = true;
		s->d[INI].mode = M_SNIFF;
		fs_xmlstream_pause(s->d[INI].xs);
	} else if (fs_xml_is(el, NS_SASL, "auth")) {
		ev->sasl.tries++;
		ev->sasl.result = FS_SASL_NO_ANSWER;
		if ((v = fs_xml_attr(el, "", "mechanism")) != NULL)
			FS_EV_SET(s->ini.sasl_mech, v);
		s->d[INI].mode = M_RESTART;
		fs_xmlstream_pause(s->d[INI].xs);
	} else if (fs_xml_is(el, NS_DIALBACK, "result") && fs_xml_attr(el, "", "type") == NULL) {
		if (ev->dialback.result == FS_DB_NOT_SENT) {
			ev->dialback.result = FS_DB_TIMEOUT;   /* no answer yet */
			ev->dialback.over_tls = false;
			s->db_pending = true;
			s->db_sent_us = s->last_us;
		}
		s->ini.dialback = true;
		if ((v = fs_xml_attr(el, "", "from")) != NULL && s->ini.db_from[0] == '\0')
			FS_EV_SET(s->ini.db_from, v);
		if ((v = fs_xml_attr(el, "", "to")) != NULL && s->ini.db_to[0] == '\0')
			FS_EV_SET(s->ini.db_to, v);
	} else if (fs_xml_is(el, NS_DIALBACK, "verify") && fs_xml_attr(el, "", "type") == NULL) {
		s->ini.verify_sent++;
	}
}

static void
on_element(void *ud, const struct fs_xml_elem *el)
{
	struct pdir *d = ud;

	if (d->role == RCV)
		rcv_element(d->s, el);
	else
		ini_element(d->s, el);
}

static const struct fs_xml_callbacks xml_cbs = { on_open, on_element, on_close };

/* Feed plaintext to a direction's parser; returns the bytes used (fewer when it paused to switch modes). */
static size_t
xml_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n)
{
	size_t used = 0;

	if (d->xml_bytes + n > FS_PASSIVE_MAX_XML_BYTES) {
		/* Stanzas after authentication tell nothing about the settings: stop here. */
		d->mode = M_DONE;
		return n;
	}
	if (d->xs == NULL && fs_xmlstream_new(NULL, &xml_cbs, d, &d->xs) != 0) {
		d->mode = M_DONE;
		return n;
	}
	if (d->reset) {
		d->reset = false;
		if (fs_xmlstream_reset(d->xs) != 0) {
			d->mode = M_DONE;
			return n;
		}
	}
	if (fs_xmlstream_feed(d->xs, (const char *)b, n, &used) != 0) {
		const char *why = fs_xmlstream_error(d->xs);
		if (d->role == RCV) {
			s->ev.xml_error = true;
			if (s->ev.close_reason[0] == '\0') {
				char buf[FS_EV_TEXT];
				snprintf(buf, sizeof(buf), "the receiving server broke XML: %s", why != NULL ? why : "?");
				FS_EV_SET(s->ev.close_reason, buf);
			}
		} else {
			s->ini.xml_error = true;
		}
		d->mode = M_DONE;
		return n;
	}
	d->xml_bytes += used;
	if (used < n && d->mode == M_XML && !d->reset) {
		/* Paused without a mode change: go on feeding from the first unused byte. */
		return used;
	}
	return used;
}

static void
dir_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n)
{
	size_t used;

	while (n > 0 && !s->learned) {
		switch (d->mode) {
		case M_SNIFF:
			if (b[0] == 0x16) {
				d->mode = M_TLS;
				if (!d->started && d->role == INI) {
					s->ev.kind = FS_CONN_DIRECT_TLS;
					s->kind_set = true;
				}
				/* The XML parser has nothing more to do in this direction. */
				fs_xmlstream_free(d->xs);
				d->xs = NULL;
				if (d->role == INI && !s->ev.tls.attempted)
					s->ev.tls.attempted = true;
			} else {
				if (d->role == RCV && s->ev.starttls == FS_STARTTLS_PROCEED && !s->ev.tls.attempted)
					s->ev.tls.injected_bytes += (long)n;
				d->mode = M_XML;
			}
			d->started = true;
			continue;
		case M_RESTART:
			d->mode = M_XML;
			if (looks_xmpp(b, n))
				d->reset = true;
			continue;
		case M_XML:
			d->started = true;
			used = xml_bytes(s, d, b, n);
			if (used == 0 && d->mode == M_XML && !d->reset)
				return;         /* a pause with nothing used cannot happen twice; be safe */
			b += used;
			n -= used;
			break;
		case M_TLS:
			tls_bytes(s, d, b, n);
			return;
		case M_DONE:
			return;
		}
	}
}

/* ---- aggregation ---- */

static struct pdomain *
domain_get(struct fs_passive *p, const char *name)
{
	uint32_t h = strhash(name) & (HASH_SIZE - 1);
	struct pdomain *d, **v;

	for (d = p->dhash[h]; d != NULL; d = d->hnext)
		if (strcasecmp(d->ev.domain, name) == 0)
			return d;
	if (p->nendpoints >= FS_PASSIVE_MAX_ENDPOINTS)
		return NULL;
	if (p->ndoms == p->capdoms) {
		size_t cap = p->capdoms ? p->capdoms * 2 : 16;
		if ((v = realloc(p->doms, cap * sizeof(*v))) == NULL)
			return NULL;
		p->doms = v;
		p->capdoms = cap;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	FS_EV_SET(d->ev.domain, name);
	d->hnext = p->dhash[h];
	p->dhash[h] = d;
	p->doms[p->ndoms++] = d;
	return d;
}

static struct pinit *
init_get(struct fs_passive *p, const char *key)
{
	uint32_t h = strhash(key) & (HASH_SIZE - 1);
	struct pinit *x, **v;

	for (x = p->ihash[h]; x != NULL; x = x->hnext)
		if (strcasecmp(x->domain[0] ? x->domain : x->addresses, key) == 0)
			return x;
	if (p->ninis >= FS_PASSIVE_MAX_INITIATORS)
		return NULL;
	if (p->ninis == p->capinis) {
		size_t cap = p->capinis ? p->capinis * 2 : 16;
		if ((v = realloc(p->inis, cap * sizeof(*v))) == NULL)
			return NULL;
		p->inis = v;
		p->capinis = cap;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->hnext = p->ihash[h];
	p->ihash[h] = x;
	p->inis[p->ninis++] = x;
	return x;
}

/* How much a connection's evidence tells: the slot of each kind keeps the most telling stream. */
static int
score(const struct fs_conn_ev *c)
{
	int s = 0;

	if (c->pre.header)
		s += 1;
	if (c->pre.features)
		s += 2;
	if (c->dialback.result != FS_DB_NOT_SENT)
		s += c->dialback.result == FS_DB_TIMEOUT ? 4 : 8;
	if (c->sasl.result == FS_SASL_SUCCESS || c->sasl.result == FS_SASL_FAILURE)
		s += 4;
	if (c->tls.ok)
		s += 4;
	if (c->tls.cert.present)
		s += 2;
	if (c->stream_error[0] != '\0')
		s += 1;
	return s;
}

/* Judge the certificate seen in a TLS <= 1.2 handshake as the probes do, at the time of the capture. */
static void
judge_cert(struct fs_passive *p, struct pstream *s, const char *domain)
{
	struct fs_tls_ev *t = &s->ev.tls;
	X509_STORE_CTX *ctx;
	enum fs_name_id how = FS_NAMEID_NONE;
	time_t when = (time_t)(s->last_us / 1000000);
	int rc;

	if (s->leaf == NULL) {
		if (t->ok && !s->tls13)
			FS_EV_SET(t->verify_error, s->resumed ? "a resumed TLS session shows no certificate" :
			    "no certificate was seen in the handshake");
		else if (s->tls13)
			FS_EV_SET(t->verify_error, "TLS 1.3: the certificate travels encrypted");
		return;
	}
	fs_cert_describe(s->leaf, s->chain, &t->cert);
	t->name_ok = fs_cert_match_domain(s->leaf, domain, &how) == 1;
	FS_EV_SET(t->name_match, fs_name_id_name(how));
	t->expired = X509_cmp_time(X509_get0_notAfter(s->leaf), &when) < 0;
	if (p->store == NULL && (p->store = X509_STORE_new()) != NULL) {
		if (p->o.ca_file == NULL || X509_STORE_load_file(p->store, p->o.ca_file) != 1)
			X509_STORE_set_default_paths(p->store);
	}
	if (p->store != NULL && (ctx = X509_STORE_CTX_new()) != NULL) {
		if (X509_STORE_CTX_init(ctx, p->store, s->leaf, s->chain) == 1) {
			X509_STORE_CTX_set_time(ctx, 0, when);
			rc = X509_verify_cert(ctx);
			t->verify_code = X509_STORE_CTX_get_error(ctx);
			t->chain_ok = rc == 1;
			if (rc != 1)
				FS_EV_SET(t->verify_error, X509_verify_cert_error_string(t->verify_code));
		}
		X509_STORE_CTX_free(ctx);
	}
	ERR_clear_error();
}

static void
close_words(struct pstream *s, const struct fs_flow_info *fi, int rdir, enum fs_flow_end why)
{
	struct fs_conn_ev *ev = &s->ev;
	const char *w;

	if (ev->close_reason[0] != '\0')
		return;
	if (fi->rst[rdir])
		w = "the receiving server reset the connection";
	else if (fi->rst[!rdir])
		w = "the initiating server reset the connection";
	else if (fi->fin[rdir] && fi->fin[!rdir])
		w = "closed by both sides";
	else if (fi->fin[rdir])
		w = "the receiving server closed the connection";
	else if (fi->fin[!rdir])
		w = "the initiating server closed the connection";
	else if (why == FS_FLOW_IGNORED)
		w = "still open when it had shown all it could (what follows is encrypted, or stanzas)";
	else if (why == FS_FLOW_IDLE)
		w = "no packet for a long time in the capture";
	else if (why == FS_FLOW_EVICTED)
		w = "dropped: too many connections at once in the capture";
	else
		w = "still open when the capture ended";
	FS_EV_SET(ev->close_reason, w);
}

static void
record_initiator(struct fs_passive *p, struct pstream *s, const char *iaddr, const char *rdomain)
{
	struct ini_ev *ie = &s->ini;
	const struct fs_conn_ev *ev = &s->ev;
	const char *name = ie->hdr.from[0] ? ie->hdr.from : ie->db_from;
	char key[FS_EV_TEXT];
	struct pinit *x;

	snprintf(key, sizeof(key), "%s", name[0] ? name : iaddr);
	if ((x = init_get(p, key)) == NULL) {
		p->initiators_dropped++;
		return;
	}
	if (x->streams == 0) {
		if (name[0] != '\0')
			FS_EV_SET(x->domain, name);
	}
	if (!fs_ev_has_word(x->addresses, iaddr))
		FS_EV_APPEND(x->addresses, iaddr);
	if (!fs_ev_has_word(x->to, rdomain))
		FS_EV_APPEND(x->to, rdomain);
	x->streams++;
	if (ev->kind == FS_CONN_DIRECT_TLS)
		x->direct_tls++;
	else if (ev->starttls != FS_STARTTLS_NOT_TRIED)
		x->starttls++;
	if (!ev->tls.attempted)
		x->without_tls++;
	if (ev->tls.ok) {
		x->tls_ok++;
		if (!fs_ev_has_word(x->versions, ev->tls.version))
			FS_EV_APPEND(x->versions, ev->tls.version);
		x->auth_hidden++;
	} else if (ev->tls.attempted) {
		x->tls_failed++;
	}
	if (ie->offered[0] != '\0')
		FS_EV_SET(x->offered, ie->offered);
	if (ev->tls.attempted) {
		if (s->tls13)
			x->cert_hidden++;
		else if (ev->tls.cert_sent)
			x->cert_sent++;
		else if (ie->client_cert_known || s->server_hello)
			x->cert_not_sent++;
		else
			x->cert_hidden++;
	}
	if (ie->cert != NULL) {
		char buf[FS_EV_TEXT];
		X509_NAME_oneline(X509_get_subject_name(ie->cert), buf, sizeof(buf));
		FS_EV_SET(x->cert_subject, buf);
		if (name[0] != '\0' && fs_cert_match_domain(ie->cert, name, NULL) == 1)
			x->cert_name_ok++;
		else
			x->cert_name_bad++;
		ERR_clear_error();
	}
	if (ie->dialback)
		x->dialback_clear++;
	if (ie->sasl_mech[0] != '\0') {
		x->sasl_clear++;
		if (strcmp(ie->sasl_mech, "EXTERNAL") == 0)
			x->external_clear++;
	}
	x->verify_sent += ie->verify_sent;
}

static void
record_stream(struct fs_passive *p, struct pstream *s, const struct fs_flow_info *fi, enum fs_flow_end why)
{
	struct fs_conn_ev *ev = &s->ev;
	const struct fs_flow_addr *ra = s->cdir == 0 ? &fi->server : &fi->client;
	const struct fs_flow_addr *ia = s->cdir == 0 ? &fi->client : &fi->server;
	int rdir = !s->cdir;
	char raddr[FS_EV_SHORT], iaddr[FS_EV_SHORT], name[FS_EV_TEXT];
	const char *dom;
	struct pdomain *d;
	struct fs_endpoint_ev *ep = NULL;
	unsigned i;
	int sc;

	fs_flow_addr_str(ra, raddr, sizeof(raddr));
	fs_flow_addr_str(ia, iaddr, sizeof(iaddr));
	/* The receiving domain: what it called itself, else what it was asked for, else its address. */
	dom = ev->pre.from[0] ? ev->pre.from : s->ini.hdr.to[0] ? s->ini.hdr.to : s->ini.sni[0] ? s->ini.sni :
	    s->ini.db_to[0] ? s->ini.db_to : raddr;
	FS_EV_SET(name, dom);

	ev->attempted = true;
	ev->connected = fi->saw_synack || fi->bytes[rdir] > 0;
	if (!ev->connected)
		FS_EV_SET(ev->connect_error, fi->rst[rdir] ? "refused (RST) in the capture" :
		    "no answer to the SYN in the capture");
	if (!s->kind_set)
		ev->kind = FS_CONN_PLAIN;
	ev->peer_closed = fi->fin[rdir] || fi->rst[rdir];
	ev->bytes_in = (long)fi->bytes[rdir];
	ev->bytes_out = (long)fi->bytes[s->cdir];
	ev->duration_ms = (long)((fi->last_us - fi->first_us) / 1000);
	snprintf(ev->stream, sizeof(ev->stream), "%s%s%s:%u > %s%s%s:%u",
	    ia->family == 6 ? "[" : "", iaddr, ia->family == 6 ? "]" : "", ia->port,
	    ra->family == 6 ? "[" : "", raddr, ra->family == 6 ? "]" : "", ra->port);
	if (s->db_pending && ev->peer_closed)
		ev->dialback.result = FS_DB_CLOSED;
	if (s->db_pending)
		ev->dialback.wait_ms = (long)((fi->last_us - s->db_sent_us) / 1000);
	if (ev->tls.attempted && !ev->tls.ok && ev->tls.error[0] == '\0')
		FS_EV_SET(ev->tls.error, s->server_hello ? "the connection ended during the TLS handshake" :
		    "no ServerHello was seen");
	close_words(s, fi, rdir, why);
	judge_cert(p, s, name);
	if (ev->tls.ok)
		p->tls_streams++;

	if ((d = domain_get(p, name)) == NULL) {
		p->endpoints_dropped++;
		goto initiator;
	}
	for (i = 0; i < d->ev.nendpoints; i++)
		if (strcmp(d->ev.endpoints[i].address, raddr) == 0 && d->ev.endpoints[i].port == ra->port) {
			ep = &d->ev.endpoints[i];
			break;
		}
	if (ep == NULL) {
		if (p->nendpoints >= FS_PASSIVE_MAX_ENDPOINTS || (ep = fs_domain_ev_add_endpoint(&d->ev)) == NULL) {
			p->endpoints_dropped++;
			goto initiator;
		}
		p->nendpoints++;
		i = d->ev.nendpoints - 1;
		FS_EV_SET(ep->host, s->ini.sni[0] ? s->ini.sni : name);
		ep->port = ra->port;
		FS_EV_SET(ep->address, raddr);
		ep->source = FS_SRC_PASSIVE;
		d->first_us = fi->first_us;
	}
	if (d->first_us == 0 || fi->first_us < d->first_us)
		d->first_us = fi->first_us;
	if (fi->last_us > d->last_us)
		d->last_us = fi->last_us;
	d->streams[i]++;
	if (ev->kind == FS_CONN_DIRECT_TLS)
		ep->direct_tls = true;
	sc = score(ev) + 1;   /* + 1: any stream beats an empty slot */
	if (sc > d->score[i][ev->kind]) {
		d->score[i][ev->kind] = sc;
		ep->conns[ev->kind] = *ev;
		if (ep->nconns <= (unsigned)ev->kind)
			ep->nconns = (unsigned)ev->kind + 1;
		if (ev->client_cert)
			d->ev.params.have_client_cert = true;
	}
initiator:
	if (ev->connected)
		record_initiator(p, s, iaddr, name);
}

static void
stream_free(struct fs_passive *p, struct pstream *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < 2; i++) {
		fs_xmlstream_free(s->d[i].xs);
		free(s->d[i].hs);
	}
	X509_free(s->leaf);
	sk_X509_pop_free(s->chain, X509_free);
	X509_free(s->ini.cert);
	p->live--;
	free(s);
}

/* ---- reassembler callbacks ---- */

static int
on_data(void *ud, void **ctxp, const struct fs_flow_info *fi, int dir, const uint8_t *b, size_t n, uint64_t gap,
    int64_t ts)
{
	struct fs_passive *p = ud;
	struct pstream *s = *ctxp;
	struct pdir *d;
	bool watched;

	if (ts > p->last_us)
		p->last_us = ts;
	if (s == NULL) {
		watched = port_watched(p, fi->server.port) || port_watched(p, fi->client.port);
		if (gap > 0 || fi->midstream[dir]) {
			/* The start of this direction was not captured: its XML cannot be followed. */
			if (watched)
				p->streams_midstream++;
			return FS_REASM_IGNORE;
		}
		if (!watched && !looks_xmpp(b, n))
			return FS_REASM_IGNORE;
		if (p->live >= FS_PASSIVE_MAX_LIVE) {
			p->streams_skipped++;
			return FS_REASM_IGNORE;
		}
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return FS_REASM_IGNORE;
		p->live++;
		p->streams++;
		s->p = p;
		s->first_us = ts;
		/* Without the SYN, the side on the s2s port is the receiver. */
		s->cdir = (!fi->saw_syn && port_watched(p, fi->client.port) && !port_watched(p, fi->server.port)) ? 1 : 0;
		s->d[INI].s = s->d[RCV].s = s;
		s->d[INI].role = INI;
		s->d[RCV].role = RCV;
		*ctxp = s;
	}
	s->last_us = ts;
	d = &s->d[dir == s->cdir ? INI : RCV];
	if (gap > 0) {
		/* A hole: XML and TLS records cannot be followed past it. */
		if (d->mode != M_DONE && d->role == RCV && s->ev.close_reason[0] == '\0' && !s->ev.tls.ok &&
		    d->mode != M_TLS)
			FS_EV_SET(s->ev.close_reason, "bytes missing from the capture");
		d->mode = M_DONE;
	} else {
		dir_bytes(s, d, b, n);
	}
	if (s->ini.client_ns) {
		p->streams_not_s2s++;
		return FS_REASM_IGNORE;
	}
	if (s->learned || (s->d[INI].mode == M_DONE && s->d[RCV].mode == M_DONE)) {
		/*
		 * It has told what it can: judge it now and let the reassembler
		 * forget it, so that long-lived s2s connections (hours, thousands
		 * at once) cost nothing until they end.
		 */
		s->judged = true;
		return FS_REASM_IGNORE;
	}
	return FS_REASM_MORE;
}

static void
on_flow_close(void *ud, void *ctx, const struct fs_flow_info *fi, enum fs_flow_end why)
{
	struct fs_passive *p = ud;
	struct pstream *s = ctx;

	if (fi->last_us > p->last_us)
		p->last_us = fi->last_us;
	if (s == NULL) {
		/* A connection attempt to an s2s port that never carried a byte: what happened is still evidence. */
		if (why != FS_FLOW_IGNORED && fi->saw_syn && fi->bytes[0] == 0 && fi->bytes[1] == 0 &&
		    port_watched(p, fi->server.port)) {
			if ((s = calloc(1, sizeof(*s))) == NULL)
				return;
			p->live++;
			p->syn_only++;
			s->p = p;
			s->d[INI].s = s->d[RCV].s = s;
			s->d[RCV].role = RCV;
			s->kind_set = true;
			s->ev.kind = FS_CONN_STARTTLS;
			record_stream(p, s, fi, why);
			stream_free(p, s);
		}
		return;
	}
	if (why == FS_FLOW_IGNORED) {
		if (s->judged)
			record_stream(p, s, fi, why);
		stream_free(p, s);
		return;
	}
	if (!s->ev.pre.header && !s->client_hello && !s->ini.hdr.header && !port_watched(p, fi->server.port) &&
	    !port_watched(p, fi->client.port)) {
		p->streams_unknown++;
	} else {
		record_stream(p, s, fi, why);
	}
	stream_free(p, s);
}

/* ---- the public side ---- */

int
fs_passive_new(const struct fs_passive_opts *o, struct fs_passive **out, char *err, size_t errlen)
{
	struct fs_passive *p;
	struct fs_reasm_cb cb = { on_data, on_flow_close };

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (o != NULL)
		p->o = *o;
	if ((p->r = fs_reasm_new(&p->o.limits, &cb, p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/*
	 * The trust store (for the certificates of TLS <= 1.2 handshakes) and an
	 * SSL object (only to name cipher suites as the probes' OpenSSL does) are
	 * made when first needed; a bad --ca-file is an error at once.
	 */
	if (p->o.ca_file != NULL) {
		if ((p->store = X509_STORE_new()) == NULL || X509_STORE_load_file(p->store, p->o.ca_file) != 1) {
			snprintf(err, errlen, "--ca-file %s: cannot load CA certificates", p->o.ca_file);
			goto fail;
		}
	}
	ERR_clear_error();
	*out = p;
	return 0;
fail:
	ERR_clear_error();
	fs_passive_free(p);
	return -1;
}

int
fs_passive_pcap(struct fs_passive *p, pcap_t *h, char *err, size_t errlen)
{
	return fs_pcap_feed(h, p->r, &p->pst, err, errlen);
}

void
fs_passive_segment(struct fs_passive *p, const struct fs_tcp_seg *seg)
{
	fs_reasm_segment(p->r, seg);
}

void
fs_passive_finish(struct fs_passive *p)
{
	fs_reasm_finish(p->r);
}

size_t
fs_passive_ndomains(const struct fs_passive *p)
{
	return p->ndoms;
}

const struct fs_domain_ev *
fs_passive_domain(const struct fs_passive *p, size_t i)
{
	struct pdomain *d;

	if (i >= p->ndoms)
		return NULL;
	d = p->doms[i];
	d->ev.duration_ms = (long)((d->last_us - d->first_us) / 1000);
	return &d->ev;
}

long long
fs_passive_time(const struct fs_passive *p)
{
	return p->last_us > 0 ? (long long)(p->last_us / 1000000) : (long long)time(NULL);
}

static json_t *
words_json(const char *list)
{
	json_t *a = json_array();
	char buf[FS_EV_LONG], *w, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		json_array_append_new(a, fs_json_string_lossy(w));
	return a;
}

static json_t *
initiator_json(const struct pinit *x)
{
	json_t *o, *reasons = json_array(), *tlsreq, *saslreq;
	unsigned tls_streams = x->streams - x->without_tls;

	/* TLS Required breaks an initiator that authenticated (or tried to) without TLS. */
	if (x->without_tls > 0) {
		tlsreq = json_true();
		json_array_append_new(reasons, json_string("it connected without TLS: with TLS Required those streams "
		    "are refused"));
	} else {
		tlsreq = json_false();
	}
	/* SASL Required (EXTERNAL) needs TLS and a client certificate valid for its domain. */
	if (x->without_tls > 0 || x->cert_not_sent > 0) {
		saslreq = json_true();
		json_array_append_new(reasons, json_string(x->cert_not_sent > 0 ?
		    "it sent no client certificate in a TLS handshake: SASL EXTERNAL is impossible there" :
		    "it connected without TLS: no SASL EXTERNAL"));
	} else if (x->cert_name_bad > 0) {
		saslreq = json_true();
		json_array_append_new(reasons, json_string("its client certificate does not name its domain: SASL "
		    "EXTERNAL fails"));
	} else if (x->cert_hidden > 0 || tls_streams == 0) {
		saslreq = json_null();
		json_array_append_new(reasons, json_string(tls_streams == 0 ? "no TLS stream was seen" :
		    "TLS 1.3 hides whether it sends a client certificate; use --capture on a check, or a key log"));
	} else {
		saslreq = json_false();
		json_array_append_new(reasons, json_string("it sends a client certificate that names its domain; "
		    "whether it uses SASL EXTERNAL is encrypted"));
	}
	if (x->dialback_clear > 0)
		json_array_append_new(reasons, json_string("it used dialback without TLS (TCP Dialback)"));
	o = json_pack("{s:o, s:o, s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:{s:i, s:i, s:i}, s:o, s:i, s:i, "
	    "s:i, s:i, s:i, s:{s:o, s:o}, s:o}",
	    "domain", x->domain[0] ? fs_json_string_lossy(x->domain) : json_null(),
	    "addresses", words_json(x->addresses),
	    "to", words_json(x->to),
	    "streams", (int)x->streams, "starttls", (int)x->starttls, "direct_tls", (int)x->direct_tls,
	    "without_tls", (int)x->without_tls, "tls_ok", (int)x->tls_ok, "tls_failed", (int)x->tls_failed,
	    "tls_versions", words_json(x->versions),
	    "tls_offered", fs_json_string_lossy(x->offered),
	    "client_cert", "sent", (int)x->cert_sent, "not_sent", (int)x->cert_not_sent,
	    "not_visible", (int)x->cert_hidden,
	    "cert_subject", fs_json_string_lossy(x->cert_subject),
	    "dialback", (int)x->dialback_clear, "sasl", (int)x->sasl_clear, "sasl_external", (int)x->external_clear,
	    "auth_encrypted", (int)x->auth_hidden, "verify_requests", (int)x->verify_sent,
	    "would_break", "tls_required", tlsreq, "sasl_required", saslreq,
	    "reasons", reasons);
	return o;
}

json_t *
fs_passive_initiators_json(const struct fs_passive *p)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < p->ninis; i++)
		json_array_append_new(a, initiator_json(p->inis[i]));
	return a;
}

json_t *
fs_passive_stats_json(const struct fs_passive *p)
{
	const struct fs_reasm_stats *r = fs_reasm_stats(p->r);
	const struct fs_pcap_stats *c = &p->pst;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "packets", (json_int_t)c->packets, "bytes", (json_int_t)c->bytes, "tcp_segments", (json_int_t)c->tcp,
	    "non_ip", (json_int_t)c->non_ip, "non_tcp", (json_int_t)c->non_tcp,
	    "ip_fragments", (json_int_t)c->ip_fragments, "malformed", (json_int_t)c->malformed,
	    "flows", (json_int_t)r->flows, "streams", (json_int_t)p->streams,
	    "tls_streams", (json_int_t)p->tls_streams, "syn_only", (json_int_t)p->syn_only,
	    "streams_midstream", (json_int_t)p->streams_midstream, "streams_skipped", (json_int_t)p->streams_skipped,
	    "streams_not_s2s", (json_int_t)p->streams_not_s2s, "streams_unknown", (json_int_t)p->streams_unknown,
	    "endpoints_dropped", (json_int_t)p->endpoints_dropped,
	    "initiators_dropped", (json_int_t)p->initiators_dropped,
	    "reassembly",
	    "segments", (json_int_t)r->segments, "flows_evicted", (json_int_t)r->flows_evicted,
	    "flows_idle", (json_int_t)r->flows_idle, "flows_midstream", (json_int_t)r->flows_midstream,
	    "flows_reused", (json_int_t)r->flows_reused, "max_concurrent", (json_int_t)r->max_concurrent,
	    "out_of_order", (json_int_t)r->out_of_order, "retransmitted_bytes", (json_int_t)r->retransmitted_bytes,
	    "overlap_bytes", (json_int_t)r->overlap_bytes, "overlap_conflicts", (json_int_t)r->overlap_conflicts,
	    "missing_bytes", (json_int_t)r->missing_bytes, "truncated_bytes", (json_int_t)r->truncated_bytes,
	    "forced_gaps", (json_int_t)r->forced_gaps, "max_buffered_bytes", (json_int_t)r->max_buffered_bytes,
	    "limits",
	    "max_flows", (json_int_t)(p->o.limits.max_flows ? p->o.limits.max_flows : FS_REASM_MAX_FLOWS),
	    "max_buffer_per_direction",
	    (json_int_t)(p->o.limits.max_dir_buf ? p->o.limits.max_dir_buf : FS_REASM_MAX_DIR_BUF),
	    "max_buffer_total",
	    (json_int_t)(p->o.limits.max_total_buf ? p->o.limits.max_total_buf : FS_REASM_MAX_TOTAL_BUF),
	    "idle_timeout_s",
	    (json_int_t)(p->o.limits.idle_timeout_s > 0 ? p->o.limits.idle_timeout_s : FS_REASM_IDLE_TIMEOUT_S),
	    "max_streams_at_once", (json_int_t)FS_PASSIVE_MAX_LIVE, "max_xml_bytes", (json_int_t)FS_PASSIVE_MAX_XML_BYTES,
	    "max_endpoints", (json_int_t)FS_PASSIVE_MAX_ENDPOINTS,
	    "max_initiators", (json_int_t)FS_PASSIVE_MAX_INITIATORS);
}

static long long
geti(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
put_words(FILE *f, const json_t *a, const char *none)
{
	size_t i;
	json_t *v;

	if (json_array_size(a) == 0) {
		fputs(none, f);
		return;
	}
	json_array_foreach(a, i, v) {
		if (i > 0)
			fputs(", ", f);
		fs_fputs_safe(json_string_value(v), f);
	}
}

static const char *
yesno(const json_t *v)
{
	return json_is_true(v) ? "yes" : json_is_false(v) ? "no" : "unknown";
}

void
fs_passive_text_initiators(FILE *f, const json_t *a)
{
	size_t i, k;
	json_t *x, *cc, *wb, *r;

	if (json_array_size(a) == 0)
		return;
	fputs("\nInitiating servers (what each did when it connected):\n", f);
	json_array_foreach(a, i, x) {
		fputs("  ", f);
		if (json_is_string(json_object_get(x, "domain")))
			fs_fputs_safe(json_string_value(json_object_get(x, "domain")), f);
		else
			fputs("(unnamed)", f);
		fputs(" from ", f);
		put_words(f, json_object_get(x, "addresses"), "?");
		fprintf(f, ": %lld stream%s to ", geti(x, "streams"), geti(x, "streams") == 1 ? "" : "s");
		put_words(f, json_object_get(x, "to"), "?");
		fprintf(f, "\n    STARTTLS %lld, direct TLS %lld, without TLS %lld", geti(x, "starttls"),
		    geti(x, "direct_tls"), geti(x, "without_tls"));
		if (json_array_size(json_object_get(x, "tls_versions")) > 0) {
			fputs(" (", f);
			put_words(f, json_object_get(x, "tls_versions"), "");
			fputs(")", f);
		}
		cc = json_object_get(x, "client_cert");
		fprintf(f, "; client certificate sent %lld, not sent %lld, not visible %lld; dialback in the clear %lld\n",
		    geti(cc, "sent"), geti(cc, "not_sent"), geti(cc, "not_visible"), geti(x, "dialback"));
		wb = json_object_get(x, "would_break");
		fprintf(f, "    would break with TLS Required: %s; with SASL Required: %s\n",
		    yesno(json_object_get(wb, "tls_required")), yesno(json_object_get(wb, "sasl_required")));
		json_array_foreach(json_object_get(x, "reasons"), k, r) {
			fputs("    - ", f);
			fs_fputs_safe(json_string_value(r), f);
			fputc('\n', f);
		}
	}
}

void
fs_passive_text_stats(FILE *f, const json_t *st)
{
	const json_t *r = json_object_get(st, "reassembly");

	fprintf(f, "\nCapture: %lld packets (%lld bytes), %lld TCP flows, %lld s2s streams analysed (%lld with TLS)\n",
	    geti(st, "packets"), geti(st, "bytes"), geti(st, "flows"), geti(st, "streams"), geti(st, "tls_streams"));
	if (geti(st, "streams_midstream") + geti(st, "streams_skipped") + geti(st, "endpoints_dropped") +
	    geti(st, "malformed") > 0)
		fprintf(f, "  not analysed: %lld already running when the capture started, %lld over the limit of "
		    "streams at once, %lld over the limit of endpoints; %lld malformed packets\n",
		    geti(st, "streams_midstream"), geti(st, "streams_skipped"), geti(st, "endpoints_dropped"),
		    geti(st, "malformed"));
	if (geti(r, "missing_bytes") + geti(r, "truncated_bytes") + geti(r, "overlap_conflicts") +
	    geti(r, "flows_evicted") > 0)
		fprintf(f, "  reassembly: %lld bytes missing, %lld cut by the snapshot length, %lld retransmitted, "
		    "%lld overlapping (%lld differing), %lld flows evicted\n",
		    geti(r, "missing_bytes"), geti(r, "truncated_bytes"), geti(r, "retransmitted_bytes"),
		    geti(r, "overlap_bytes"), geti(r, "overlap_conflicts"), geti(r, "flows_evicted"));
}

void
fs_passive_free(struct fs_passive *p)
{
	size_t i;

	if (p == NULL)
		return;
	fs_reasm_free(p->r);   /* ends the open flows: their streams are recorded, then freed */
	for (i = 0; i < p->ndoms; i++) {
		fs_domain_ev_clear(&p->doms[i]->ev);
		free(p->doms[i]);
	}
	free(p->doms);
	for (i = 0; i < p->ninis; i++)
		free(p->inis[i]);
	free(p->inis);
	SSL_free(p->ssl);
	SSL_CTX_free(p->sslctx);
	X509_STORE_free(p->store);
	free(p);
}
