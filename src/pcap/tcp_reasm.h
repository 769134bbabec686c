/* tcp_reasm.h: per-flow TCP reassembly of captured segments, both directions, with hard memory bounds. */
#ifndef FEDSCAN_TCP_REASM_H
#define FEDSCAN_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bounds (struct fs_reasm_limits; 0 in a field = the default below). Whatever
 * the input, the reassembler holds at most
 *     max_flows * ~300 bytes (flow table)  +  max_total_buf (out-of-order data)
 * and no flow holds more than max_dir_buf bytes per direction. What a bound
 * costs is counted in struct fs_reasm_stats, never fatal:
 * - a new flow when max_flows are tracked evicts the least recently active one
 *   (flows_evicted); flows idle for idle_timeout_s seconds of capture time end
 *   (flows_idle);
 * - out-of-order data beyond max_dir_buf (or past max_total_buf in all) makes the
 *   direction give up on its oldest hole: the hole is reported as a gap
 *   (missing_bytes, forced_gaps) and delivery goes on after it.
 */
#define FS_REASM_MAX_FLOWS 65536U
#define FS_REASM_MAX_DIR_BUF (256U * 1024U)
#define FS_REASM_MAX_TOTAL_BUF (64U * 1024U * 1024U)
#define FS_REASM_IDLE_TIMEOUT_S 900L

struct fs_reasm_limits {
	size_t max_flows;
	size_t max_dir_buf;
	size_t max_total_buf;
	long idle_timeout_s;
};

/* One side of a flow: IPv4 (family 4, 4 bytes of addr) or IPv6 (family 6, 16 bytes). */
struct fs_flow_addr {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

#define FS_TCP_FIN 0x01
#define FS_TCP_SYN 0x02
#define FS_TCP_RST 0x04
#define FS_TCP_ACK 0x10

/* One decoded TCP segment (from pcap_read.c or a test). */
struct fs_tcp_seg {
	struct fs_flow_addr src, dst;
	uint32_t seq;
	uint8_t flags;
	const uint8_t *data;
	size_t len;        /* payload bytes captured */
	size_t wire_len;   /* payload bytes the IP header announced: more than len = snaplen truncation */
	int64_t ts_us;     /* capture time, microseconds since the epoch */
};

/* What is known of a flow; handed to every callback. Direction 0 = client to server, 1 = server to client. */
struct fs_flow_info {
	uint64_t id;                 /* 1, 2, ... in order of appearance */
	struct fs_flow_addr client;  /* the side that sent the SYN (else: the sender of the first packet seen) */
	struct fs_flow_addr server;
	bool saw_syn;                /* the client's SYN was captured: direction 0 starts at the stream's start */
	bool saw_synack;             /* the server answered the SYN */
	bool midstream[2];           /* this direction's first byte was not captured */
	uint64_t bytes[2];           /* payload bytes announced per direction */
	bool fin[2], rst[2];         /* who closed, and how */
	int64_t first_us, last_us;
};

/* How a flow ended. */
enum fs_flow_end {
	FS_FLOW_CLOSED = 0,  /* FIN both ways, or a RST */
	FS_FLOW_EVICTED,     /* max_flows reached: the least recently active flow made room */
	FS_FLOW_IDLE,        /* nothing for idle_timeout_s of capture time */
	FS_FLOW_EOF,         /* the input ended (fs_reasm_finish) */
	FS_FLOW_IGNORED,     /* the consumer returned FS_REASM_IGNORE */
};

/* What the data callback wants next. */
#define FS_REASM_MORE 0       /* keep delivering bytes */
#define FS_REASM_ENOUGH 1     /* no more bytes for this flow; close() still comes at its end */
#define FS_REASM_IGNORE 2     /* drop the flow now: close(FS_FLOW_IGNORED) follows at once */

struct fs_reasm_cb {
	/*
	 * In-order bytes of one direction. *ctx is the consumer's per-flow pointer,
	 * NULL until the consumer sets it. n == 0 with gap > 0: gap bytes are
	 * missing here (lost, truncated, or given up on), and the next bytes follow them.
	 */
	int (*data)(void *ud, void **ctx, const struct fs_flow_info *fi, int dir, const uint8_t *p, size_t n,
	    uint64_t gap, int64_t ts_us);
	/* Every flow ends with exactly one call (ctx may be NULL). */
	void (*close)(void *ud, void *ctx, const struct fs_flow_info *fi, enum fs_flow_end why);
};

struct fs_reasm_stats {
	uint64_t segments;            /* TCP segments handed in */
	uint64_t flows;               /* flows seen */
	uint64_t flows_evicted;
	uint64_t flows_idle;
	uint64_t flows_midstream;     /* flows whose start was not captured */
	uint64_t flows_reused;        /* a new SYN on a live 4-tuple ended the old flow */
	uint64_t max_concurrent;      /* most flows tracked at once */
	uint64_t out_of_order;        /* segments that arrived ahead of a hole */
	uint64_t retransmitted_bytes; /* bytes already delivered, seen again */
	uint64_t overlap_bytes;       /* bytes that overlapped buffered data (the first copy is kept) */
	uint64_t overlap_conflicts;   /* overlaps whose bytes differed from the first copy */
	uint64_t missing_bytes;       /* holes given up on (never captured, or past the buffer bounds) */
	uint64_t truncated_bytes;     /* payload cut by the snapshot length */
	uint64_t forced_gaps;         /* holes skipped because a buffer bound was reached */
	uint64_t bad_segments;        /* flags or lengths that make no sense (e.g. SYN+RST), skipped */
	size_t buffered_bytes;        /* out-of-order bytes held now */
	size_t max_buffered_bytes;    /* ... at most */
};

struct fs_reasm;

/* A new reassembler (limits may be NULL). NULL on out-of-memory. */
struct fs_reasm *fs_reasm_new(const struct fs_reasm_limits *limits, const struct fs_reasm_cb *cb, void *ud);
/* Hand in one segment, in capture order. */
void fs_reasm_segment(struct fs_reasm *r, const struct fs_tcp_seg *seg);
/* The input ended: deliver what is buffered (with gaps) and end every flow with FS_FLOW_EOF. */
void fs_reasm_finish(struct fs_reasm *r);
/* Counters so far. */
const struct fs_reasm_stats *fs_reasm_stats(const struct fs_reasm *r);
/* Flows tracked now. */
size_t fs_reasm_nflows(const struct fs_reasm *r);
/* Free (flows still open end with FS_FLOW_EOF first); NULL is allowed. */
void fs_reasm_free(struct fs_reasm *r);

/* "192.0.2.1" or "2001:db8::1" for a flow address. */
void fs_flow_addr_str(const struct fs_flow_addr *a, char *buf, size_t size);

#endif
