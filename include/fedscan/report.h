/* report.h: the contract JSON for the local setting and for each audited partner, and the text a person reads. */
#ifndef FEDSCAN_REPORT_H
#define FEDSCAN_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "fedscan/evidence.h"
#include "fedscan/infer.h"
#include "fedscan/policy.h"
#include "fedscan/settings.h"

/* The "local" object: tls, sasl, dialback, row, methods, verdict, message, meaning (new reference). */
json_t *fs_report_local(const struct fs_setting *local);
/* A method set as a JSON array of contract names, in preference order. */
json_t *fs_report_methods(unsigned methods);
/* The "partner" object for an audited domain, with per-endpoint evidence (new reference). */
json_t *fs_report_partner(const struct fs_domain_ev *d, long long now, const struct fs_setting *local);
/* Print the local object as text. */
void fs_report_text_local(FILE *f, const json_t *local, bool color);
/* Print a partner object as text: endpoints, settings with why, negotiated method, verdict, reasons. */
void fs_report_text_partner(FILE *f, const json_t *partner, bool color, int verbose);
/* A small copy of a partner object (domain, verdict, negotiated, reasons): enough for summaries and exit codes. */
json_t *fs_report_slim(const json_t *partner);
/* The exit status for a set of partner verdicts (DESIGN.md: 0, 1, 2, 3). */
int fs_report_exit_status(const json_t *partners);

/*
 * A --json document written as the audit goes: {"local": ..., "partners": [ each partner when done ], then the
 * keys known only at the end}. Memory stays flat however many partners there are.
 */
struct fs_json_stream {
	FILE *f;
	bool open;
	size_t n;
};
/* Write the head: the local object and the opening of "partners". */
void fs_json_stream_begin(struct fs_json_stream *s, FILE *f, const json_t *local);
/* Write one partner object (nothing if the stream is not open). */
void fs_json_stream_partner(struct fs_json_stream *s, const json_t *partner);
/* Close "partners", add each key of tail (may be NULL) in order, and end the document. */
void fs_json_stream_end(struct fs_json_stream *s, const json_t *tail);

#endif
