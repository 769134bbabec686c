/* assess.h: one partner's typed assessment, built once by fs_assess() and read by every output and by the store. */
#ifndef FEDSCAN_ASSESS_H
#define FEDSCAN_ASSESS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fedscan/evidence.h"
#include "fedscan/infer.h"
#include "fedscan/lync.h"
#include "fedscan/policy.h"
#include "fedscan/settings.h"

/*
 * The assessment is what fedscan concluded about a partner: the effective setting per endpoint and for the
 * domain (struct fs_inference, with its evidence lines), the matrix methods, the negotiated method, the verdict
 * and its typed reasons, what the policy file expected, and Lync's words. It is plain data with one owner. The
 * raw evidence of each connection rides along: typed for a live audit, and as the record itself when read back
 * from the store, since a record written by any fedscan must read back byte-exact.
 *
 * Producers: fs_assess() from live evidence (check, scan, pcap); fs_assess_from_json() from the store.
 * Consumers: report/json.c (the contract JSON, the only writer), report/text.c, report/export.c, diff, exit status.
 */

/* One reason, in the order it was found. */
struct fs_reason {
	enum fs_reason_code code;
	enum fs_problem_code problem;   /* with FS_R_PROBLEM: which problem */
	char text[FS_EV_TEXT];
};

#define FS_ASSESS_REASONS 32

/* The TLS and certificate facts an endpoint showed (from its first connection with a completed handshake). */
struct fs_tls_facts {
	bool ok;                      /* a handshake completed on some connection but plain */
	bool hidden;                  /* a capture: the certificate was not visible */
	char version[FS_EV_SHORT];
	char cipher[FS_EV_SHORT];
	char verify_error[FS_EV_TEXT];
	bool cert_present;
	char subject[FS_EV_TEXT];
	char not_after[FS_EV_SHORT];
	int64_t not_after_epoch;      /* 0 when unknown */
	char sha256[FS_EV_TEXT];
	bool chain_ok;
	bool name_ok;
	char spki_sha256[FS_EV_TEXT]; /* the "3 1 1" TLSA record the partner could publish */
};

/*
 * Which keys a record read back from the store carried (fs_assess() sets them all): a record written by an
 * older fedscan, with fewer keys, is written back exactly as it was.
 */
enum fs_assess_key {
	FS_K_ROW = 1 << 0, FS_K_DNS = 1 << 1, FS_K_FROM = 1 << 2, FS_K_DURATION = 1 << 3, FS_K_CLIENT_CERT = 1 << 4,
	FS_K_LYNC = 1 << 5, FS_K_EXPECTED = 1 << 6, FS_K_CONFIDENCE = 1 << 7, FS_K_UNKNOWN = 1 << 8,
	FS_K_CERT_REQUIRED = 1 << 9, FS_K_PRIORITY = 1 << 10, FS_K_DIRECT_TLS = 1 << 11, FS_K_CONNECTIONS = 1 << 12,
	FS_K_EVIDENCE = 1 << 13,
};
#define FS_K_ALL 0x3fffU

/* One endpoint: where it is, what it showed, what it is. */
struct fs_endpoint_assess {
	char host[FS_EV_TEXT];
	int port;
	char address[FS_EV_SHORT];
	enum fs_ep_source source;
	int priority, weight;
	bool direct_tls;
	bool reachable;
	char error[FS_EV_TEXT];       /* why it is not reachable */
	struct fs_inference eff;
	struct fs_tls_facts tls;
	struct fs_dane_ev dane;       /* DNSSEC and DANE (looked_up false without --dnssec) */
	unsigned nconns;
	struct fs_conn_ev *conns;     /* owned: each connection's evidence, in plan order (a live audit) */
	json_t *record;               /* owned: the connections as recorded (read back from the store), else NULL */
	unsigned keys;                /* enum fs_assess_key */
};

/* What the policy file expected of this partner ([partner] section), and how the audit compared. */
struct fs_expectation {
	bool present;                 /* the policy file has an entry for the partner */
	struct fs_setting want;       /* Unknown fields: not expected */
	int row;                      /* 0 when incomplete */
	char source[FS_EV_LONG];      /* "FILE:LINE" */
	bool has_description;
	char description[FS_EV_LONG];
	enum { FS_EXPECT_UNDECIDED = 0, FS_EXPECT_MATCHES, FS_EXPECT_MISMATCH } matches;
	unsigned mismatches;          /* bits: 1 tls, 2 sasl, 4 dialback */
	unsigned unconfirmed;         /* same bits */
};

/* Lync / Skype for Business's words for the partner (advice.known: advice.powershell holds the line). */
struct fs_lync_words {
	bool present;
	struct fs_lync_advice advice;
};

/* The partner's connections back to our listener (--listen), as a receiving gateway would see them. */
struct fs_outbound_assess {
	bool present;
	struct fs_outbound_ev ev;
};

/* A partner's whole assessment. */
struct fs_assessment {
	char domain[FS_EV_TEXT];                /* U-labels (RFC 7622 §3.2) */
	char domain_ascii[FS_EV_TEXT];          /* A-labels, what DNS and SNI carried; "" when the same as domain */
	unsigned nendpoints;
	struct fs_endpoint_assess *endpoints;   /* owned */
	struct fs_inference eff;                /* the domain's effective setting */
	unsigned methods;                       /* the partner's method set (enum fs_method bits) */
	int row;                                /* its matrix row, 0 when Unknown */
	enum fs_method negotiated;              /* 0 = none */
	enum fs_verdict verdict;
	unsigned nreasons;
	struct fs_reason reasons[FS_ASSESS_REASONS];
	struct fs_dns_ev dns;
	char from[FS_EV_TEXT];
	long long duration_ms;
	bool client_cert;
	struct fs_outbound_assess outbound;
	struct fs_lync_words lync;
	struct fs_expectation expected;
	unsigned keys;                          /* enum fs_assess_key */
};

struct fs_policyfile;

/* Assess one partner from its evidence at now, the expiry warning days, the local setting and the policy file (may be NULL); pure. */
int fs_assess(const struct fs_domain_ev *d, long long now, int warn_days, const struct fs_setting *local,
    const struct fs_policyfile *pf, struct fs_assessment *out);
/* Lync's words for a partner: the New-CsXmppAllowedPartner line, or what to find out first. */
void fs_assess_lync(const struct fs_domain_ev *d, const struct fs_inference *inf, struct fs_lync_words *out);
/* Compare a's effective setting with what pf expects of a->domain; a mismatch is a reason, compatible -> degraded. */
void fs_assess_expectation(const struct fs_policyfile *pf, struct fs_assessment *a);
/* Free what an assessment owns (not the struct); NULL is allowed. */
void fs_assessment_clear(struct fs_assessment *a);
/* Append a reason (dropped when FS_ASSESS_REASONS are already there). */
void fs_assess_reason(struct fs_assessment *a, enum fs_reason_code code, enum fs_problem_code problem,
    const char *text);

/* The earliest certificate expiry (UNIX time) over the endpoints' TLS facts; 0 when no certificate was seen. */
long long fs_assess_cert_expiry(const struct fs_assessment *a);
/* Endpoints that answered as XMPP servers (fs_endpoint_assess.reachable). */
unsigned fs_assess_endpoints_up(const struct fs_assessment *a);

/* The exit status for a set of verdicts: 0 compatible, 1 degraded, 2 incompatible/unreachable, 3 error. */
int fs_verdict_exit_status(enum fs_verdict v);
/* Verdicts from the most serious, for sorting reports: incompatible, unreachable, error, degraded, compatible. */
int fs_verdict_severity_rank(enum fs_verdict v);
/* Parse a contract verdict word; 0, or -1 when it is none. */
int fs_verdict_parse(const char *s, enum fs_verdict *out);

#endif
