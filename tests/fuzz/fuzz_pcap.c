/*
 * fuzz_pcap.c: libFuzzer target for the whole passive path: a pcap file in
 * memory (fmemopen + pcap_fopen_offline) -> packet decoding (src/pcap/pcap_read.c)
 * -> TCP reassembly (src/pcap/tcp_reasm.c) -> the s2s stream reader
 * (src/pcap/passive.c: XML through fs_xmlstream in follow.c, TLS records by
 * hand in tls_sniff.c, certificates through src/net/cert.c) -> the inference
 * (src/model/infer.c) and the JSON of the initiators and the counters
 * (passive_render.c).
 *
 * Input: 1 control byte, then
 *   c[0] even: the rest is a pcap file as is (seeds: real captures);
 *   c[0] odd:  the rest is one TCP connection to port 5269, split at every byte
 *              equal to the next byte (dropped): chunk i is sent by the
 *              initiator when i is even, the receiver when odd, as raw-IP
 *              packets after a SYN/SYN+ACK and before the FINs. Bit 1 of c[0]
 *              swaps neighbouring packets (out of order), bit 2 sends every
 *              packet twice (retransmissions), bit 3 cuts each packet to 40
 *              bytes of payload (snapshot length), bit 4 drops every third.
 * Invariants (abort()): every evidence string is terminated, the reassembler
 * holds no more than its bounds, no domain has more endpoints than allowed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* fmemopen */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fedscan/infer.h"
#include "fedscan/passive.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAXPKT 512

static void
put32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4);   /* the pcap header is in the writer's byte order; magic says which */
}

/* Append one raw-IP record: IPv4 + TCP + payload. */
static size_t
record(uint8_t *out, int dir, uint32_t seq, uint8_t flags, const uint8_t *p, size_t n, size_t cap, uint32_t t)
{
	size_t tot = 40 + n, caplen = 40 + (n < cap ? n : cap);
	uint8_t *b = out + 16;

	put32(out, 1700000000 + t / 1000);
	put32(out + 4, (t % 1000) * 1000);
	put32(out + 8, (uint32_t)caplen);
	put32(out + 12, (uint32_t)tot);
	memset(b, 0, 40);
	b[0] = 0x45;
	b[2] = (uint8_t)(tot >> 8);
	b[3] = (uint8_t)tot;
	b[8] = 64;
	b[9] = 6;
	b[12] = 192; b[14] = 2; b[15] = dir == 0 ? 1 : 2;
	b[16] = 192; b[18] = 2; b[19] = dir == 0 ? 2 : 1;
	b[20] = dir == 0 ? 0x9c : 0x14; b[21] = dir == 0 ? 0x40 : 0x95;
	b[22] = dir == 0 ? 0x14 : 0x9c; b[23] = dir == 0 ? 0x95 : 0x40;
	b[24] = (uint8_t)(seq >> 24); b[25] = (uint8_t)(seq >> 16); b[26] = (uint8_t)(seq >> 8); b[27] = (uint8_t)seq;
	b[32] = 0x50;
	b[33] = flags;
	if (caplen > 40)
		memcpy(b + 40, p, caplen - 40);
	return 16 + caplen;
}

static uint8_t *
synth(const uint8_t *d, size_t n, size_t *outlen)
{
	uint8_t ctl = d[0], sep, *out, *recs[MAXPKT];
	size_t lens[MAXPKT], i, start, npk = 0, o, cap = (ctl & 8) ? 40 : 65535, total = 24;
	uint32_t seq[2] = { 1000, 50000 }, t = 0;
	int k;

	if (n < 2)
		return NULL;
	sep = d[1];
	d += 2;
	n -= 2;
	if ((out = malloc(24 + (n + 64 * (MAXPKT + 4)) * 2)) == NULL)
		return NULL;
	/* SYN, SYN+ACK, then the chunks, then FIN both ways. */
	recs[npk] = malloc(16 + 40);
	lens[npk] = record(recs[npk], 0, seq[0]++, 0x02, NULL, 0, cap, t++);
	npk++;
	recs[npk] = malloc(16 + 40);
	lens[npk] = record(recs[npk], 1, seq[1]++, 0x12, NULL, 0, cap, t++);
	npk++;
	for (start = 0, i = 0, k = 0; i <= n && npk < MAXPKT - 2; i++) {
		if (i < n && d[i] != sep)
			continue;
		recs[npk] = malloc(16 + 40 + (i - start));
		lens[npk] = record(recs[npk], k & 1, seq[k & 1], 0x10, d + start, i - start, cap, t);
		seq[k & 1] += (uint32_t)(i - start);
		t += 3;
		npk++;
		k++;
		start = i + 1;
	}
	recs[npk] = malloc(16 + 40);
	lens[npk] = record(recs[npk], 0, seq[0], 0x11, NULL, 0, cap, t++);
	npk++;
	recs[npk] = malloc(16 + 40);
	lens[npk] = record(recs[npk], 1, seq[1], 0x11, NULL, 0, cap, t++);
	npk++;
	/* The global header: LINKTYPE_RAW (101). */
	put32(out, 0xa1b2c3d4);
	out[4] = 2; out[5] = 0; out[6] = 4; out[7] = 0;
	memset(out + 8, 0, 8);
	put32(out + 16, 65535);
	put32(out + 20, 101);
	o = 24;
	for (i = 0; i < npk; i++) {
		size_t j = i;
		if ((ctl & 2) && i + 1 < npk && (i % 2) == 0)
			j = i + 1;
		else if ((ctl & 2) && i % 2 == 1)
			j = i - 1;
		if ((ctl & 16) && j % 3 == 2)
			continue;
		memcpy(out + o, recs[j], lens[j]);
		o += lens[j];
		if (ctl & 4) {
			memcpy(out + o, recs[j], lens[j]);
			o += lens[j];
		}
	}
	for (i = 0; i < npk; i++)
		free(recs[i]);
	(void)total;
	*outlen = o;
	return out;
}

static void
check_str(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
}

static void
check_conn(const struct fs_conn_ev *c)
{
	check_str(c->close_reason, sizeof(c->close_reason));
	check_str(c->pre.from, sizeof(c->pre.from));
	check_str(c->pre.other, sizeof(c->pre.other));
	check_str(c->tls.version, sizeof(c->tls.version));
	check_str(c->tls.cipher, sizeof(c->tls.cipher));
	check_str(c->tls.cert.sans, sizeof(c->tls.cert.sans));
	check_str(c->stream, sizeof(c->stream));
	check_str(c->stream_error_text, sizeof(c->stream_error_text));
	check_str(c->dialback.condition, sizeof(c->dialback.condition));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_passive_opts o;
	struct fs_passive *p = NULL;
	char err[512], ebuf[PCAP_ERRBUF_SIZE];
	uint8_t *buf = NULL;
	size_t len = 0, i, k;
	FILE *f;
	pcap_t *h;
	json_t *j;
	struct fs_inference inf;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if ((buf = synth(data, size, &len)) == NULL)
			return 0;
	} else {
		len = size - 1;
		if ((buf = malloc(len + 1)) == NULL)
			return 0;
		memcpy(buf, data + 1, len);
	}
	memset(&o, 0, sizeof(o));
	/* Small bounds, so that the fuzzer reaches them. */
	o.limits.max_flows = 8;
	o.limits.max_dir_buf = 4096;
	o.limits.max_total_buf = 16384;
	o.ports[o.nports++] = 5222;
	if (len == 0 || (f = fmemopen(buf, len, "rb")) == NULL) {
		free(buf);
		return 0;
	}
	if ((h = pcap_fopen_offline(f, ebuf)) == NULL) {   /* libpcap leaves f open on failure */
		fclose(f);
		free(buf);
		return 0;
	}
	CHECK(fs_passive_new(&o, &p, err, sizeof(err)) == 0);
	fs_passive_pcap(p, h, err, sizeof(err));
	pcap_close(h);             /* closes f too */
	fs_passive_finish(p);
	for (i = 0; i < fs_passive_ndomains(p); i++) {
		const struct fs_domain_ev *d = fs_passive_domain(p, i);
		CHECK(d->nendpoints <= FS_MAX_ENDPOINTS);
		check_str(d->domain, sizeof(d->domain));
		for (k = 0; k < d->nendpoints; k++) {
			unsigned c;
			for (c = 0; c < FS_CONN_KIND_LAST; c++)
				check_conn(&d->endpoints[k].conns[c]);
		}
		fs_infer_domain(d, fs_passive_time(p), &inf);
	}
	j = fs_passive_initiators_json(p);
	CHECK(j != NULL);
	json_decref(j);
	j = fs_passive_stats_json(p);
	CHECK(j != NULL);
	CHECK(json_integer_value(json_object_get(json_object_get(j, "reassembly"), "max_buffered_bytes")) <= 16384);
	json_decref(j);
	fs_passive_free(p);
	free(buf);
	return 0;
}
