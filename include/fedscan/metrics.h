/* metrics.h: --prometheus FILE: assessments as Prometheus metrics for node-exporter's textfile collector. */
#ifndef FEDSCAN_METRICS_H
#define FEDSCAN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fedscan/assess.h"

struct fs_metrics_partner;

/* One run's metrics: the partners kept as they are assessed, written all at once when the run ends. */
struct fs_metrics {
	char *path;                    /* owned: FILE as given */
	char *tmp;                     /* owned: FILE.XXXXXX beside it, created by fs_metrics_open(); NULL once renamed */
	int fd;                        /* the temporary file, -1 when closed */
	int warn_days, crit_days;      /* the expiry thresholds, written as metrics for alerting rules */
	struct fs_metrics_partner *v;  /* owned; grows by doubling */
	size_t n, cap;
	bool failed;                   /* a partner could not be kept (out of memory) */
};

/* What the run says about itself. */
struct fs_metrics_run {
	double duration;               /* seconds the audit took */
	long long end;                 /* UNIX time it ended */
	bool complete;                 /* every partner audited (not interrupted) */
};

/*
 * Create the temporary file beside path now, so that a directory that cannot be written fails before the run,
 * not after it. 0, or -1 with err filled ("PATH: why").
 */
int fs_metrics_open(struct fs_metrics *m, const char *path, int warn_days, int crit_days, char *err, size_t errlen);
/* Keep what the metrics need of one assessment. 0, or -1 when out of memory. */
int fs_metrics_add(struct fs_metrics *m, const struct fs_assessment *a);
/* Write the metrics in the exposition format to f (partners sorted by domain). 0, or -1 on a write error. */
int fs_metrics_write(FILE *f, struct fs_metrics *m, const struct fs_metrics_run *run);
/* Write into the temporary file, flush it to disk and rename it over path. 0, or -1 with err filled. */
int fs_metrics_commit(struct fs_metrics *m, const struct fs_metrics_run *run, char *err, size_t errlen);
/* Free the run; a temporary file not renamed is removed. m may never have been opened (all zero). */
void fs_metrics_close(struct fs_metrics *m);

#endif
