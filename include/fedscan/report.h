/* report.h: the contract JSON of the local setting and of an assessment (report/json.c), and the text (report/text.c). */
#ifndef FEDSCAN_REPORT_H
#define FEDSCAN_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "fedscan/assess.h"
#include "fedscan/evidence.h"
#include "fedscan/infer.h"
#include "fedscan/policy.h"
#include "fedscan/settings.h"

/* The "local" object: tls, sasl, dialback, row, methods, verdict, message, meaning (new reference). */
json_t *fs_report_local(const struct fs_setting *local);
/* Read a recorded "local" object's setting back; -1 when it is not a complete one. */
int fs_report_local_read(const json_t *local, struct fs_setting *out);
/* A method set as a JSON array of contract names, in preference order. */
json_t *fs_report_methods(unsigned methods);
/* The contract "partner" object of an assessment, with per-endpoint evidence (new reference; NULL: no memory). */
json_t *fs_assessment_to_json(const struct fs_assessment *a);
/* Read a partner object (as recorded) back into an assessment; -1 with a message in err when it is not one. */
int fs_assessment_from_json(const json_t *partner, struct fs_assessment *out, char *err, size_t errlen);
/* The partner object for audited evidence without a policy file: fs_assess() then fs_assessment_to_json(). */
json_t *fs_report_partner(const struct fs_domain_ev *d, long long now, const struct fs_setting *local);
/* Print the local setting as text. */
void fs_report_text_local(FILE *f, const struct fs_setting *local, bool color);
/* Print an assessment as text: endpoints, settings with why, negotiated method, verdict, reasons, evidence. */
void fs_report_text_partner(FILE *f, const struct fs_assessment *a, bool color, int verbose);

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
