/* infer_int.h: what the sections of src/model/infer.c and src/model/infer_proof.c share (one endpoint's context). */
#ifndef FEDSCAN_MODEL_INFER_INT_H
#define FEDSCAN_MODEL_INFER_INT_H

#include <stdbool.h>

#include "fedscan/evidence.h"
#include "fedscan/infer.h"

/* What the sections of one endpoint's inference share: the evidence, the connections that matter, the result. */
struct ep_ctx {
	const struct fs_domain_ev *d;
	const struct fs_endpoint_ev *ep;
	const struct fs_conn_ev *c1, *c2, *c3;     /* starttls, plain, direct-tls */
	const struct fs_conn_ev *tlsc;             /* the connection whose TLS we judge: C1, else C3 */
	const struct fs_stream_ev *pre, *post;     /* the first stream's features, before and after TLS */
	const struct fs_conn_ev *dbs[FS_CONN_KIND_LAST];  /* the connections that sent db:result */
	unsigned ndb;
	bool have_cert, any_feature_db, any_db_ns;
	bool db_true, db_false_tls, db_false_plain, db_pend, db_any_sent;  /* what the db:result answers showed */
	bool tls_by_ad;                            /* TLS was decided by the features alone (T1, T3, T4) */
	bool tls_pend;                             /* TLS Optional rests on a plain dialback still pending (T7) */
	char where[FS_EV_TEXT];
	struct fs_inference *r;
};

/* Append an evidence line (rule id first), dropped when FS_INFER_LINES are already there. */
void infer_line(struct fs_inference *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The session proof lines P1-P3 (doc/inference-rules.md#proof-rules). */
void infer_proof_lines(struct ep_ctx *x);
/* What broke first, when no authentication was answered (doc/inference-rules.md#what-broke). */
void infer_what_broke(struct ep_ctx *x);
/* Unknown fields say the partner broke instead of a guess. */
void infer_broke_unknowns(struct fs_inference *r);
/* Sink mode's confidence caps and the --listen hint (doc/inference-rules.md#confidence). */
void infer_calibrate(struct ep_ctx *x);

#endif
