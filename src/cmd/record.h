/* record.h: one partner's way from evidence to the user: assess, record in the store, print; for check, scan, pcap. */
#ifndef FEDSCAN_CMD_RECORD_H
#define FEDSCAN_CMD_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fedscan/assess.h"
#include "fedscan/engine.h"
#include "fedscan/evidence.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "cli.h"

/* Where each partner goes, and what the run learnt from them so far. */
struct fs_recorder {
	const struct fs_cli *cli;      /* the local setting, the policy file, -v/-q */
	struct fs_store *store;        /* NULL: --no-db */
	int64_t scan_id;
	bool text;                     /* print each partner as text */
	bool color;
	struct fs_json_stream *js;     /* write each partner into this --json document (when open) */
	json_t *collect;               /* append each partner object here (NULL: don't) */
	void (*before_print)(void *);  /* called before anything is printed (scan's progress line) */
	void (*assessed)(void *, const struct fs_assessment *);  /* called with each assessment (NULL: not) */
	void *ud;
	/* What the run has seen. */
	int worst;                     /* the exit status so far (fs_verdict_exit_status of the worst verdict) */
	bool failed;                   /* a partner could not be assessed or recorded: exit 3 */
	bool interrupted;              /* a partner's audit was interrupted */
	size_t counts[FS_VERDICT_ERROR + 1];
};

/* Assess one partner's evidence, record it (its own transaction), print it; *verdict (may be NULL) gets its verdict. */
int fs_record_partner(struct fs_recorder *r, const struct fs_domain_ev *ev, long long now, enum fs_verdict *verdict);
/* Open the store (unless --no-db) and record the start of a run ("check", "scan", "passive"); -1 after a message. */
int fs_recorder_begin(struct fs_recorder *r, const char *kind, const json_t *local, const char *capture);
/* Record the end of the run (complete or not); -1 after a message, and the run counts as failed. */
int fs_recorder_end(struct fs_recorder *r, bool complete);
/* Queue each domain on the engine, with the policy file's connect = for it; -1 after a message. */
int fs_cmd_queue(struct fs_engine *e, const struct fs_cli *cli, char *const *domains, size_t n);
/* The run's exit status: the worst verdict's, or 3 when something could not be recorded. */
int fs_recorder_status(const struct fs_recorder *r);

#endif
