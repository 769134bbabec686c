/* tcp_reasm.c: per-flow TCP reassembly of captured segments (both directions), bounded in flows and bytes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "pcap/tcp_reasm.h"

/* A hole or a piece of data waiting for the bytes before it. */
struct seg {
	struct seg *next;
	uint64_t off;          /* stream offset of the first byte */
	size_t len;
	bool gap;              /* known missing (snaplen truncation), no data */
	uint8_t data[];
};

/* What one buffered piece costs against the bounds: a hole still costs its node. */
#define SEG_COST(len, gap) (sizeof(struct seg) + ((gap) ? 0 : (len)))

struct dirst {
	bool init;             /* the sequence number of the next byte is known */
	uint32_t isn;          /* the SYN's sequence number (direction 0 with saw_syn) */
	uint32_t seq0;           /* the sequence number of stream offset 0 */
	uint64_t next_off;     /* stream offset of the next byte to deliver */
	bool fin;
	uint64_t fin_off;
	bool done;             /* everything up to the FIN was delivered */
	struct seg *buf;       /* sorted by off, not overlapping */
	size_t buffered;       /* SEG_COST of the pieces in buf */
};

struct flow {
	struct flow *hnext;
	TAILQ_ENTRY(flow) lru;
	uint32_t hash;
	struct fs_flow_info fi;
	struct dirst d[2];
	void *ctx;
	int mode;              /* FS_REASM_MORE, _ENOUGH or _IGNORE (closed for the consumer already) */
	bool ending;
};

TAILQ_HEAD(flowq, flow);

struct fs_reasm {
	struct fs_reasm_limits lim;
	struct fs_reasm_cb cb;
	void *ud;
	struct flow **tab;
	size_t tabmask;
	struct flowq lru;      /* least recently active first */
	size_t nflows;
	uint64_t next_id;
	int64_t now_us;
	struct fs_reasm_stats st;
};

static uint32_t
hash_side(const struct fs_flow_addr *a)
{
	uint32_t h = 2166136261u;
	size_t i, n = a->family == 6 ? 16 : 4;

	for (i = 0; i < n; i++)
		h = (h ^ a->addr[i]) * 16777619u;
	h = (h ^ (a->port & 0xff)) * 16777619u;
	h = (h ^ (a->port >> 8)) * 16777619u;
	return h;
}

static bool
same_side(const struct fs_flow_addr *a, const struct fs_flow_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    memcmp(a->addr, b->addr, a->family == 6 ? 16 : 4) == 0;
}

void
fs_flow_addr_str(const struct fs_flow_addr *a, char *buf, size_t size)
{
	if (size == 0)
		return;
	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, buf, (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
}

struct fs_reasm *
fs_reasm_new(const struct fs_reasm_limits *limits, const struct fs_reasm_cb *cb, void *ud)
{
	struct fs_reasm *r;
	size_t n = 1024;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (limits != NULL)
		r->lim = *limits;
	if (r->lim.max_flows == 0)
		r->lim.max_flows = FS_REASM_MAX_FLOWS;
	if (r->lim.max_dir_buf == 0)
		r->lim.max_dir_buf = FS_REASM_MAX_DIR_BUF;
	if (r->lim.max_total_buf == 0)
		r->lim.max_total_buf = FS_REASM_MAX_TOTAL_BUF;
	if (r->lim.idle_timeout_s <= 0)
		r->lim.idle_timeout_s = FS_REASM_IDLE_TIMEOUT_S;
	while (n < r->lim.max_flows && n < (1U << 24))
		n <<= 1;
	if ((r->tab = calloc(n, sizeof(*r->tab))) == NULL) {
		free(r);
		return NULL;
	}
	r->tabmask = n - 1;
	r->cb = *cb;
	r->ud = ud;
	TAILQ_INIT(&r->lru);
	return r;
}

const struct fs_reasm_stats *
fs_reasm_stats(const struct fs_reasm *r)
{
	return &r->st;
}

size_t
fs_reasm_nflows(const struct fs_reasm *r)
{
	return r->nflows;
}

/* Hand bytes (or a hole) to the consumer, unless it has had enough. */
static void
emit(struct fs_reasm *r, struct flow *f, int dir, const uint8_t *p, size_t n, uint64_t gap)
{
	int rc;

	if (f->mode != FS_REASM_MORE || (n == 0 && gap == 0))
		return;
	rc = r->cb.data(r->ud, &f->ctx, &f->fi, dir, p, n, gap, r->now_us);
	if (rc == FS_REASM_ENOUGH) {
		f->mode = FS_REASM_ENOUGH;
	} else if (rc == FS_REASM_IGNORE) {
		f->mode = FS_REASM_IGNORE;
		r->cb.close(r->ud, f->ctx, &f->fi, FS_FLOW_IGNORED);
		f->ctx = NULL;
	}
}

static void
free_buf(struct fs_reasm *r, struct dirst *d)
{
	struct seg *s;

	while ((s = d->buf) != NULL) {
		d->buf = s->next;
		r->st.buffered_bytes -= SEG_COST(s->len, s->gap);
		free(s);
	}
	d->buffered = 0;
}

/* Deliver the buffered pieces that now follow on without a hole. */
static void
drain(struct fs_reasm *r, struct flow *f, int dir)
{
	struct dirst *d = &f->d[dir];
	struct seg *s;
	uint64_t skip;

	while ((s = d->buf) != NULL && s->off <= d->next_off) {
		d->buf = s->next;
		d->buffered -= SEG_COST(s->len, s->gap);
		r->st.buffered_bytes -= SEG_COST(s->len, s->gap);
		if (s->off + s->len > d->next_off) {
			skip = d->next_off - s->off;
			if (s->gap) {
				emit(r, f, dir, NULL, 0, s->len - skip);
			} else {
				emit(r, f, dir, s->data + skip, s->len - skip, 0);
			}
			d->next_off = s->off + s->len;
		}
		free(s);
	}
}

/* Give up on the hole before the first buffered piece: report it missing and go on after it. */
static void
skip_hole(struct fs_reasm *r, struct flow *f, int dir, bool forced)
{
	struct dirst *d = &f->d[dir];
	uint64_t n;

	if (d->buf == NULL)
		return;
	if (d->buf->off > d->next_off) {
		n = d->buf->off - d->next_off;
		r->st.missing_bytes += n;
		if (forced)
			r->st.forced_gaps++;
		emit(r, f, dir, NULL, 0, n);
		d->next_off = d->buf->off;
	}
	drain(r, f, dir);
}

/* Insert [off, off+n) (data p, or a hole when p is NULL) into the sorted buffer; the first copy of a byte wins. */
static void
buffer_range(struct fs_reasm *r, struct flow *f, int dir, uint64_t off, const uint8_t *p, size_t n)
{
	struct dirst *d = &f->d[dir];
	struct seg **link, *s, *nw;
	uint64_t cur = off, end = off + n, stop, ov;
	size_t k, cost;

	while (cur < end && f->mode != FS_REASM_IGNORE) {
		if (cur < d->next_off) {
			/* Delivered meanwhile (a hole was given up on): old bytes now. */
			ov = (end < d->next_off ? end : d->next_off) - cur;
			if (p != NULL)
				r->st.retransmitted_bytes += ov;
			cur += ov;
			continue;
		}
		link = &d->buf;
		while (*link != NULL && (*link)->off + (*link)->len <= cur)
			link = &(*link)->next;
		s = *link;
		if (s != NULL && s->off <= cur) {
			/* Overlap with a buffered piece: keep the first copy, count, compare. */
			ov = (s->off + s->len < end ? s->off + s->len : end) - cur;
			r->st.overlap_bytes += ov;
			if (p != NULL && !s->gap && memcmp(s->data + (cur - s->off), p + (cur - off), ov) != 0)
				r->st.overlap_conflicts++;
			cur += ov;
			continue;
		}
		stop = s != NULL && s->off < end ? s->off : end;
		k = (size_t)(stop - cur);
		cost = SEG_COST(k, p == NULL);
		if (d->buffered + cost > r->lim.max_dir_buf || r->st.buffered_bytes + cost > r->lim.max_total_buf) {
			if (d->buf != NULL) {
				/* Make room by giving up on the oldest hole, then look again. */
				skip_hole(r, f, dir, true);
				continue;
			}
			/* Nothing buffered to give up: give up on the hole before this piece and deliver it. */
			if (cur > d->next_off) {
				r->st.missing_bytes += cur - d->next_off;
				r->st.forced_gaps++;
				emit(r, f, dir, NULL, 0, cur - d->next_off);
			}
			if (p != NULL)
				emit(r, f, dir, p + (cur - off), k, 0);
			else
				emit(r, f, dir, NULL, 0, k);
			d->next_off = stop;
			cur = stop;
			continue;
		}
		if ((nw = malloc(sizeof(*nw) + (p != NULL ? k : 0))) == NULL)
			return;   /* out of memory: these bytes become a hole, reported when the flow ends */
		nw->off = cur;
		nw->len = k;
		nw->gap = p == NULL;
		if (p != NULL)
			memcpy(nw->data, p + (cur - off), k);
		nw->next = *link;
		*link = nw;
		d->buffered += cost;
		r->st.buffered_bytes += cost;
		if (r->st.buffered_bytes > r->st.max_buffered_bytes)
			r->st.max_buffered_bytes = r->st.buffered_bytes;
		cur = stop;
	}
}

/* Bytes [off, off+n) of direction dir (data p, or a hole when p is NULL). */
static void
put_range(struct fs_reasm *r, struct flow *f, int dir, uint64_t off, const uint8_t *p, size_t n)
{
	struct dirst *d = &f->d[dir];
	uint64_t end = off + n, k;

	if (n == 0)
		return;
	if (end <= d->next_off) {
		if (p != NULL)
			r->st.retransmitted_bytes += n;
		return;
	}
	if (off < d->next_off) {
		k = d->next_off - off;
		if (p != NULL) {
			r->st.retransmitted_bytes += k;
			p += k;
		}
		off = d->next_off;
		n -= (size_t)k;
	}
	if (off == d->next_off && (d->buf == NULL || d->buf->off >= end)) {
		if (p != NULL)
			emit(r, f, dir, p, n, 0);
		else
			emit(r, f, dir, NULL, 0, n);
		d->next_off = end;
	} else {
		if (off > d->next_off)
			r->st.out_of_order++;
		buffer_range(r, f, dir, off, p, n);
	}
	drain(r, f, dir);
}

static void
lru_touch(struct fs_reasm *r, struct flow *f)
{
	TAILQ_REMOVE(&r->lru, f, lru);
	TAILQ_INSERT_TAIL(&r->lru, f, lru);
}

static void
unlink_flow(struct fs_reasm *r, struct flow *f)
{
	struct flow **pp = &r->tab[f->hash & r->tabmask];

	while (*pp != NULL && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp == f)
		*pp = f->hnext;
	TAILQ_REMOVE(&r->lru, f, lru);
	r->nflows--;
}

/* Deliver what is left (holes as gaps), tell the consumer, free. */
static void
end_flow(struct fs_reasm *r, struct flow *f, enum fs_flow_end why)
{
	int dir;

	if (f->ending)
		return;
	f->ending = true;
	for (dir = 0; dir < 2; dir++) {
		struct dirst *d = &f->d[dir];
		while (d->buf != NULL)
			skip_hole(r, f, dir, false);
		if (d->fin && d->next_off < d->fin_off) {
			r->st.missing_bytes += d->fin_off - d->next_off;
			emit(r, f, dir, NULL, 0, d->fin_off - d->next_off);
			d->next_off = d->fin_off;
		}
	}
	if (f->mode != FS_REASM_IGNORE)
		r->cb.close(r->ud, f->ctx, &f->fi, why);
	unlink_flow(r, f);
	for (dir = 0; dir < 2; dir++)
		free_buf(r, &f->d[dir]);
	free(f);
}

static struct flow *
lookup(struct fs_reasm *r, const struct fs_tcp_seg *s, uint32_t h)
{
	struct flow *f;

	for (f = r->tab[h & r->tabmask]; f != NULL; f = f->hnext)
		if (f->hash == h && ((same_side(&f->fi.client, &s->src) && same_side(&f->fi.server, &s->dst)) ||
		    (same_side(&f->fi.client, &s->dst) && same_side(&f->fi.server, &s->src))))
			return f;
	return NULL;
}

static struct flow *
new_flow(struct fs_reasm *r, const struct fs_tcp_seg *s, uint32_t h)
{
	struct flow *f;

	if (r->nflows >= r->lim.max_flows && !TAILQ_EMPTY(&r->lru)) {
		r->st.flows_evicted++;
		end_flow(r, TAILQ_FIRST(&r->lru), FS_FLOW_EVICTED);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->hash = h;
	f->fi.id = ++r->next_id;
	/* The SYN's sender is the client; a SYN+ACK comes from the server; otherwise the first sender is taken. */
	if ((s->flags & (FS_TCP_SYN | FS_TCP_ACK)) == (FS_TCP_SYN | FS_TCP_ACK)) {
		f->fi.client = s->dst;
		f->fi.server = s->src;
	} else {
		f->fi.client = s->src;
		f->fi.server = s->dst;
	}
	f->fi.first_us = s->ts_us;
	f->hnext = r->tab[h & r->tabmask];
	r->tab[h & r->tabmask] = f;
	TAILQ_INSERT_TAIL(&r->lru, f, lru);
	r->nflows++;
	r->st.flows++;
	if (r->nflows > r->st.max_concurrent)
		r->st.max_concurrent = r->nflows;
	return f;
}

static void
expire_idle(struct fs_reasm *r)
{
	struct flow *f;
	int64_t limit = (int64_t)r->lim.idle_timeout_s * 1000000;

	while ((f = TAILQ_FIRST(&r->lru)) != NULL && r->now_us - f->fi.last_us > limit) {
		r->st.flows_idle++;
		end_flow(r, f, FS_FLOW_IDLE);
	}
}

void
fs_reasm_segment(struct fs_reasm *r, const struct fs_tcp_seg *s)
{
	struct flow *f;
	struct dirst *d;
	uint32_t h, dseq;
	uint64_t off;
	int dir;
	bool syn = (s->flags & FS_TCP_SYN) != 0, ack = (s->flags & FS_TCP_ACK) != 0;

	r->st.segments++;
	if ((syn && (s->flags & (FS_TCP_RST | FS_TCP_FIN))) || s->src.family != s->dst.family ||
	    (s->src.family != 4 && s->src.family != 6) || s->len > s->wire_len || s->wire_len > 65535) {
		r->st.bad_segments++;
		return;
	}
	if (s->ts_us > r->now_us)
		r->now_us = s->ts_us;
	if ((r->st.segments & 1023) == 0)
		expire_idle(r);
	h = hash_side(&s->src) + hash_side(&s->dst);
	f = lookup(r, s, h);
	if (f != NULL && syn && !ack && same_side(&s->src, &f->fi.client) && f->d[0].init &&
	    (!f->fi.saw_syn || f->d[0].isn != s->seq)) {
		/* A new connection on the same 4-tuple (port reuse): the old one is over. */
		r->st.flows_reused++;
		end_flow(r, f, FS_FLOW_CLOSED);
		f = NULL;
	}
	if (f == NULL) {
		/* A bare ACK, FIN or RST of a flow we do not know starts nothing. */
		if (!syn && s->wire_len == 0)
			return;
		if ((f = new_flow(r, s, h)) == NULL)
			return;
	} else {
		lru_touch(r, f);
	}
	f->fi.last_us = s->ts_us > f->fi.last_us ? s->ts_us : f->fi.last_us;
	dir = same_side(&s->src, &f->fi.client) ? 0 : 1;
	d = &f->d[dir];
	dseq = s->seq;
	if (syn) {
		if (dir == 0 && !ack)
			f->fi.saw_syn = true;
		if (dir == 1 && ack)
			f->fi.saw_synack = true;
		if (!d->init) {
			d->init = true;
			d->isn = s->seq;
			d->seq0 = s->seq + 1;
			d->next_off = 0;
		}
		dseq = s->seq + 1;
	} else if (!d->init) {
		if (s->wire_len == 0 && !(s->flags & FS_TCP_FIN))
			goto out;
		d->init = true;
		d->seq0 = s->seq;
		d->next_off = 0;
		if (!f->fi.midstream[0] && !f->fi.midstream[1])
			r->st.flows_midstream++;
		f->fi.midstream[dir] = true;
	}
	/* The stream offset of this segment, from the 32-bit distance to the next expected byte. */
	off = d->next_off + (uint64_t)(int64_t)(int32_t)(dseq - (uint32_t)(d->seq0 + (uint32_t)d->next_off));
	if ((int64_t)off < 0) {
		/* Before the first byte we know of (a retransmission from before the capture): nothing to deliver. */
		r->st.retransmitted_bytes += s->len;
		goto out;
	}
	f->fi.bytes[dir] += s->wire_len;
	if (s->wire_len > s->len)
		r->st.truncated_bytes += s->wire_len - s->len;
	if (f->mode != FS_REASM_IGNORE) {
		put_range(r, f, dir, off, s->data, s->len);
		if (s->wire_len > s->len)
			put_range(r, f, dir, off + s->len, NULL, s->wire_len - s->len);
	} else if (off + s->wire_len > d->next_off) {
		d->next_off = off + s->wire_len;
	}
	if ((s->flags & FS_TCP_FIN) && !d->fin) {
		d->fin = true;
		d->fin_off = off + s->wire_len;
		f->fi.fin[dir] = true;
	}
	if (d->fin && d->next_off >= d->fin_off && d->buf == NULL)
		d->done = true;
out:
	if (s->flags & FS_TCP_RST) {
		f->fi.rst[dir] = true;
		end_flow(r, f, FS_FLOW_CLOSED);
		return;
	}
	if (f->d[0].done && f->d[1].done)
		end_flow(r, f, FS_FLOW_CLOSED);
}

void
fs_reasm_finish(struct fs_reasm *r)
{
	struct flow *f;

	while ((f = TAILQ_FIRST(&r->lru)) != NULL)
		end_flow(r, f, FS_FLOW_EOF);
}

void
fs_reasm_free(struct fs_reasm *r)
{
	if (r == NULL)
		return;
	fs_reasm_finish(r);
	free(r->tab);
	free(r);
}
