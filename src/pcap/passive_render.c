/* passive_render.c: what the passive analysis saw, as JSON ("initiators", "capture") and as text. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/evjson.h"
#include "fedscan/log.h"
#include "pcap/passive_int.h"

static json_t *
words_json(const char *list)
{
	json_t *a = json_array();
	char buf[FS_EV_LONG], *w, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
		json_array_append_new(a, fs_json_string_lossy(w));
	return a;
}

static json_t *
initiator_json(const struct pinit *x)
{
	json_t *o, *reasons = json_array(), *tlsreq, *saslreq;
	unsigned tls_streams = x->streams - x->without_tls;

	/* TLS Required breaks an initiator that authenticated (or tried to) without TLS. */
	if (x->without_tls > 0) {
		tlsreq = json_true();
		json_array_append_new(reasons, json_string("it connected without TLS: with TLS Required those streams "
		    "are refused"));
	} else {
		tlsreq = json_false();
	}
	/* SASL Required (EXTERNAL) needs TLS and a client certificate valid for its domain. */
	if (x->without_tls > 0 || x->cert_not_sent > 0) {
		saslreq = json_true();
		json_array_append_new(reasons, json_string(x->cert_not_sent > 0 ?
		    "it sent no client certificate in a TLS handshake: SASL EXTERNAL is impossible there" :
		    "it connected without TLS: no SASL EXTERNAL"));
	} else if (x->cert_name_bad > 0) {
		saslreq = json_true();
		json_array_append_new(reasons, json_string("its client certificate does not name its domain: SASL "
		    "EXTERNAL fails"));
	} else if (x->cert_hidden > 0 || tls_streams == 0) {
		saslreq = json_null();
		json_array_append_new(reasons, json_string(tls_streams == 0 ? "no TLS stream was seen" :
		    "TLS 1.3 hides whether it sends a client certificate; use --capture on a check, or a key log"));
	} else {
		saslreq = json_false();
		json_array_append_new(reasons, json_string("it sends a client certificate that names its domain; "
		    "whether it uses SASL EXTERNAL is encrypted"));
	}
	if (x->dialback_clear > 0)
		json_array_append_new(reasons, json_string("it used dialback without TLS (TCP Dialback)"));
	o = json_pack("{s:o, s:o, s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:{s:i, s:i, s:i}, s:o, s:i, s:i, "
	    "s:i, s:i, s:i, s:{s:o, s:o}, s:o}",
	    "domain", x->domain[0] ? fs_json_string_lossy(x->domain) : json_null(),
	    "addresses", words_json(x->addresses),
	    "to", words_json(x->to),
	    "streams", (int)x->streams, "starttls", (int)x->starttls, "direct_tls", (int)x->direct_tls,
	    "without_tls", (int)x->without_tls, "tls_ok", (int)x->tls_ok, "tls_failed", (int)x->tls_failed,
	    "tls_versions", words_json(x->versions),
	    "tls_offered", fs_json_string_lossy(x->offered),
	    "client_cert", "sent", (int)x->cert_sent, "not_sent", (int)x->cert_not_sent,
	    "not_visible", (int)x->cert_hidden,
	    "cert_subject", fs_json_string_lossy(x->cert_subject),
	    "dialback", (int)x->dialback_clear, "sasl", (int)x->sasl_clear, "sasl_external", (int)x->external_clear,
	    "auth_encrypted", (int)x->auth_hidden, "verify_requests", (int)x->verify_sent,
	    "would_break", "tls_required", tlsreq, "sasl_required", saslreq,
	    "reasons", reasons);
	return o;
}

json_t *
fs_passive_initiators_json(const struct fs_passive *p)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < p->ninis; i++)
		json_array_append_new(a, initiator_json(p->inis[i]));
	return a;
}

json_t *
fs_passive_stats_json(const struct fs_passive *p)
{
	const struct fs_reasm_stats *r = fs_reasm_stats(p->r);
	const struct fs_pcap_stats *c = &p->pst;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "packets", (json_int_t)c->packets, "bytes", (json_int_t)c->bytes, "tcp_segments", (json_int_t)c->tcp,
	    "non_ip", (json_int_t)c->non_ip, "non_tcp", (json_int_t)c->non_tcp,
	    "ip_fragments", (json_int_t)c->ip_fragments, "malformed", (json_int_t)c->malformed,
	    "flows", (json_int_t)r->flows, "streams", (json_int_t)p->streams,
	    "tls_streams", (json_int_t)p->tls_streams, "syn_only", (json_int_t)p->syn_only,
	    "streams_midstream", (json_int_t)p->streams_midstream, "streams_skipped", (json_int_t)p->streams_skipped,
	    "streams_not_s2s", (json_int_t)p->streams_not_s2s, "streams_unknown", (json_int_t)p->streams_unknown,
	    "endpoints_dropped", (json_int_t)p->endpoints_dropped,
	    "initiators_dropped", (json_int_t)p->initiators_dropped,
	    "reassembly",
	    "segments", (json_int_t)r->segments, "flows_evicted", (json_int_t)r->flows_evicted,
	    "flows_idle", (json_int_t)r->flows_idle, "flows_midstream", (json_int_t)r->flows_midstream,
	    "flows_reused", (json_int_t)r->flows_reused, "max_concurrent", (json_int_t)r->max_concurrent,
	    "out_of_order", (json_int_t)r->out_of_order, "retransmitted_bytes", (json_int_t)r->retransmitted_bytes,
	    "overlap_bytes", (json_int_t)r->overlap_bytes, "overlap_conflicts", (json_int_t)r->overlap_conflicts,
	    "missing_bytes", (json_int_t)r->missing_bytes, "truncated_bytes", (json_int_t)r->truncated_bytes,
	    "forced_gaps", (json_int_t)r->forced_gaps, "max_buffered_bytes", (json_int_t)r->max_buffered_bytes,
	    "limits",
	    "max_flows", (json_int_t)(p->o.limits.max_flows ? p->o.limits.max_flows : FS_REASM_MAX_FLOWS),
	    "max_buffer_per_direction",
	    (json_int_t)(p->o.limits.max_dir_buf ? p->o.limits.max_dir_buf : FS_REASM_MAX_DIR_BUF),
	    "max_buffer_total",
	    (json_int_t)(p->o.limits.max_total_buf ? p->o.limits.max_total_buf : FS_REASM_MAX_TOTAL_BUF),
	    "idle_timeout_s",
	    (json_int_t)(p->o.limits.idle_timeout_s > 0 ? p->o.limits.idle_timeout_s : FS_REASM_IDLE_TIMEOUT_S),
	    "max_streams_at_once", (json_int_t)FS_PASSIVE_MAX_LIVE, "max_xml_bytes", (json_int_t)FS_PASSIVE_MAX_XML_BYTES,
	    "max_endpoints", (json_int_t)FS_PASSIVE_MAX_ENDPOINTS,
	    "max_initiators", (json_int_t)FS_PASSIVE_MAX_INITIATORS);
}

static long long
geti(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void
put_words(FILE *f, const json_t *a, const char *none)
{
	size_t i;
	json_t *v;

	if (json_array_size(a) == 0) {
		fputs(none, f);
		return;
	}
	json_array_foreach(a, i, v) {
		if (i > 0)
			fputs(", ", f);
		fs_fputs_safe(json_string_value(v), f);
	}
}

static const char *
yesno(const json_t *v)
{
	return json_is_true(v) ? "yes" : json_is_false(v) ? "no" : "unknown";
}

void
fs_passive_text_initiators(FILE *f, const json_t *a)
{
	size_t i, k;
	json_t *x, *cc, *wb, *r;

	if (json_array_size(a) == 0)
		return;
	fputs("\nInitiating servers (what each did when it connected):\n", f);
	json_array_foreach(a, i, x) {
		fputs("  ", f);
		if (json_is_string(json_object_get(x, "domain")))
			fs_fputs_safe(json_string_value(json_object_get(x, "domain")), f);
		else
			fputs("(unnamed)", f);
		fputs(" from ", f);
		put_words(f, json_object_get(x, "addresses"), "?");
		fprintf(f, ": %lld stream%s to ", geti(x, "streams"), geti(x, "streams") == 1 ? "" : "s");
		put_words(f, json_object_get(x, "to"), "?");
		fprintf(f, "\n    STARTTLS %lld, direct TLS %lld, without TLS %lld", geti(x, "starttls"),
		    geti(x, "direct_tls"), geti(x, "without_tls"));
		if (json_array_size(json_object_get(x, "tls_versions")) > 0) {
			fputs(" (", f);
			put_words(f, json_object_get(x, "tls_versions"), "");
			fputs(")", f);
		}
		cc = json_object_get(x, "client_cert");
		fprintf(f, "; client certificate sent %lld, not sent %lld, not visible %lld; dialback in the clear %lld\n",
		    geti(cc, "sent"), geti(cc, "not_sent"), geti(cc, "not_visible"), geti(x, "dialback"));
		wb = json_object_get(x, "would_break");
		fprintf(f, "    would break with TLS Required: %s; with SASL Required: %s\n",
		    yesno(json_object_get(wb, "tls_required")), yesno(json_object_get(wb, "sasl_required")));
		json_array_foreach(json_object_get(x, "reasons"), k, r) {
			fputs("    - ", f);
			fs_fputs_safe(json_string_value(r), f);
			fputc('\n', f);
		}
	}
}

void
fs_passive_text_stats(FILE *f, const json_t *st)
{
	const json_t *r = json_object_get(st, "reassembly");

	fprintf(f, "\nCapture: %lld packets (%lld bytes), %lld TCP flows, %lld s2s streams analysed (%lld with TLS)\n",
	    geti(st, "packets"), geti(st, "bytes"), geti(st, "flows"), geti(st, "streams"), geti(st, "tls_streams"));
	if (geti(st, "streams_midstream") + geti(st, "streams_skipped") + geti(st, "endpoints_dropped") +
	    geti(st, "malformed") > 0)
		fprintf(f, "  not analysed: %lld already running when the capture started, %lld over the limit of "
		    "streams at once, %lld over the limit of endpoints; %lld malformed packets\n",
		    geti(st, "streams_midstream"), geti(st, "streams_skipped"), geti(st, "endpoints_dropped"),
		    geti(st, "malformed"));
	if (geti(r, "missing_bytes") + geti(r, "truncated_bytes") + geti(r, "overlap_conflicts") +
	    geti(r, "flows_evicted") > 0)
		fprintf(f, "  reassembly: %lld bytes missing, %lld cut by the snapshot length, %lld retransmitted, "
		    "%lld overlapping (%lld differing), %lld flows evicted\n",
		    geti(r, "missing_bytes"), geti(r, "truncated_bytes"), geti(r, "retransmitted_bytes"),
		    geti(r, "overlap_bytes"), geti(r, "overlap_conflicts"), geti(r, "flows_evicted"));
}
