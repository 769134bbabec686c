/* dane.c: DNSSEC states and TLSA records of an endpoint, and its certificate chain checked against them (RFC 7673). */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "fedscan/dane.h"

#define DNS_T_TLSA 52                /* RFC 6698 §7.1 */
#define TLSA_DATA_MAX 512        /* matching type 0 (whole certificates) longer than this is not kept */

struct dane_q {
	struct fs_dane_ev ev;
	unsigned pending;
	enum fs_dnssec a, aaaa;
	bool a_any;                  /* an A or AAAA answer arrived (else the addr state is unknown) */
	fs_dane_cb cb;
	void *ud;
};

/* The weaker of two states: bogus, then unknown, then insecure, then secure. */
static enum fs_dnssec
weaker(enum fs_dnssec x, enum fs_dnssec y)
{
	static const int rank[] = { 1, 2, 3, 0 };   /* UNKNOWN, INSECURE, SECURE, BOGUS */

	return rank[x] <= rank[y] ? x : y;
}

static void
q_finish(struct dane_q *q)
{
	if (--q->pending > 0)
		return;
	q->ev.addr = weaker(q->a, q->aaaa);
	q->cb(q->ud, &q->ev);
	free(q);
}

static void
note(struct fs_dane_ev *ev, const char *name, enum fs_dnssec st, const char *err)
{
	char msg[FS_EV_TEXT];

	if (st == FS_DNSSEC_BOGUS)
		snprintf(msg, sizeof(msg), "DNSSEC validation failed for %s;", name);
	else
		snprintf(msg, sizeof(msg), "%s: %s;", name, err != NULL ? err : "no answer");
	FS_EV_APPEND(ev->error, msg);
}

struct addr_arg {
	struct dane_q *q;
	bool v6;
	char name[FS_DNS_NAME];
};

static void
addr_cb(void *ud, enum fs_dnssec st, int rcode, const unsigned char *abuf, int alen, const char *err)
{
	struct addr_arg *a = ud;
	struct dane_q *q = a->q;

	if (a->v6)
		q->aaaa = st;
	else
		q->a = st;
	if (st == FS_DNSSEC_BOGUS || st == FS_DNSSEC_UNKNOWN)
		note(&q->ev, a->name, st, err);
	free(a);
	q_finish(q);
}

static void
tlsa_cb(void *ud, enum fs_dnssec st, int rcode, const unsigned char *abuf, int alen, const char *err)
{
	struct dane_q *q = ud;

	q->ev.tlsa = st;
	if (st == FS_DNSSEC_BOGUS || st == FS_DNSSEC_UNKNOWN)
		note(&q->ev, q->ev.tlsa_name, st, err);
	else if (rcode == 0 && fs_dane_parse_tlsa(abuf, alen, &q->ev) != 0)
		note(&q->ev, q->ev.tlsa_name, FS_DNSSEC_UNKNOWN, "malformed TLSA answer");
	q_finish(q);
}

void
fs_dane_lookup(struct fs_dns *d, const char *host, int port, enum fs_dnssec srv, fs_dane_cb cb, void *ud)
{
	struct dane_q *q = calloc(1, sizeof(*q));
	struct addr_arg *a;
	int v6;

	if (q == NULL) {
		struct fs_dane_ev ev;

		memset(&ev, 0, sizeof(ev));
		FS_EV_SET(ev.error, "out of memory");
		cb(ud, &ev);
		return;
	}
	q->ev.looked_up = true;
	q->ev.srv = srv;
	q->cb = cb;
	q->ud = ud;
	q->pending = 4;          /* A, AAAA, TLSA, and this function (so no callback frees q under us) */
	snprintf(q->ev.tlsa_name, sizeof(q->ev.tlsa_name), "_%d._tcp.%s", port, host);
	for (v6 = 0; v6 < 2; v6++) {
		if ((a = calloc(1, sizeof(*a))) == NULL) {
			q->pending--;
			continue;
		}
		a->q = q;
		a->v6 = v6 != 0;
		snprintf(a->name, sizeof(a->name), "%s", host);
		fs_dns_secure(d, host, v6 ? ns_t_aaaa : ns_t_a, addr_cb, a);
	}
	fs_dns_secure(d, q->ev.tlsa_name, DNS_T_TLSA, tlsa_cb, q);
	q_finish(q);
}

int
fs_dane_parse_tlsa(const unsigned char *abuf, int alen, struct fs_dane_ev *ev)
{
	const unsigned char *p = abuf + 12, *end = abuf + alen;
	unsigned qd, an, i, k, type, rdlen;
	long enclen;
	char *name, rec[3 * 4 + 2 * TLSA_DATA_MAX + 1];
	size_t n, have;

	if (alen < 12)
		return -1;
	qd = (unsigned)(abuf[4] << 8 | abuf[5]);
	an = (unsigned)(abuf[6] << 8 | abuf[7]);
	for (i = 0; i < qd + an; i++) {
		if (ares_expand_name(p, abuf, alen, &name, &enclen) != ARES_SUCCESS)
			return -1;
		ares_free_string(name);
		p += enclen;
		if (i < qd) {
			if (end - p < 4)
				return -1;
			p += 4;
			continue;
		}
		if (end - p < 10)
			return -1;
		type = (unsigned)(p[0] << 8 | p[1]);
		rdlen = (unsigned)(p[8] << 8 | p[9]);
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return -1;
		if (type == DNS_T_TLSA && rdlen >= 3)
			ev->ntlsa++;
		/* A whole certificate (matching type 0) longer than we keep is counted, not kept. */
		if (type == DNS_T_TLSA && rdlen >= 3 && rdlen - 3 <= TLSA_DATA_MAX) {
			n = (size_t)snprintf(rec, sizeof(rec), "%u %u %u ", p[0], p[1], p[2]);
			for (k = 3; k < rdlen; k++)
				n += (size_t)snprintf(rec + n, sizeof(rec) - n, "%02x", p[k]);
			have = strlen(ev->tlsa_records);
			if (have + 2 + n < sizeof(ev->tlsa_records)) {
				if (have > 0) {
					memcpy(ev->tlsa_records + have, "; ", 2);
					have += 2;
				}
				memcpy(ev->tlsa_records + have, rec, n + 1);
			}
		}
		p += rdlen;
	}
	return 0;
}

void
fs_dane_decide(struct fs_dane_ev *ev, bool from_srv)
{
	/* RFC 7673 §3: TLSA records count only when the SRV answer and the TLSA answer are both secure. */
	ev->usable = ev->looked_up && ev->ntlsa > 0 && ev->tlsa == FS_DNSSEC_SECURE &&
	    (!from_srv || ev->srv == FS_DNSSEC_SECURE);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Add the records of "U S M HEX; ..." to a DANE-enabled SSL; returns how many OpenSSL took. */
static int
add_records(SSL *s, const char *records)
{
	unsigned char data[TLSA_DATA_MAX];
	unsigned u, sel, m;
	const char *p = records, *h;
	size_t n;
	int used, added = 0;

	while (*p != '\0') {
		if (sscanf(p, "%u %u %u %n", &u, &sel, &m, &used) != 3)
			break;
		h = p + used;
		for (n = 0; n < sizeof(data) && hexval(h[0]) >= 0 && hexval(h[1]) >= 0; h += 2)
			data[n++] = (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
		/* Unusable parameters (a usage or matching type OpenSSL does not know) are skipped: RFC 6698 §4.1. */
		if (u < 256 && sel < 256 && m < 256 &&
		    SSL_dane_tlsa_add(s, (uint8_t)u, (uint8_t)sel, (uint8_t)m, data, n) > 0)
			added++;
		if ((p = strchr(h, ';')) == NULL)
			break;
		p++;
		while (*p == ' ')
			p++;
	}
	return added;
}

int
fs_dane_verify_chain(X509_STORE *store, X509 *leaf, STACK_OF(X509) *chain, const char *host,
    const char *domain_ascii, const char *records, char *detail, size_t detaillen)
{
	SSL_CTX *ctx = NULL;
	SSL *s = NULL;
	X509_STORE_CTX *vc = NULL;
	uint8_t u, sel, m;
	const unsigned char *data;
	size_t dlen;
	int ret = -1, depth;

	detail[0] = '\0';
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL || SSL_CTX_dane_enable(ctx) <= 0 ||
	    (s = SSL_new(ctx)) == NULL || SSL_dane_enable(s, host) <= 0 ||
	    (domain_ascii != NULL && SSL_add1_host(s, domain_ascii) != 1)) {
		snprintf(detail, detaillen, "cannot set up OpenSSL's DANE");
		goto out;
	}
	if (add_records(s, records) == 0) {
		snprintf(detail, detaillen, "no TLSA record has parameters OpenSSL can use (RFC 6698 §4.1)");
		ret = 0;
		goto out;
	}
	/* The handshake's chain, verified again as OpenSSL's client would with these TLSA records (RFC 7671). */
	if ((vc = X509_STORE_CTX_new()) == NULL || X509_STORE_CTX_init(vc, store, leaf, chain) != 1) {
		snprintf(detail, detaillen, "cannot set up the verification");
		goto out;
	}
	X509_STORE_CTX_set_default(vc, "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(vc), SSL_get0_param(s));
	X509_STORE_CTX_set0_dane(vc, SSL_get0_dane(s));
	if (X509_verify_cert(vc) == 1) {
		depth = SSL_get0_dane_tlsa(s, &u, &sel, &m, &data, &dlen);
		if (depth >= 0)
			snprintf(detail, detaillen, "matched TLSA %u %u %u at depth %d", u, sel, m, depth);
		else
			snprintf(detail, detaillen, "matched (PKIX with the TLSA trust anchor)");
		ret = 1;
	} else {
		snprintf(detail, detaillen, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(vc)));
		ret = 0;
	}
out:
	X509_STORE_CTX_free(vc);
	SSL_free(s);
	SSL_CTX_free(ctx);
	return ret;
}

/* The hex SHA-256 of the leaf's SubjectPublicKeyInfo: what "3 1 1" publishes (RFC 7218 DANE-EE SPKI SHA2-256). */
static void
spki_sha256(X509 *leaf, char *out, size_t outlen)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	int len;
	size_t n = 0;

	out[0] = '\0';
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der)) <= 0)
		return;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) == 1)
		for (i = 0; i < mdlen && n + 3 <= outlen; i++)
			n += (size_t)snprintf(out + n, outlen - n, "%02x", md[i]);
	OPENSSL_free(der);
}

void
fs_dane_check(SSL *ssl, const char *domain_ascii, struct fs_endpoint_ev *ep, struct fs_tls_ev *tls)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	char detail[FS_EV_TEXT];
	int r;

	if (leaf == NULL)
		return;
	spki_sha256(leaf, tls->cert.spki_sha256, sizeof(tls->cert.spki_sha256));
	if (!ep->dane.usable)
		return;
	r = fs_dane_verify_chain(SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), leaf, chain, ep->host, domain_ascii,
	    ep->dane.tlsa_records, detail, sizeof(detail));
	if (r < 0)
		return;
	tls->dane_checked = true;
	tls->dane_ok = r == 1;
	if (ep->dane.result == FS_DANE_NOT_CHECKED) {
		ep->dane.result = r == 1 ? FS_DANE_VALID : FS_DANE_MISMATCH;
		FS_EV_SET(ep->dane.detail, detail);
	}
}

/* An SRV lookup (cached, c-ares) and its DNSSEC state (raw, AD bit), told together. */
struct srv_q {
	fs_dane_srv_cb cb;
	void *ud;
	unsigned pending;
	enum fs_dnssec st;
	int status;
	char *err;
	struct fs_srv_rec *recs;
	unsigned n;
};

static void
srv_finish(struct srv_q *q)
{
	if (--q->pending > 0)
		return;
	q->cb(q->ud, q->status, q->err, q->recs, q->n, q->st);
	free(q->err);
	free(q->recs);
	free(q);
}

static void
srv_records(void *ud, int status, const char *err, const struct fs_srv_rec *recs, unsigned n)
{
	struct srv_q *q = ud;

	q->status = status;
	if (err != NULL && (q->err = strdup(err)) == NULL)
		q->status = -1;
	if (n > 0 && (q->recs = malloc(n * sizeof(*recs))) != NULL) {
		memcpy(q->recs, recs, n * sizeof(*recs));
		q->n = n;
	}
	srv_finish(q);
}

static void
srv_state(void *ud, enum fs_dnssec st, int rcode, const unsigned char *abuf, int alen, const char *err)
{
	struct srv_q *q = ud;

	q->st = st;
	srv_finish(q);
}

void
fs_dane_srv(struct fs_dns *d, bool dnssec, const char *name, fs_dane_srv_cb cb, void *ud)
{
	struct srv_q *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		cb(ud, -1, "out of memory", NULL, 0, FS_DNSSEC_UNKNOWN);
		return;
	}
	q->cb = cb;
	q->ud = ud;
	q->pending = dnssec ? 3 : 2;  /* the records, the state, and this function */
	fs_dns_srv(d, name, srv_records, q);
	if (dnssec)
		fs_dns_secure(d, name, ns_t_srv, srv_state, q);
	srv_finish(q);
}
