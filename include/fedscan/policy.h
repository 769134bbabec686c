/* policy.h: pure functions that check a partner's setting against the local one with the negotiation matrix. */
#ifndef FEDSCAN_POLICY_H
#define FEDSCAN_POLICY_H

#include "fedscan/infer.h"
#include "fedscan/matrix.h"
#include "fedscan/settings.h"

#define FS_POLICY_REASONS 16

struct fs_compat {
	unsigned methods;            /* the partner's method set (its matrix row); with Unknowns, the methods every candidate has */
	int row;                     /* the partner's matrix row, 0 when Unknown */
	enum fs_method negotiated;   /* 0 = none */
	bool depends;                /* the outcome depends on an Unknown setting */
	enum fs_verdict verdict;
	unsigned nreasons;
	char reasons[FS_POLICY_REASONS][FS_EV_TEXT];
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
