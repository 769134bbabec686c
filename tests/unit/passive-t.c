/* passive-t.c: the passive path (src/passive.c) on made-up s2s sessions, through the same inference as check. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fedscan/infer.h"
#include "fedscan/passive.h"
#include "tap/basic.h"

struct conv {
	struct fs_passive *p;
	uint32_t seq[2];
	uint16_t cport;
	int64_t ts;
};

static void pktn(struct conv *c, int from_ini, uint8_t flags, const char *data, size_t n);

static void
pkt(struct conv *c, int from_ini, uint8_t flags, const char *data)
{
	pktn(c, from_ini, flags, data, data != NULL ? strlen(data) : 0);
}

static void
pktn(struct conv *c, int from_ini, uint8_t flags, const char *data, size_t n)
{
	static const uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 };
	struct fs_tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.src.family = s.dst.family = 4;
	memcpy(s.src.addr, from_ini ? a : b, 4);
	memcpy(s.dst.addr, from_ini ? b : a, 4);
	s.src.port = from_ini ? c->cport : 5269;
	s.dst.port = from_ini ? 5269 : c->cport;
	s.seq = c->seq[!from_ini];
	s.flags = flags;
	s.data = (const uint8_t *)data;
	s.len = s.wire_len = n;
	s.ts_us = c->ts += 1000;
	fs_passive_segment(c->p, &s);
	c->seq[!from_ini] += (uint32_t)s.len + ((flags & (FS_TCP_SYN | FS_TCP_FIN)) ? 1 : 0);
}

#define HDR_I "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='a.example' to='b.example' version='1.0'>"
#define HDR_R "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='b.example' to='a.example' id='abc' version='1.0'>"

/* TLS 1.2 records: a ClientHello offering ECDHE-RSA-AES128-GCM-SHA256 with SNI b.example, the ServerHello
 * choosing it, and a ChangeCipherSpec. */
#define CH "\x16\x03\x01\x00\x41" "\x01\x00\x00\x3d" "\x03\x03" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "\x00" "\x00\x02\xc0\x2f" "\x01\x00" \
	"\x00\x12" "\x00\x00\x00\x0e" "\x00\x0c\x00\x00\x09" "b.example"
#define SH "\x16\x03\x03\x00\x2c" "\x02\x00\x00\x28" "\x03\x03" \
	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB" "\x00" "\xc0\x2f" "\x00" "\x00\x00"
#define CCS "\x14\x03\x03\x00\x01\x01"

static void
open_conv(struct conv *c, struct fs_passive *p, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->cport = port;
	c->seq[0] = 1000;
	c->seq[1] = 9000;
	c->ts = 1700000000LL * 1000000;
	pkt(c, 1, FS_TCP_SYN, NULL);
	pkt(c, 0, FS_TCP_SYN | FS_TCP_ACK, NULL);
}

int
main(void)
{
	struct fs_passive *p;
	struct conv c;
	char err[256];
	const struct fs_domain_ev *d;
	struct fs_inference inf;
	json_t *inis, *x;

	ok(fs_passive_new(NULL, &p, err, sizeof(err)) == 0, "fs_passive_new");
	/* TCP dialback without TLS to a server that offers STARTTLS without <required/>, and verifies. */
	open_conv(&c, p, 40000);
	pkt(&c, 1, FS_TCP_ACK, HDR_I);
	pkt(&c, 0, FS_TCP_ACK, HDR_R "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	    "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>");
	pkt(&c, 1, FS_TCP_ACK, "<db:result from='a.example' to='b.example'>0123456789abcdef</db:result>");
	pkt(&c, 0, FS_TCP_ACK, "<db:result from='b.example' to='a.example' type='valid'/>");
	pkt(&c, 1, FS_TCP_ACK, "<message to='x@b.example'><body>hello</body></message>");
	pkt(&c, 1, FS_TCP_ACK | FS_TCP_FIN, NULL);
	pkt(&c, 0, FS_TCP_ACK | FS_TCP_FIN, NULL);
	/* A second initiator, over STARTTLS, and a c2s stream that must be left out. */
	open_conv(&c, p, 40001);
	pkt(&c, 1, FS_TCP_ACK, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' from='c.example' to='b.example' version='1.0'>");
	pkt(&c, 0, FS_TCP_ACK, HDR_R "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	    "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>");
	pkt(&c, 1, FS_TCP_ACK, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	pkt(&c, 0, FS_TCP_ACK, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	pkt(&c, 1, FS_TCP_ACK, "\x16\x03\x01");   /* a ClientHello cut short: the stream ends in the handshake */
	pkt(&c, 0, FS_TCP_RST, NULL);
	/* A third, whose TLS 1.2 handshake completes (ChangeCipherSpec both ways): no certificate in it. */
	open_conv(&c, p, 40003);
	pkt(&c, 1, FS_TCP_ACK, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' from='c.example' to='b.example' version='1.0'>");
	pkt(&c, 0, FS_TCP_ACK, HDR_R "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
	    "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>");
	pkt(&c, 1, FS_TCP_ACK, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	pkt(&c, 0, FS_TCP_ACK, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	pktn(&c, 1, FS_TCP_ACK, CH, sizeof(CH) - 1);
	pktn(&c, 0, FS_TCP_ACK, SH, sizeof(SH) - 1);
	pktn(&c, 1, FS_TCP_ACK, CCS, sizeof(CCS) - 1);
	pktn(&c, 0, FS_TCP_ACK, CCS, sizeof(CCS) - 1);
	pkt(&c, 1, FS_TCP_ACK | FS_TCP_FIN, NULL);
	pkt(&c, 0, FS_TCP_ACK | FS_TCP_FIN, NULL);
	open_conv(&c, p, 40002);
	pkt(&c, 1, FS_TCP_ACK, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' to='b.example' version='1.0'>");
	pkt(&c, 1, FS_TCP_ACK | FS_TCP_FIN, NULL);
	fs_passive_finish(p);

	is_int(1, (long long)fs_passive_ndomains(p), "one receiving domain");
	d = fs_passive_domain(p, 0);
	is_string("b.example", d != NULL ? d->domain : NULL, "named by its stream header");
	is_int(1, d != NULL ? d->nendpoints : 0, "one endpoint");
	if (d == NULL || d->nendpoints != 1) {
		fs_passive_free(p);
		return done_testing();
	}
	is_string("192.0.2.2", d->endpoints[0].address, "endpoint address");
	is_int(5269, d->endpoints[0].port, "endpoint port");
	is_int(FS_SRC_PASSIVE, d->endpoints[0].source, "endpoint source passive");
	ok(d->endpoints[0].conns[FS_CONN_PLAIN].attempted, "the dialback stream fills the plain slot");
	is_int(FS_DB_VALID, d->endpoints[0].conns[FS_CONN_PLAIN].dialback.result, "dialback answered valid");
	ok(d->endpoints[0].conns[FS_CONN_STARTTLS].attempted, "the STARTTLS stream fills the starttls slot");
	is_int(FS_STARTTLS_PROCEED, d->endpoints[0].conns[FS_CONN_STARTTLS].starttls, "<proceed/> seen");
	ok(d->endpoints[0].conns[FS_CONN_STARTTLS].tls.ok, "the completed handshake is the one kept");
	is_string("TLSv1.2", d->endpoints[0].conns[FS_CONN_STARTTLS].tls.version, "TLS version from the ServerHello");
	is_string("ECDHE-RSA-AES128-GCM-SHA256", d->endpoints[0].conns[FS_CONN_STARTTLS].tls.cipher,
	    "cipher named as OpenSSL names it");
	ok(d->endpoints[0].conns[FS_CONN_STARTTLS].tls.hidden, "no certificate seen: marked hidden, not absent");
	ok(d->endpoints[0].conns[FS_CONN_STARTTLS].post_hidden, "what follows TLS: hidden");
	is_string("192.0.2.1:40000 > 192.0.2.2:5269", d->endpoints[0].conns[FS_CONN_PLAIN].stream, "the TCP stream");
	fs_infer_domain(d, fs_passive_time(p), &inf);
	for (unsigned k = 0; k < inf.nlines; k++)
		diag("%s", inf.lines[k]);
	for (unsigned k = 0; k < inf.nproblems; k++)
		diag("problem: %s", inf.problems[k]);
	is_int(FS_LEVEL_OPTIONAL, inf.s.tls, "inference: TLS Optional (dialback verified without TLS)");
	is_int(FS_CONF_HIGH, inf.tls_conf, "inference: with high confidence (rule T6)");
	is_int(FS_DIALBACK_TRUE, inf.s.dialback, "inference: Dialback True");
	inis = fs_passive_initiators_json(p);
	is_int(2, (long long)json_array_size(inis), "two initiators (the c2s stream is not one)");
	x = json_array_get(inis, 0);
	is_string("a.example", json_string_value(json_object_get(x, "domain")), "initiator a.example");
	is_int(1, json_integer_value(json_object_get(x, "dialback")), "it used dialback in the clear");
	ok(json_is_true(json_object_get(json_object_get(x, "would_break"), "tls_required")),
	    "it would break with TLS Required");
	x = json_array_get(inis, 1);
	is_string("c.example", json_string_value(json_object_get(x, "domain")), "initiator c.example");
	is_int(2, json_integer_value(json_object_get(x, "starttls")), "it used STARTTLS twice");
	is_int(1, json_integer_value(json_object_get(x, "tls_failed")), "one handshake failed");
	json_decref(inis);
	x = fs_passive_stats_json(p);
	is_int(1, json_integer_value(json_object_get(x, "streams_not_s2s")), "the c2s stream counted, not analysed");
	json_decref(x);
	fs_passive_free(p);
	return done_testing();
}
