/* tcp_reasm-t.c: unit tests for TCP reassembly (src/tcp_reasm.c) and packet decoding (src/pcap_read.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/pcap_read.h"
#include "pcap/tcp_reasm.h"
#include "tap/basic.h"

/* What the consumer saw of each flow (by flow id). */
#define MAXF 64
struct got {
	char data[2][4096];
	size_t len[2];
	uint64_t gaps[2];
	unsigned ngaps[2];
	int closes;
	enum fs_flow_end why;
	bool client_is_a;
	bool midstream0;
	int ignore_after;     /* return FS_REASM_IGNORE after this many calls (0: never) */
	int calls;
};

static struct got G[MAXF];

static int
on_data(void *ud, void **ctx, const struct fs_flow_info *fi, int dir, const uint8_t *p, size_t n, uint64_t gap,
    int64_t ts)
{
	struct got *g = &G[fi->id % MAXF];

	*ctx = g;
	g->calls++;
	if (gap > 0) {
		g->gaps[dir] += gap;
		g->ngaps[dir]++;
		/* Mark the hole in the text so that tests see where it was. */
		if (g->len[dir] < sizeof(g->data[dir]) - 1)
			g->data[dir][g->len[dir]++] = '#';
	}
	if (n > 0 && g->len[dir] + n < sizeof(g->data[dir])) {
		memcpy(g->data[dir] + g->len[dir], p, n);
		g->len[dir] += n;
	}
	g->midstream0 = fi->midstream[0];
	if (g->ignore_after > 0 && g->calls >= g->ignore_after)
		return FS_REASM_IGNORE;
	return FS_REASM_MORE;
}

static void
on_close(void *ud, void *ctx, const struct fs_flow_info *fi, enum fs_flow_end why)
{
	struct got *g = &G[fi->id % MAXF];

	g->closes++;
	g->why = why;
	g->client_is_a = fi->client.port == 1111;
}

static const struct fs_reasm_cb CB = { on_data, on_close };

/* A segment from A (10.0.0.1:1111) to B (10.0.0.2:5269), or back. */
static struct fs_tcp_seg
seg(bool from_a, uint32_t seq, uint8_t flags, const char *data)
{
	struct fs_tcp_seg s;
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

	memset(&s, 0, sizeof(s));
	s.src.family = s.dst.family = 4;
	memcpy(s.src.addr, from_a ? a : b, 4);
	memcpy(s.dst.addr, from_a ? b : a, 4);
	s.src.port = from_a ? 1111 : 5269;
	s.dst.port = from_a ? 5269 : 1111;
	s.seq = seq;
	s.flags = flags;
	s.data = (const uint8_t *)data;
	s.len = s.wire_len = data != NULL ? strlen(data) : 0;
	s.ts_us = 1000000;
	return s;
}

static void
feed(struct fs_reasm *r, struct fs_tcp_seg s)
{
	fs_reasm_segment(r, &s);
}

static void
reset(void)
{
	memset(G, 0, sizeof(G));
}

static void
t_inorder(void)
{
	struct fs_reasm *r;
	struct got *g = &G[1];

	reset();
	r = fs_reasm_new(NULL, &CB, NULL);
	feed(r, seg(true, 100, FS_TCP_SYN, NULL));
	feed(r, seg(false, 500, FS_TCP_SYN | FS_TCP_ACK, NULL));
	feed(r, seg(true, 101, FS_TCP_ACK, "<stream>"));
	feed(r, seg(false, 501, FS_TCP_ACK, "<stream id='1'>"));
	feed(r, seg(true, 109, FS_TCP_ACK, "</stream>"));
	feed(r, seg(true, 118, FS_TCP_ACK | FS_TCP_FIN, NULL));
	is_int(0, g->closes, "in order: open until both sides close");
	feed(r, seg(false, 516, FS_TCP_ACK | FS_TCP_FIN, NULL));
	is_int(1, g->closes, "in order: FIN both ways ends the flow");
	is_int(FS_FLOW_CLOSED, g->why, "in order: ended as closed");
	is_string("<stream></stream>", g->data[0], "in order: client bytes");
	is_string("<stream id='1'>", g->data[1], "in order: server bytes");
	ok(g->client_is_a, "in order: the SYN's sender is the client");
	is_int(0, fs_reasm_nflows(r), "in order: nothing left");
	fs_reasm_free(r);
}

static void
t_out_of_order(void)
{
	struct fs_reasm *r = fs_reasm_new(NULL, &CB, NULL);
	struct got *g = &G[1];

	reset();
	feed(r, seg(true, 1, FS_TCP_SYN, NULL));
	feed(r, seg(true, 6, FS_TCP_ACK, "FGHIJ"));
	feed(r, seg(true, 11, FS_TCP_ACK, "KLMNO"));
	is_int(0, g->len[0], "out of order: nothing delivered before the hole is filled");
	feed(r, seg(true, 2, FS_TCP_ACK, "BCDE"));
	is_string("BCDEFGHIJKLMNO", g->data[0], "out of order: delivered in sequence");
	is_int(2, fs_reasm_stats(r)->out_of_order, "out of order: counted");
	is_int(0, fs_reasm_stats(r)->buffered_bytes, "out of order: buffer empty again");
	/* A retransmission of delivered bytes, and one that straddles the edge. */
	feed(r, seg(true, 2, FS_TCP_ACK, "BCDE"));
	feed(r, seg(true, 14, FS_TCP_ACK, "NOPQ"));
	is_string("BCDEFGHIJKLMNOPQ", g->data[0], "retransmission: only the new bytes");
	is_int(6, fs_reasm_stats(r)->retransmitted_bytes, "retransmission: 4 + 2 bytes counted");
	fs_reasm_free(r);
	is_int(1, g->closes, "free ends the open flow");
	is_int(FS_FLOW_EOF, g->why, "... as the end of the input");
}

static void
t_overlap(void)
{
	struct fs_reasm *r = fs_reasm_new(NULL, &CB, NULL);
	struct got *g = &G[1];

	reset();
	feed(r, seg(true, 1, FS_TCP_SYN, NULL));
	feed(r, seg(true, 10, FS_TCP_ACK, "AAAAAAAAAA"));    /* [8, 18) */
	feed(r, seg(true, 15, FS_TCP_ACK, "bbbbbbbbbb"));    /* [13, 23): 5 overlap, different */
	feed(r, seg(true, 12, FS_TCP_ACK, "AAAAAA"));        /* [10, 16): 6 overlap, same where it overlaps A */
	is_int(11, fs_reasm_stats(r)->overlap_bytes, "overlap: bytes counted");
	is_int(1, fs_reasm_stats(r)->overlap_conflicts, "overlap: one differing copy");
	feed(r, seg(true, 2, FS_TCP_ACK, "12345678"));       /* [0, 8) fills the hole */
	is_string("12345678AAAAAAAAAAbbbbb", g->data[0], "overlap: the first copy of each byte wins");
	fs_reasm_free(r);
}

static void
t_missing_and_truncated(void)
{
	struct fs_reasm *r = fs_reasm_new(NULL, &CB, NULL);
	struct fs_tcp_seg s;
	struct got *g = &G[1];

	reset();
	feed(r, seg(true, 1, FS_TCP_SYN, NULL));
	feed(r, seg(true, 2, FS_TCP_ACK, "abc"));
	feed(r, seg(true, 10, FS_TCP_ACK, "xyz"));           /* [8, 11): [3, 8) never comes */
	/* Truncated by the snapshot length: 4 bytes captured of 10 announced. */
	s = seg(true, 13, FS_TCP_ACK, "TRUNCATED!");
	s.len = 4;
	feed(r, s);
	feed(r, seg(true, 23, FS_TCP_ACK | FS_TCP_FIN, NULL));
	feed(r, seg(false, 50, FS_TCP_SYN | FS_TCP_ACK, NULL));
	feed(r, seg(false, 51, FS_TCP_ACK | FS_TCP_FIN, NULL));
	/* The hole could still be retransmitted later in the capture: the flow waits for it, or for the end. */
	is_int(0, g->closes, "missing: FIN both ways with a hole: the flow waits");
	fs_reasm_finish(r);
	is_int(1, g->closes, "missing: the flow ends with the input");
	is_string("abc#xyzTRUN#", g->data[0], "missing: holes are reported where they are");
	is_int(5 + 6, g->gaps[0], "missing: 5 bytes lost + 6 cut");
	is_int(5, fs_reasm_stats(r)->missing_bytes, "missing: counted");
	is_int(6, fs_reasm_stats(r)->truncated_bytes, "truncated: counted");
	fs_reasm_free(r);
}

static void
t_midstream_wrap(void)
{
	struct fs_reasm *r = fs_reasm_new(NULL, &CB, NULL);
	struct got *g = &G[1];

	reset();
	/* No SYN, and the sequence numbers wrap around 2^32. */
	feed(r, seg(true, 0xfffffffdu, FS_TCP_ACK, "abc"));
	feed(r, seg(true, 0x00000003u, FS_TCP_ACK, "ghi"));
	feed(r, seg(true, 0x00000000u, FS_TCP_ACK, "def"));
	is_string("abcdefghi", g->data[0], "wrap: sequence numbers across 2^32");
	ok(g->midstream0, "midstream: flagged");
	is_int(1, fs_reasm_stats(r)->flows_midstream, "midstream: counted");
	fs_reasm_free(r);
}

static void
t_bounds(void)
{
	struct fs_reasm_limits lim = { 4, 64 + 2 * 40, 1 << 20, 60 };
	struct fs_reasm *r = fs_reasm_new(&lim, &CB, NULL);
	struct fs_tcp_seg s;
	char buf[64];
	int i;

	reset();
	/* Out-of-order data past the per-direction bound: the oldest hole is given up, memory stays bounded. */
	feed(r, seg(true, 1, FS_TCP_SYN, NULL));
	for (i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "%02d-------", i);   /* 10 bytes, each after a 10-byte hole */
		feed(r, seg(true, 2 + 20 * (uint32_t)i + 10, FS_TCP_ACK, buf));
		ok(fs_reasm_stats(r)->buffered_bytes <= lim.max_dir_buf, "bounds: buffered %zu <= %zu after %d",
		    fs_reasm_stats(r)->buffered_bytes, lim.max_dir_buf, i);
	}
	ok(fs_reasm_stats(r)->forced_gaps > 0, "bounds: holes given up (%llu)",
	    (unsigned long long)fs_reasm_stats(r)->forced_gaps);
	ok(G[1].ngaps[0] > 0 && strstr(G[1].data[0], "#00-------#01") != NULL, "bounds: delivery goes on after the "
	    "holes");
	/* More flows than max_flows: the least recently active are evicted. */
	for (i = 0; i < 10; i++) {
		s = seg(true, 1, FS_TCP_SYN, NULL);
		s.src.port = (uint16_t)(2000 + i);
		fs_reasm_segment(r, &s);
		ok(fs_reasm_nflows(r) <= 4, "flow cap: %zu flows <= 4", fs_reasm_nflows(r));
	}
	is_int(7, fs_reasm_stats(r)->flows_evicted, "flow cap: 7 evicted (11 flows, 4 kept)");
	/* Idle flows end after the idle timeout of capture time (checked every 1024 segments). */
	for (i = 0; i < 1024; i++) {
		s = seg(true, 1, FS_TCP_SYN, NULL);
		s.src.port = 3000;
		s.ts_us = 1000000 + 120 * 1000000LL;
		fs_reasm_segment(r, &s);
	}
	ok(fs_reasm_stats(r)->flows_idle >= 3, "idle: old flows ended (%llu)",
	    (unsigned long long)fs_reasm_stats(r)->flows_idle);
	fs_reasm_free(r);
}

static void
t_rst_ignore_reuse(void)
{
	struct fs_reasm *r = fs_reasm_new(NULL, &CB, NULL);

	reset();
	feed(r, seg(true, 1, FS_TCP_SYN, NULL));
	feed(r, seg(true, 2, FS_TCP_ACK, "abc"));
	feed(r, seg(false, 9, FS_TCP_RST, NULL));
	is_int(1, G[1].closes, "rst: ends the flow");
	is_int(0, fs_reasm_nflows(r), "rst: nothing left");
	/* The consumer stops a flow: one close, then its packets are swallowed. */
	G[2].ignore_after = 1;
	feed(r, seg(true, 100, FS_TCP_SYN, NULL));
	feed(r, seg(true, 101, FS_TCP_ACK, "abc"));
	feed(r, seg(true, 104, FS_TCP_ACK, "def"));
	is_int(1, G[2].closes, "ignore: closed at once");
	is_int(FS_FLOW_IGNORED, G[2].why, "ignore: as ignored");
	is_string("abc", G[2].data[0], "ignore: no bytes after it");
	is_int(1, fs_reasm_nflows(r), "ignore: the flow is still tracked (its packets are swallowed)");
	/* A new SYN on the same 4-tuple with another ISN: a new connection. */
	feed(r, seg(true, 5000, FS_TCP_SYN, NULL));
	is_int(1, fs_reasm_stats(r)->flows_reused, "reuse: counted");
	is_int(1, G[2].closes, "reuse: an ignored flow is not closed twice");
	/* A SYN+ACK first: its sender is the server. */
	feed(r, seg(false, 700, FS_TCP_SYN | FS_TCP_ACK, NULL));
	fs_reasm_free(r);
	/* Nonsense flags are skipped. */
	r = fs_reasm_new(NULL, &CB, NULL);
	feed(r, seg(true, 1, FS_TCP_SYN | FS_TCP_RST, NULL));
	is_int(1, fs_reasm_stats(r)->bad_segments, "SYN+RST: skipped as bad");
	is_int(0, fs_reasm_stats(r)->flows, "SYN+RST: starts no flow");
	fs_reasm_free(r);
}

/* ---- packet decoding ---- */

static size_t
ipv4_tcp(uint8_t *b, const char *payload, uint16_t announce_extra)
{
	size_t pl = strlen(payload), tot = 20 + 20 + pl;

	memset(b, 0, 40);
	b[0] = 0x45;
	b[2] = (uint8_t)((tot + announce_extra) >> 8);
	b[3] = (uint8_t)(tot + announce_extra);
	b[8] = 64;
	b[9] = 6;
	b[12] = 10; b[15] = 1;
	b[16] = 10; b[19] = 2;
	b[20] = 0x04; b[21] = 0x57;   /* 1111 */
	b[22] = 0x14; b[23] = 0x95;   /* 5269 */
	b[24] = 0; b[25] = 0; b[26] = 1; b[27] = 0;
	b[32] = 0x50;
	b[33] = FS_TCP_ACK;
	memcpy(b + 40, payload, pl);
	return tot;
}

static int
decode(int dlt, const uint8_t *b, size_t n, struct fs_tcp_seg *s)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.caplen = h.len = (bpf_u_int32)n;
	return fs_pcap_decode(dlt, &h, b, s, NULL);
}

static void
t_decode(void)
{
	uint8_t pkt[256], frame[300];
	struct fs_tcp_seg s;
	size_t n;

	n = ipv4_tcp(pkt, "hello", 0);
	/* Ethernet with two VLAN tags. */
	memset(frame, 0, 14);
	frame[12] = 0x81; frame[13] = 0x00;
	frame[14] = 0; frame[15] = 5; frame[16] = 0x88; frame[17] = 0xa8;
	frame[18] = 0; frame[19] = 6; frame[20] = 0x08; frame[21] = 0x00;
	memcpy(frame + 22, pkt, n);
	is_int(1, decode(DLT_EN10MB, frame, 22 + n, &s), "ethernet + 2 VLAN tags: TCP");
	is_int(5, (long long)s.len, "ethernet: payload length");
	is_int(1111, s.src.port, "ethernet: source port");
	ok(s.len == 5 && memcmp(s.data, "hello", 5) == 0, "ethernet: payload bytes");
	/* Linux cooked v1 and v2. */
	memset(frame, 0, 16);
	frame[14] = 0x08;
	memcpy(frame + 16, pkt, n);
	is_int(1, decode(DLT_LINUX_SLL, frame, 16 + n, &s), "Linux cooked v1: TCP");
	memset(frame, 0, 20);
	frame[0] = 0x08;
	memcpy(frame + 20, pkt, n);
	is_int(1, decode(DLT_LINUX_SLL2, frame, 20 + n, &s), "Linux cooked v2: TCP");
	/* BSD loopback, both byte orders; raw IP. */
	frame[0] = 2; frame[1] = 0; frame[2] = 0; frame[3] = 0;
	memcpy(frame + 4, pkt, n);
	is_int(1, decode(DLT_NULL, frame, 4 + n, &s), "null (little-endian AF_INET): TCP");
	frame[0] = 0; frame[3] = 2;
	is_int(1, decode(DLT_NULL, frame, 4 + n, &s), "null (big-endian AF_INET): TCP");
	is_int(1, decode(DLT_LOOP, frame, 4 + n, &s), "loop: TCP");
	is_int(1, decode(DLT_RAW, pkt, n, &s), "raw: TCP");
	/* Snapshot length: the IP header announces more than was captured. */
	n = ipv4_tcp(pkt, "hello", 100);
	is_int(1, decode(DLT_RAW, pkt, n, &s), "truncated capture: still TCP");
	is_int(105, (long long)s.wire_len, "truncated capture: announced length");
	is_int(5, (long long)s.len, "truncated capture: captured length");
	/* Bogus lengths. */
	pkt[0] = 0x4f;
	is_int(-1, decode(DLT_RAW, pkt, 30, &s), "IHL beyond the packet: malformed");
	n = ipv4_tcp(pkt, "hello", 0);
	pkt[32] = 0xf0;
	is_int(-1, decode(DLT_RAW, pkt, n, &s), "TCP data offset beyond the packet: malformed");
	n = ipv4_tcp(pkt, "hello", 0);
	pkt[2] = 0; pkt[3] = 10;
	is_int(-1, decode(DLT_RAW, pkt, n, &s), "IP total length below its header: malformed");
	is_int(-1, decode(DLT_EN10MB, pkt, 5, &s), "short ethernet frame: malformed");
	/* A fragment, UDP, ARP: not TCP. */
	n = ipv4_tcp(pkt, "hello", 0);
	pkt[6] = 0x20;
	is_int(0, decode(DLT_RAW, pkt, n, &s), "IPv4 fragment: skipped");
	n = ipv4_tcp(pkt, "hello", 0);
	pkt[9] = 17;
	is_int(0, decode(DLT_RAW, pkt, n, &s), "UDP: skipped");
	memset(frame, 0, 14);
	frame[12] = 0x08; frame[13] = 0x06;
	is_int(0, decode(DLT_EN10MB, frame, 60, &s), "ARP: skipped");
	/* IPv6 with a hop-by-hop header in front of TCP. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[5] = 8 + 20 + 3;
	pkt[6] = 0;             /* hop-by-hop */
	pkt[23] = 1; pkt[39] = 2;
	pkt[40] = 6;            /* next: TCP */
	pkt[41] = 0;            /* 8 bytes */
	pkt[48] = 0x04; pkt[49] = 0x57; pkt[50] = 0x14; pkt[51] = 0x95;
	pkt[60] = 0x50;
	memcpy(pkt + 68, "abc", 3);
	is_int(1, decode(DLT_RAW, pkt, 71, &s), "IPv6 + hop-by-hop: TCP");
	is_int(6, s.src.family, "IPv6: family");
	is_int(3, (long long)s.len, "IPv6: payload");
	pkt[41] = 200;          /* an extension header running past the packet */
	is_int(-1, decode(DLT_RAW, pkt, 71, &s), "IPv6 extension header too long: malformed");
	ok(!fs_pcap_linktype_ok(DLT_IEEE802_11), "802.11: not a supported link type");
}

int
main(void)
{
	t_inorder();
	t_out_of_order();
	t_overlap();
	t_missing_and_truncated();
	t_midstream_wrap();
	t_bounds();
	t_rst_ignore_reuse();
	t_decode();
	return done_testing();
}
