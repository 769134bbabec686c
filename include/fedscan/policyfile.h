/* policyfile.h: the policy file (fedscan.conf(5)): the local setting, scan options and the partners with what is expected of them. */
#ifndef FEDSCAN_POLICYFILE_H
#define FEDSCAN_POLICYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "fedscan/settings.h"

/* Read when --policy is not given and the file exists (fedscan(1), FILES). */
#define FS_POLICY_DEFAULT_PATH "/etc/fedscan/fedscan.conf"

/* Field bits for expectations and comparisons. */
#define FS_PF_TLS 1U
#define FS_PF_SASL 2U
#define FS_PF_DIALBACK 4U

/* One [partner DOMAIN] section. */
struct fs_pf_partner {
	char *domain;                  /* lower case */
	int line;                      /* line of the section header; 0 when not from a file */
	struct fs_setting expect;      /* a field left Unknown: nothing expected of it */
	int expect_line[3];            /* the line of the tls, sasl and dialback keys; 0 when absent */
	char *connect_host;            /* connect = HOST[:PORT] (Lync's ProxyFqdn); NULL: find it by DNS */
	int connect_port;              /* 5269 unless given */
	char **additional;             /* additional-domains, lower case */
	size_t nadditional;
	size_t additional_cap;         /* slots allocated in additional (grows by doubling; may lag nadditional) */
	char *description;             /* NULL when none */
	char *comment;                 /* written as '#' lines before the keys (import); never read back */
};

/* A domain a partner claims: its own (k = SIZE_MAX) or its k-th additional domain; for duplicate checks. */
struct fs_pf_claim {
	const char *name;
	size_t partner, k;
};
/* qsort order for claims: by name, the partner's own domain first, then in file order. */
int fs_pf_claim_cmp(const void *a, const void *b);

/* At most this many [partner] sections (or CSV rows): a documented bound on time and memory (fedscan.conf(5)). */
#define FS_POLICY_MAX_PARTNERS 10000
/* At most this many additional-domains for one partner (fedscan.conf(5), LIMITS). */
#define FS_POLICY_MAX_ADDITIONAL 1000
/* The longest connect/listen host (so that "connect = [HOST]:PORT" stays within the reader's line limit). */
#define FS_POLICY_MAX_HOST 180
/* The longest line the reader takes (libinih's buffer), line end excluded (fedscan.conf(5), LIMITS). */
#define FS_POLICY_MAX_LINE 198

/* A whole file. Everything the file leaves out is NULL, 0, -1 or Unknown, so the caller knows what to default. */
struct fs_policyfile {
	char *path;                    /* as given; "-" style names are not special */
	int local_line;                /* line of [local]; 0 when there is none */
	struct fs_setting local;       /* [local] tls, sasl, dialback */
	char *from;                    /* our stream from */
	char *client_cert;             /* paths are made relative to the file's directory, and must be readable */
	char *client_key;
	char *ca_file;
	char *database;
	long timeout_ms;               /* 0: not given */
	unsigned concurrency;          /* 0: not given */
	int expiry_warn_days;          /* expiry-warn (fedscan(1) --expiry-warn); -1: not given */
	int expiry_crit_days;          /* expiry-crit; -1: not given */
	unsigned retain_days;          /* [local] retain-days; 0: not given */
	unsigned retain_weekly_days;   /* [local] retain-weekly-days; 0: not given */
	char *listen_host;             /* [local] listen = ADDR[:PORT]: authoritative mode; NULL: not given */
	int listen_port;
	struct fs_pf_partner *partners;
	size_t npartners;
	size_t partners_cap;           /* slots allocated in partners (grows by doubling) */
};

/*
 * Read a policy file. 0 with *out set, or -1 with err holding one line per problem, each "FILE:LINE: problem"
 * (or "FILE: problem" when the file cannot be read at all), in line order.
 */
int fs_policyfile_load(const char *path, struct fs_policyfile **out, char *err, size_t errlen);
/* The same from text in memory; name stands for the file in messages; relative paths stay relative. */
int fs_policyfile_parse(const char *name, const char *text, struct fs_policyfile **out, char *err, size_t errlen);
/* An empty policy (no [local], no partners) named name; NULL when out of memory. */
struct fs_policyfile *fs_policyfile_new(const char *name);
/* Add a partner section for domain (lower-cased); NULL when out of memory. Duplicates are the caller's business. */
struct fs_pf_partner *fs_policyfile_add_partner(struct fs_policyfile *pf, const char *domain);
/* Free a policy; NULL is allowed. */
void fs_policyfile_free(struct fs_policyfile *pf);

/* The partner whose domain or additional-domains is domain (case-insensitive); NULL when none or pf is NULL. */
const struct fs_pf_partner *fs_policyfile_find(const struct fs_policyfile *pf, const char *domain);

/* Write pf as a policy file that fs_policyfile_load reads back; comment (may be NULL) opens it as '#' lines. */
int fs_policyfile_write(FILE *f, const struct fs_policyfile *pf, const char *comment);

/*
 * Can fs_policyfile_write write description d so that it reads back (every line within FS_POLICY_MAX_LINE)?
 * 0, or -1 with why filled.
 */
int fs_policyfile_text_writable(const char *d, char *why, size_t whylen);

/* Is s usable as a partner domain (non-empty, at most 253 bytes, no space, control, '/', '@', '<', '>', '&', quote, ',', ';', '[', ']')? */
bool fs_policyfile_domain_ok(const char *s);
/*
 * v for a message on a terminal, in buf: at most max bytes then "...", with ESC and every C0 control, DEL, C1
 * control, bidi mark, embedding, override or isolate (U+200E/F, U+202A-202E, U+2066-2069) and invalid UTF-8
 * byte written as \xHH. Returns buf.
 */
const char *fs_policyfile_escape(const char *v, char *buf, size_t size, size_t max);
/* Parse HOST, HOST:PORT, [V6]:PORT or a bare IPv6 address; port defaults to 5269. 0, or -1 with why filled. */
int fs_policyfile_hostport(const char *v, char *host, size_t hostlen, int *port, char *why, size_t whylen);

/*
 * Compare what is expected of a partner with what was observed. *mismatch gets the fields whose expectation and
 * observation are both known and differ; *unconfirmed those expected but observed Unknown.
 */
void fs_policyfile_compare(const struct fs_setting *expect, const struct fs_setting *observed, unsigned *mismatch,
    unsigned *unconfirmed);


#endif
