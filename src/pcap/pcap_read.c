/* pcap_read.c: captured packets (any link type libpcap hands us that we know) to TCP segments. */
#include <stdio.h>
#include <string.h>

#include "fedscan/pcap_read.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define MAX_VLAN_TAGS 4

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool
fs_pcap_linktype_ok(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
	case DLT_NULL: case DLT_LOOP:
#if DLT_RAW != 14
	case 14:        /* DLT_RAW as OpenBSD numbers it */
#endif
		return true;
	default:
		return false;
	}
}

/* VLAN tags (802.1Q, 802.1ad, the old QinQ value) in front of the real EtherType. */
static bool
is_vlan(uint16_t et)
{
	return et == 0x8100 || et == 0x88a8 || et == 0x9100;
}

/* The TCP header at p (len bytes captured, plen announced by IP). */
static int
decode_tcp(const uint8_t *p, size_t caplen, size_t plen, struct fs_tcp_seg *seg, struct fs_pcap_stats *st)
{
	size_t hl;

	if (caplen < 20 || plen < 20)
		goto out;
	hl = (size_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > plen || hl > caplen)
		goto out;
	seg->src.port = be16(p);
	seg->dst.port = be16(p + 2);
	seg->seq = be32(p + 4);
	seg->flags = p[13] & (FS_TCP_FIN | FS_TCP_SYN | FS_TCP_RST | FS_TCP_ACK);
	seg->data = p + hl;
	seg->wire_len = plen - hl;
	seg->len = caplen - hl < seg->wire_len ? caplen - hl : seg->wire_len;
	if (st != NULL)
		st->tcp++;
	return 1;
out:
	if (st != NULL)
		st->malformed++;
	return -1;
}

static int
decode_ipv4(const uint8_t *p, size_t caplen, struct fs_tcp_seg *seg, struct fs_pcap_stats *st)
{
	size_t hl, total;
	uint16_t frag;

	if (caplen < 20 || (p[0] >> 4) != 4)
		goto out;
	hl = (size_t)(p[0] & 0x0f) * 4;
	total = be16(p + 2);
	if (hl < 20 || total < hl || caplen < hl)
		goto out;
	frag = be16(p + 6);
	if ((frag & 0x2000) || (frag & 0x1fff)) {
		if (st != NULL)
			st->ip_fragments++;
		return 0;
	}
	if (p[9] != 6) {
		if (st != NULL)
			st->non_tcp++;
		return 0;
	}
	seg->src.family = seg->dst.family = 4;
	memset(seg->src.addr, 0, sizeof(seg->src.addr));
	memset(seg->dst.addr, 0, sizeof(seg->dst.addr));
	memcpy(seg->src.addr, p + 12, 4);
	memcpy(seg->dst.addr, p + 16, 4);
	/* caplen beyond total is link-layer padding; total beyond caplen is the snapshot length at work. */
	return decode_tcp(p + hl, (caplen < total ? caplen : total) - hl, total - hl, seg, st);
out:
	if (st != NULL)
		st->malformed++;
	return -1;
}

static int
decode_ipv6(const uint8_t *p, size_t caplen, struct fs_tcp_seg *seg, struct fs_pcap_stats *st)
{
	size_t off = 40, plen, end, hl;
	uint8_t nh;
	int n;

	if (caplen < 40 || (p[0] >> 4) != 6)
		goto out;
	plen = be16(p + 4);
	if (plen == 0)          /* a jumbogram (RFC 2675): not on an s2s link */
		goto out;
	end = 40 + plen;
	nh = p[6];
	/* Extension headers, each bounded by what was captured and by the payload length. */
	for (n = 0; n < 16 && nh != 6; n++) {
		switch (nh) {
		case 0: case 43: case 60:   /* hop-by-hop, routing, destination options */
			if (off + 8 > caplen || off + 8 > end)
				goto out;
			hl = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51:                    /* AH */
			if (off + 8 > caplen || off + 8 > end)
				goto out;
			hl = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44:                    /* fragment */
			if (st != NULL)
				st->ip_fragments++;
			return 0;
		default:
			if (st != NULL)
				st->non_tcp++;
			return 0;
		}
		nh = p[off];
		off += hl;
		if (off > end || off > caplen)
			goto out;
	}
	if (nh != 6) {
		if (st != NULL)
			st->non_tcp++;
		return 0;
	}
	seg->src.family = seg->dst.family = 6;
	memcpy(seg->src.addr, p + 8, 16);
	memcpy(seg->dst.addr, p + 24, 16);
	return decode_tcp(p + off, (caplen < end ? caplen : end) - off, end - off, seg, st);
out:
	if (st != NULL)
		st->malformed++;
	return -1;
}

static int
decode_ip(const uint8_t *p, size_t caplen, struct fs_tcp_seg *seg, struct fs_pcap_stats *st)
{
	if (caplen < 1) {
		if (st != NULL)
			st->malformed++;
		return -1;
	}
	if ((p[0] >> 4) == 4)
		return decode_ipv4(p, caplen, seg, st);
	if ((p[0] >> 4) == 6)
		return decode_ipv6(p, caplen, seg, st);
	if (st != NULL)
		st->non_ip++;
	return 0;
}

/* Skip VLAN tags; then IPv4/IPv6 by EtherType. et is the EtherType at p - 2. */
static int
decode_ethertype(uint16_t et, const uint8_t *p, size_t caplen, struct fs_tcp_seg *seg, struct fs_pcap_stats *st)
{
	int n;

	for (n = 0; is_vlan(et) && n < MAX_VLAN_TAGS; n++) {
		if (caplen < 4) {
			if (st != NULL)
				st->malformed++;
			return -1;
		}
		et = be16(p + 2);
		p += 4;
		caplen -= 4;
	}
	if (et == ETH_IPV4 || et == ETH_IPV6)
		return decode_ip(p, caplen, seg, st);
	if (st != NULL)
		st->non_ip++;
	return 0;
}

int
fs_pcap_decode(int dlt, const struct pcap_pkthdr *h, const uint8_t *b, struct fs_tcp_seg *seg,
    struct fs_pcap_stats *st)
{
	size_t n = h->caplen;
	uint32_t af;

	memset(seg, 0, sizeof(*seg));
	seg->ts_us = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			break;
		return decode_ethertype(be16(b + 12), b + 14, n - 14, seg, st);
	case DLT_LINUX_SLL:     /* 16 bytes; the protocol (an EtherType for IP) last */
		if (n < 16)
			break;
		return decode_ethertype(be16(b + 14), b + 16, n - 16, seg, st);
	case DLT_LINUX_SLL2:    /* 20 bytes; the protocol first */
		if (n < 20)
			break;
		return decode_ethertype(be16(b), b + 20, n - 20, seg, st);
	case DLT_NULL:          /* 4 bytes: the address family in the capturing host's byte order */
	case DLT_LOOP:          /* ... in network byte order */
		if (n < 4)
			break;
		memcpy(&af, b, 4);
		if (dlt == DLT_LOOP || (af & 0xffff0000u) != 0)
			af = be32(b);
		if ((af & 0xffff0000u) != 0)
			af = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		/* AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (BSDs), 28 (FreeBSD), 30 (macOS). */
		if (af == 2 || af == 10 || af == 24 || af == 28 || af == 30)
			return decode_ip(b + 4, n - 4, seg, st);
		if (st != NULL)
			st->non_ip++;
		return 0;
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_RAW:
#if DLT_RAW != 14
	case 14:
#endif
		return decode_ip(b, n, seg, st);
	default:
		if (st != NULL)
			st->non_ip++;
		return 0;
	}
	if (st != NULL)
		st->malformed++;
	return -1;
}

int
fs_pcap_feed(pcap_t *p, struct fs_reasm *r, struct fs_pcap_stats *st, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *b;
	struct fs_tcp_seg seg;
	int dlt = pcap_datalink(p), rc;

	if (!fs_pcap_linktype_ok(dlt)) {
		snprintf(err, errlen, "link type %s (%d) is not supported (Ethernet, Linux cooked, raw IP and "
		    "loopback are)", pcap_datalink_val_to_name(dlt) != NULL ? pcap_datalink_val_to_name(dlt) : "?", dlt);
		return -1;
	}
	for (;;) {
		rc = pcap_next_ex(p, &h, &b);
		if (rc == PCAP_ERROR_BREAK)
			return 0;
		if (rc != 1) {
			snprintf(err, errlen, "packet %llu: %s", (unsigned long long)st->packets + 1,
			    rc == PCAP_ERROR ? pcap_geterr(p) : "unreadable record");
			return -1;
		}
		st->packets++;
		st->bytes += h->len;
		if (h->caplen > h->len && h->len > 0) {
			/* A record claiming more bytes captured than were on the wire: use what the wire had. */
			struct pcap_pkthdr fixed = *h;
			fixed.caplen = h->len;
			rc = fs_pcap_decode(dlt, &fixed, b, &seg, st);
		} else {
			rc = fs_pcap_decode(dlt, h, b, &seg, st);
		}
		if (rc == 1)
			fs_reasm_segment(r, &seg);
	}
}
