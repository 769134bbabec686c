/* evjson.h: evidence to JSON and back, through one field table, so that stored evidence can be re-inferred. */
#ifndef FEDSCAN_EVJSON_H
#define FEDSCAN_EVJSON_H

#include <jansson.h>

#include "fedscan/evidence.h"

/* One connection's evidence as a JSON object (new reference), or NULL on out-of-memory. */
json_t *fs_conn_ev_to_json(const struct fs_conn_ev *ev);
/* Fill ev from a JSON object written by fs_conn_ev_to_json; unknown keys are ignored, bad types left zero. 0 or -1. */
int fs_conn_ev_from_json(const json_t *obj, struct fs_conn_ev *ev);

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. */
json_t *fs_json_string_lossy(const char *s);

/* An endpoint's DNSSEC and DANE facts as the "dnssec" object (fedscan(1), JSON OUTPUT), and back. */
json_t *fs_dane_ev_to_json(const struct fs_dane_ev *ev);
void fs_dane_ev_from_json(const json_t *o, struct fs_dane_ev *ev);

#endif
