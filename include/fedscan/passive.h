/* passive.h: audit partners from captured s2s traffic: streams -> the same evidence structs a probe fills. */
#ifndef FEDSCAN_PASSIVE_H
#define FEDSCAN_PASSIVE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "fedscan/evidence.h"
#include "fedscan/pcap_read.h"
#include "pcap/tcp_reasm.h"

/*
 * Bounds besides the reassembler's (tcp_reasm.h), so that memory stays bounded
 * whatever the capture:
 * - FS_PASSIVE_MAX_LIVE streams are parsed at once (two XML parsers each, freed
 *   as soon as TLS starts or the stream has told what it can); more are counted
 *   (streams_skipped) and not analysed;
 * - FS_PASSIVE_MAX_XML_BYTES of plaintext are parsed per direction (what follows
 *   authentication is stanzas, which tell nothing about the settings);
 * - FS_PASSIVE_MAX_ENDPOINTS receiving endpoints (about 36 KB of evidence each)
 *   and FS_PASSIVE_MAX_INITIATORS initiating servers are kept; streams to or
 *   from more are counted (endpoints_dropped, initiators_dropped).
 */
#define FS_PASSIVE_MAX_LIVE 1024U
#define FS_PASSIVE_MAX_XML_BYTES (256U * 1024U)
#define FS_PASSIVE_MAX_ENDPOINTS 2048U
#define FS_PASSIVE_MAX_INITIATORS 4096U
#define FS_PASSIVE_MAX_PORTS 16U
#define FS_PASSIVE_PORT 5269

/* The reason every passive result carries (only what happened is known: confidence marked honestly). */
#define FS_PASSIVE_REASON "passive: from a capture, only what happened is known"

struct fs_passive_opts {
	int ports[FS_PASSIVE_MAX_PORTS];   /* s2s ports besides 5269 (--port) */
	unsigned nports;
	const char *ca_file;               /* trust for the certificates seen in TLS <= 1.2 (NULL: the system's) */
	struct fs_reasm_limits limits;     /* zeros: the defaults */
};

struct fs_passive;

/* A new analysis. 0, or -1 with err. */
int fs_passive_new(const struct fs_passive_opts *o, struct fs_passive **out, char *err, size_t errlen);
/* Read every packet of an open offline handle. 0, or -1 with err ("packet N: ..."); what was read is kept. */
int fs_passive_pcap(struct fs_passive *p, pcap_t *h, char *err, size_t errlen);
/* Hand in one decoded segment (tests, fuzzing). */
void fs_passive_segment(struct fs_passive *p, const struct fs_tcp_seg *seg);
/* The input ended: every stream still open is judged as it stands. */
void fs_passive_finish(struct fs_passive *p);
/* The receiving domains seen, as evidence for fs_infer_domain() / fs_report_partner(). */
size_t fs_passive_ndomains(const struct fs_passive *p);
const struct fs_domain_ev *fs_passive_domain(const struct fs_passive *p, size_t i);
/* The time of the last packet (UNIX seconds): certificate expiry is judged at the time of the capture. */
long long fs_passive_time(const struct fs_passive *p);
/* The "initiators" array: what each initiating server did (new reference). */
json_t *fs_passive_initiators_json(const struct fs_passive *p);
/* The "capture" object: packets, flows, streams, reassembly counters and bounds (new reference). */
json_t *fs_passive_stats_json(const struct fs_passive *p);
/* Print the initiators as text. */
void fs_passive_text_initiators(FILE *f, const json_t *initiators);
/* Print the capture summary as text. */
void fs_passive_text_stats(FILE *f, const json_t *stats);
/* Free; NULL is allowed. */
void fs_passive_free(struct fs_passive *p);

#endif
