/* policy.h: pure functions that check a partner's setting against the local one with the negotiation matrix. */
#ifndef FEDSCAN_POLICY_H
#define FEDSCAN_POLICY_H

#include "fedscan/infer.h"
#include "fedscan/matrix.h"
#include "fedscan/settings.h"

#define FS_POLICY_REASONS 16

/* Why a verdict is what it is; the text says it for a person, the code lets programs decide without parsing. */
enum fs_reason_code {
	FS_R_OTHER = 0,            /* read back from a record: the text is all there is */
	FS_R_INTERRUPTED,          /* SIGINT/SIGTERM stopped the audit */
	FS_R_UNREACHABLE,          /* no endpoint answered as an XMPP server (or DNS failed) */
	FS_R_LOCAL_INCOMPLETE,     /* the local setting has an Unknown */
	FS_R_DEPENDS,              /* the outcome depends on an Unknown partner setting */
	FS_R_NO_COMMON_METHOD,     /* incompatible */
	FS_R_WEAKER_METHOD,        /* degraded: a weaker method than the local policy prefers */
	FS_R_TLS_UNUSABLE,         /* TLS required by the partner but not negotiable */
	FS_R_UNREADABLE,           /* reachable, settings not readable */
	FS_R_FROM_REFUSED,         /* our stream domain was refused (rule D6) */
	FS_R_CERT_SASL,            /* the certificate breaks SASL over TLS */
	FS_R_CERT_VERIFYING,       /* the certificate breaks peers that verify certificates */
	FS_R_PROBLEM,              /* an inference problem (enum fs_problem_code says which) */
	FS_R_CERT_REQUIRED,        /* rule S7 */
	FS_R_UNKNOWN_TLS,
	FS_R_UNKNOWN_SASL,
	FS_R_UNKNOWN_DIALBACK,
	FS_R_EXPECT_MISMATCH,      /* the policy file expected otherwise */
	FS_R_EXPECT_UNCONFIRMED,   /* the policy file expected something the audit could not confirm */
	FS_R_PASSIVE,              /* the evidence comes from a capture: only what happened is known */
	FS_R_ENDPOINT_WORSE,       /* one endpoint alone negotiates worse than the domain's strictest setting */
	FS_R_LISTEN_HINT,          /* sink mode: what --listen would prove (the last reason) */
	FS_R_BROKE,                /* the partner broke before any answer (silence, bad XML, a reset): what broke first */
	FS_R_LAST
};

struct fs_compat {
	unsigned methods;            /* the partner's method set (its matrix row); with Unknowns, the methods every candidate has */
	int row;                     /* the partner's matrix row, 0 when Unknown */
	enum fs_method negotiated;   /* 0 = none */
	bool depends;                /* the outcome depends on an Unknown setting */
	enum fs_verdict verdict;
	unsigned nreasons;
	char reasons[FS_POLICY_REASONS][FS_EV_TEXT];
	enum fs_reason_code reason_codes[FS_POLICY_REASONS];
	enum fs_problem_code reason_problems[FS_POLICY_REASONS];  /* with FS_R_PROBLEM */
};

/* What two complete settings negotiate: the first method in preference order in both rows; 0 if none. */
enum fs_method fs_negotiate(const struct fs_setting *local, const struct fs_setting *partner);

/* Compatibility of a partner (possibly with Unknowns) with the local setting; no evidence, no network. */
void fs_policy_compat(const struct fs_setting *local, const struct fs_setting *partner, struct fs_compat *out);

/* The full verdict for an audited partner: compatibility plus reachability, errors and certificate problems. */
void fs_policy_verdict(const struct fs_setting *local, const struct fs_inference *inf, struct fs_compat *out);

/* A one-line message in fedscan's own words for a local configuration's matrix row. */
const char *fs_policy_message(const struct fs_matrix_row *row);

#endif
