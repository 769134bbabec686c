/* diff.h: what changed between two scans, as a typed list per partner (report/diff.c), and its text and JSON. */
#ifndef FEDSCAN_DIFF_H
#define FEDSCAN_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fedscan/assess.h"
#include "fedscan/settings.h"

/*
 * `fedscan diff` (fedscan(1), diff) compares the partners of an older scan A with those of a newer scan B. Each
 * difference is one change of a kind below; a partner's changes are ordered the most serious first, and the
 * partners by their most serious change. Nothing here reads the store or prints: cmd_diff.c loads the scans,
 * fs_diff() compares, fs_diff_text() and fs_diff_json() write.
 */
enum fs_change_kind {
	FS_CHANGE_PARTNER_ADDED = 0,  /* in B only */
	FS_CHANGE_PARTNER_REMOVED,    /* in A only, and B is complete */
	FS_CHANGE_PARTNER_UNAUDITED,  /* in A only, and B is incomplete (interrupted): not audited, maybe not gone */
	FS_CHANGE_VERDICT_BETTER,     /* by fs_verdict_severity_rank() */
	FS_CHANGE_VERDICT_WORSE,
	FS_CHANGE_METHOD_STRONGER,    /* earlier in enum fs_method, or a method where there was none */
	FS_CHANGE_METHOD_WEAKER,      /* later in enum fs_method */
	FS_CHANGE_METHOD_NONE,        /* no common method any more */
	FS_CHANGE_SETTING,            /* one field of the partner's effective setting */
	FS_CHANGE_ENDPOINT_REMOVED,   /* endpoints (host [address]:port) of A not in B */
	FS_CHANGE_ENDPOINT_DOWN,      /* reachable in A, not in B */
	FS_CHANGE_ENDPOINT_ADDED,     /* endpoints of B not in A */
	FS_CHANGE_ENDPOINT_UP,        /* not reachable in A, reachable in B */
	FS_CHANGE_TLS_OLDER,          /* the list of TLS versions seen sorts before A's */
	FS_CHANGE_TLS_NEWER,
	FS_CHANGE_CERT_REPLACED,      /* other certificate fingerprints */
	FS_CHANGE_CERT_EXPIRING,      /* enters the --expiry-days window (or a new certificate already in it) */
	FS_CHANGE_CERT_EXPIRED,       /* expired at B's start (said once) */
	FS_CHANGE_LOCAL_SETTING,      /* one field of our own policy, between the scans */
};

/* Which setting field a FS_CHANGE_SETTING or FS_CHANGE_LOCAL_SETTING is about. */
enum fs_setting_field { FS_FIELD_TLS = 0, FS_FIELD_SASL, FS_FIELD_DIALBACK };

/* How serious a change is: orders the lists, and gives the "level" (notice < 50 <= warning < 90 <= critical). */
enum fs_change_severity {
	FS_SEV_PARTNER = 10,     /* a partner added to or gone from the list */
	FS_SEV_BETTER = 15,      /* verdict improved */
	FS_SEV_MINOR = 20,       /* endpoint appeared or answers again, stronger method, newer TLS */
	FS_SEV_CERT_NEW = 30,    /* certificate replaced */
	FS_SEV_TLS_DOWN = 45,    /* older TLS version */
	FS_SEV_SETTING = 50,     /* an effective setting changed */
	FS_SEV_EXPIRING = 55,    /* certificate expires within --expiry-days */
	FS_SEV_ENDPOINT = 60,    /* an endpoint vanished or stopped answering */
	FS_SEV_WEAKER = 70,      /* a weaker negotiated method */
	FS_SEV_EXPIRED = 75,     /* certificate expired */
	FS_SEV_DEGRADED = 80,    /* verdict now degraded */
	FS_SEV_NONE = 95,        /* no common method any more */
	FS_SEV_BROKEN = 100,     /* verdict now incompatible, unreachable or error */
};

/* A change's words fit in this many bytes (longer ones are cut). */
#define FS_CHANGE_TEXT 1024

/* One change. Which members mean something depends on the kind (said per member). */
struct fs_change {
	enum fs_change_kind kind;
	int severity;                      /* enum fs_change_severity */
	enum fs_setting_field field;       /* SETTING, LOCAL_SETTING */
	struct fs_setting set_from, set_to;/* SETTING, LOCAL_SETTING: the settings in A and B (field says which) */
	enum fs_verdict verdict_from;      /* VERDICT_*, PARTNER_REMOVED, PARTNER_UNAUDITED */
	enum fs_verdict verdict_to;        /* VERDICT_*, PARTNER_ADDED */
	enum fs_method method_from, method_to; /* METHOD_*: the negotiated methods, 0 for none */
	unsigned count;                    /* ENDPOINT_*: how many endpoints are listed */
	long long days;                    /* CERT_EXPIRING: whole days from B's start to the expiry */
	/*
	 * ENDPOINT_*: the endpoints, "host [address]:port, ..." (in `from` for REMOVED and DOWN, in `to` for ADDED
	 * and UP); TLS_*: the versions seen in A and B ("TLSv1.2, TLSv1.3"); CERT_REPLACED: the sorted SHA-256
	 * fingerprints in A and B; CERT_EXPIRING, CERT_EXPIRED: the earliest expiry ("not_after") in A and B.
	 */
	char from[FS_EV_LONG], to[FS_EV_LONG];
	char expires[FS_EV_SHORT];         /* CERT_*: B's earliest expiry, as recorded */
};

/* One partner with at least one change. */
struct fs_diff_partner {
	char domain[FS_EV_TEXT];           /* as spelled in B (in A when gone) */
	bool in_a, in_b;                   /* recorded in A, in B */
	enum fs_verdict from, to;          /* its verdict in A (when in_a) and in B (when in_b) */
	int severity;                      /* its most serious change's */
	size_t nchanges;
	struct fs_change *changes;         /* owned; the most serious first */
	size_t cap;
};

/* The comparison of two scans. */
struct fs_diff {
	size_t nlocal;
	struct fs_change local[3];         /* our own policy's fields that changed (LOCAL_SETTING) */
	size_t npartners;
	struct fs_diff_partner *partners;  /* owned; partners that changed, the most serious first, then by domain */
	size_t cap;
	long unchanged;                    /* partners in both scans without a change */
};

/* What to compare with, besides the partners. */
struct fs_diff_opts {
	long long at_a, at_b;              /* when A and B started (UNIX time, 0 unknown): expiry days count from them */
	long expiry_days;                  /* a certificate expiring within this many days is a change (--expiry-days) */
	bool b_complete;                   /* B audited every partner: one missing from it is gone, not unaudited */
	const struct fs_setting *local_a;  /* our policy in A and in B; NULL when the scan did not record it */
	const struct fs_setting *local_b;
};

/*
 * Compare the partners of scan A (a, na) with those of scan B (b, nb). A domain listed twice in a scan (any
 * case) counts once, as its last record. 0, or -1 when out of memory; out is set either way (fs_diff_clear).
 */
int fs_diff(const struct fs_assessment *a, size_t na, const struct fs_assessment *b, size_t nb,
    const struct fs_diff_opts *opts, struct fs_diff *out);
/* Free what a comparison owns (not the struct); NULL is allowed. */
void fs_diff_clear(struct fs_diff *d);
/* Whether anything changed (the exit status of `fedscan diff`: 1 when it did). */
bool fs_diff_changed(const struct fs_diff *d);

/* The JSON "what" of a change: "partner", "verdict", "negotiated", "tls", "sasl", "dialback", "endpoint" ... */
const char *fs_change_what(const struct fs_change *c);
/* The change's "from" and "to" words (NULL: none, null in the JSON). */
void fs_change_from_to(const struct fs_change *c, const char **from, const char **to);
/* The change in words, one line ("negotiated SASL over TLS → TLS Dialback"), into buf (size bytes). */
void fs_change_text(const struct fs_change *c, char *buf, size_t size);
/* "critical", "warning" or "notice" for a severity. */
const char *fs_diff_level(int severity);

struct fs_scan_info;

/*
 * The diff as text (report/difftext.c): a header naming both scans, our policy's changes, then each changed
 * partner (verdict on its line) and its other changes, and a count. a == NULL: there were fewer than two scans.
 */
void fs_diff_text(FILE *f, const struct fs_scan_info *a, const struct fs_scan_info *b, const struct fs_diff *d);
/*
 * The diff as one JSON document (report/diffjson.c): {"a", "b", "changed", "expiry_days", "local_changes",
 * "partners", "unchanged"}. a == NULL: there were fewer than two scans (a document with a note). 0, or -1 when
 * out of memory or the write failed.
 */
int fs_diff_json(FILE *f, const struct fs_scan_info *a, const struct fs_scan_info *b, long expiry_days,
    const struct fs_diff *d);

#endif
