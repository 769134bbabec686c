/* nagios.h: check --nagios: assessments as a monitoring plugin's status line, details, perfdata and exit status. */
#ifndef FEDSCAN_NAGIOS_H
#define FEDSCAN_NAGIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fedscan/assess.h"

/* The plugin states, which are also the plugin's exit statuses (fedscan(1) MONITORING). */
enum fs_plugin_state {
	FS_PLUGIN_OK = 0,
	FS_PLUGIN_WARNING = 1,
	FS_PLUGIN_CRITICAL = 2,
	FS_PLUGIN_UNKNOWN = 3,
};

struct fs_nagios_partner;

/* The partners of one run, kept until the status line (which names the worst) can be written. */
struct fs_nagios {
	int warn_days, crit_days;      /* certificate expiry thresholds (--expiry-warn, --expiry-crit) */
	struct fs_nagios_partner *v;   /* owned; grows by doubling */
	size_t n, cap;
	bool failed;                   /* a partner could not be kept (out of memory) */
};

/* An empty run with the expiry thresholds in days. */
void fs_nagios_init(struct fs_nagios *ng, int warn_days, int crit_days);
/* Keep what the output needs of one assessment, judged at now (UNIX time). 0, or -1 when out of memory. */
int fs_nagios_add(struct fs_nagios *ng, const struct fs_assessment *a, long long now);
/*
 * Write the status line, the details of each partner and the perfdata to f; problem (may be NULL) is why the run
 * could not be completed, and makes a run with nothing worse UNKNOWN. Sorts the partners, worst first. Returns the
 * state, the plugin's exit status.
 */
int fs_nagios_print(FILE *f, struct fs_nagios *ng, const char *problem);
/* Free what the run keeps; the struct may be reused after fs_nagios_init(). */
void fs_nagios_free(struct fs_nagios *ng);

/* A partner's state from its verdict and its certificate's days left (has_cert false: none seen). */
int fs_nagios_state(enum fs_verdict v, bool has_cert, long long cert_days, int warn_days, int crit_days);
/* The worse of two states: CRITICAL, then WARNING, then UNKNOWN, then OK. */
int fs_nagios_worse(int a, int b);
/* Whole days from now to t, rounded down (an expired certificate counts negative days). */
long long fs_days_left(long long t, long long now);

#endif
