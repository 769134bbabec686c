/* pcap_read.h: decode captured packets (pcap and pcapng through libpcap) into TCP segments for reassembly. */
#ifndef FEDSCAN_PCAP_READ_H
#define FEDSCAN_PCAP_READ_H

#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "pcap/tcp_reasm.h"

/* Counters over the packets read; a packet that cannot be decoded is counted here and skipped, never fatal. */
struct fs_pcap_stats {
	uint64_t packets;        /* packets read */
	uint64_t bytes;          /* bytes on the wire (the records' original lengths) */
	uint64_t tcp;            /* TCP segments handed to the reassembler */
	uint64_t non_ip;         /* ARP, LLC, other link-layer protocols */
	uint64_t non_tcp;        /* UDP, ICMP, ... */
	uint64_t ip_fragments;   /* IP fragments (not reassembled: s2s traffic is not fragmented in practice) */
	uint64_t malformed;      /* bogus lengths or versions, headers cut by the snapshot length */
};

/* Whether fedscan decodes this link type: Ethernet (VLAN tags too), Linux cooked v1/v2, raw IP, BSD loopback/null. */
bool fs_pcap_linktype_ok(int dlt);

/*
 * Decode one packet of link type dlt: 1 and *seg filled (its data points into
 * bytes) for a TCP segment; 0 for anything else; -1 for a malformed packet.
 * st (may be NULL) counts what was not TCP.
 */
int fs_pcap_decode(int dlt, const struct pcap_pkthdr *h, const uint8_t *bytes, struct fs_tcp_seg *seg,
    struct fs_pcap_stats *st);

/*
 * Stream every packet of an open offline handle into r, one at a time (the
 * file is never loaded whole). 0 at the clean end of the file; -1 when libpcap
 * cannot read on (a truncated or corrupt file): err says "packet N: why", N
 * being the number of the packet that could not be read, and every packet
 * before it has been handed in.
 */
int fs_pcap_feed(pcap_t *p, struct fs_reasm *r, struct fs_pcap_stats *st, char *err, size_t errlen);

#endif
