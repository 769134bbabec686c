/*
 * passive.c: audit partners from captured s2s traffic: the analysis object and
 * the reassembler's callbacks, which pick the streams worth following and route
 * their bytes.
 *
 * Each reassembled TCP stream on an s2s port (5269 and --port), or whose first
 * bytes are an XMPP stream header, is read in both directions the way a probe
 * reads its own connection (follow.c for the XML, tls_sniff.c for the TLS
 * records up to where they turn encrypted). What the *receiving* server showed
 * becomes a struct fs_conn_ev of one of its endpoints, so that the same
 * inference, report and store as `check` judge it; what the *initiating* server
 * did is kept per initiator (flows.c; the "initiators" array, passive_render.c).
 *
 * Nothing here is an error of the capture: what was not captured, or was
 * encrypted, is simply not evidence (fs_conn_ev.post_hidden, fs_tls_ev.hidden).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "fedscan/passive.h"
#include "fedscan/xmlstream.h"
#include "pcap/passive_int.h"

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
		if (!watched && !fs_pv_looks_xmpp(b, n))
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
		fs_pv_dir_bytes(s, d, b, n);
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
			fs_pv_record_stream(p, s, fi, why);
			stream_free(p, s);
		}
		return;
	}
	if (why == FS_FLOW_IGNORED) {
		if (s->judged)
			fs_pv_record_stream(p, s, fi, why);
		stream_free(p, s);
		return;
	}
	if (!s->ev.pre.header && !s->client_hello && !s->ini.hdr.header && !port_watched(p, fi->server.port) &&
	    !port_watched(p, fi->client.port)) {
		p->streams_unknown++;
	} else {
		fs_pv_record_stream(p, s, fi, why);
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
		goto out;
	}
	/*
	 * The trust store (for the certificates of TLS <= 1.2 handshakes) and an
	 * SSL object (only to name cipher suites as the probes' OpenSSL does) are
	 * made when first needed; a bad --ca-file is an error at once.
	 */
	if (p->o.ca_file != NULL) {
		if ((p->store = X509_STORE_new()) == NULL || X509_STORE_load_file(p->store, p->o.ca_file) != 1) {
			snprintf(err, errlen, "--ca-file %s: cannot load CA certificates", p->o.ca_file);
			goto out;
		}
	}
	ERR_clear_error();
	*out = p;
	return 0;
out:
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


void
fs_passive_free(struct fs_passive *p)
{
	if (p == NULL)
		return;
	fs_reasm_free(p->r);   /* ends the open flows: their streams are recorded, then freed */
	fs_pv_flows_free(p);
	SSL_free(p->ssl);
	SSL_CTX_free(p->sslctx);
	X509_STORE_free(p->store);
	free(p);
}
