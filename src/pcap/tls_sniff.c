/*
 * tls_sniff.c: the TLS records of a captured s2s stream, read by hand up to where
 * they turn encrypted: ClientHello, ServerHello (RFC 8446 §4.1), and in TLS <= 1.2
 * the Certificate and CertificateRequest messages (RFC 5246 §7.4), alerts, and
 * whether the handshake ended; then the certificate seen, judged as the probes do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "fedscan/cert.h"
#include "pcap/passive_int.h"

#define MAX_HS_MSG (64U * 1024U)   /* a handshake message we keep to parse (certificate chains are smaller) */
#define MAX_CHAIN 10

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

void
fs_pv_tls_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n)
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


/* Judge the certificate seen in a TLS <= 1.2 handshake as the probes do, at the time of the capture. */
void
fs_pv_judge_cert(struct fs_passive *p, struct pstream *s, const char *domain)
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

