/*
 * flows.c: the bookkeeping of what the captured streams showed: per receiving
 * domain, the evidence of each endpoint (the most telling stream of each
 * connection kind fills its slot), and per initiating server, what it did.
 * Both tables are bounded (FS_PASSIVE_MAX_ENDPOINTS, FS_PASSIVE_MAX_INITIATORS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "fedscan/cert.h"
#include "pcap/passive_int.h"

static uint32_t
strhash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)(*s | 0x20)) * 16777619u;
	return h;
}

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

/* The facts of the TCP connection itself, and what its end says about what was under way. */
static void
stream_facts(struct pstream *s, const struct fs_flow_info *fi, const char *iaddr, const char *raddr)
{
	struct fs_conn_ev *ev = &s->ev;
	const struct fs_flow_addr *ra = s->cdir == 0 ? &fi->server : &fi->client;
	const struct fs_flow_addr *ia = s->cdir == 0 ? &fi->client : &fi->server;
	int rdir = !s->cdir;

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
}

/* The stream's evidence into its endpoint (raddr, port) of domain name, if it tells more than the slot holds. */
static void
record_endpoint(struct fs_passive *p, struct pstream *s, const struct fs_flow_info *fi, const char *name,
    const char *raddr, uint16_t port)
{
	const struct fs_conn_ev *ev = &s->ev;
	struct fs_endpoint_ev *ep = NULL;
	struct pdomain *d;
	unsigned i;
	int sc;

	if ((d = domain_get(p, name)) == NULL) {
		p->endpoints_dropped++;
		return;
	}
	for (i = 0; i < d->ev.nendpoints; i++)
		if (strcmp(d->ev.endpoints[i].address, raddr) == 0 && d->ev.endpoints[i].port == port) {
			ep = &d->ev.endpoints[i];
			break;
		}
	if (ep == NULL) {
		if (p->nendpoints >= FS_PASSIVE_MAX_ENDPOINTS || (ep = fs_domain_ev_add_endpoint(&d->ev)) == NULL) {
			p->endpoints_dropped++;
			return;
		}
		p->nendpoints++;
		i = d->ev.nendpoints - 1;
		FS_EV_SET(ep->host, s->ini.sni[0] ? s->ini.sni : name);
		ep->port = port;
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
}

void
fs_pv_record_stream(struct fs_passive *p, struct pstream *s, const struct fs_flow_info *fi, enum fs_flow_end why)
{
	struct fs_conn_ev *ev = &s->ev;
	const struct fs_flow_addr *ra = s->cdir == 0 ? &fi->server : &fi->client;
	const struct fs_flow_addr *ia = s->cdir == 0 ? &fi->client : &fi->server;
	char raddr[FS_EV_SHORT], iaddr[FS_EV_SHORT], name[FS_EV_TEXT];
	const char *dom;

	fs_flow_addr_str(ra, raddr, sizeof(raddr));
	fs_flow_addr_str(ia, iaddr, sizeof(iaddr));
	/* The receiving domain: what it called itself, else what it was asked for, else its address. */
	dom = ev->pre.from[0] ? ev->pre.from : s->ini.hdr.to[0] ? s->ini.hdr.to : s->ini.sni[0] ? s->ini.sni :
	    s->ini.db_to[0] ? s->ini.db_to : raddr;
	FS_EV_SET(name, dom);
	stream_facts(s, fi, iaddr, raddr);
	close_words(s, fi, !s->cdir, why);
	fs_pv_judge_cert(p, s, name);
	if (ev->tls.ok)
		p->tls_streams++;
	record_endpoint(p, s, fi, name, raddr, ra->port);
	if (ev->connected)
		record_initiator(p, s, iaddr, name);
}

void
fs_pv_flows_free(struct fs_passive *p)
{
	size_t i;

	for (i = 0; i < p->ndoms; i++) {
		fs_domain_ev_clear(&p->doms[i]->ev);
		free(p->doms[i]);
	}
	free(p->doms);
	p->doms = NULL;
	p->ndoms = p->capdoms = 0;
	for (i = 0; i < p->ninis; i++)
		free(p->inis[i]);
	free(p->inis);
	p->inis = NULL;
	p->ninis = p->capinis = 0;
}
