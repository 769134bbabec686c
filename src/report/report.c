/* report.c: the contract JSON for the local setting and each partner, and the text a person reads at a glance. */
#include <stdio.h>
#include <string.h>

#include "fedscan/err.h"
#include "fedscan/evjson.h"
#include "fedscan/log.h"
#include "fedscan/lync.h"
#include "fedscan/matrix.h"
#include "fedscan/report.h"

json_t *
fs_report_methods(unsigned methods)
{
	json_t *a = json_array();
	unsigned m;

	for (m = 1; m <= FS_METHOD_TCP_DIALBACK; m <<= 1)
		if (methods & m)
			json_array_append_new(a, json_string(fs_method_name((enum fs_method)m)));
	return a;
}

json_t *
fs_report_local(const struct fs_setting *local)
{
	const struct fs_matrix_row *row = fs_policy_row(local);

	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s}",
	    "tls", fs_level_name(local->tls), "sasl", fs_level_name(local->sasl),
	    "dialback", fs_dialback_name(local->dialback),
	    "row", row != NULL ? json_integer(row->row) : json_null(),
	    "methods", fs_report_methods(row != NULL ? row->methods : 0),
	    "verdict", row != NULL ? fs_config_verdict_name(row->verdict) : "invalid",
	    "message", fs_policy_message(row),
	    "meaning", row != NULL ? row->meaning : "");
}

static json_t *
setting_json(const struct fs_inference *inf)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "tls", fs_level_name(inf->s.tls), "sasl", fs_level_name(inf->s.sasl),
	    "dialback", fs_dialback_name(inf->s.dialback));
	json_t *ev = json_array(), *conf, *unk = json_object();
	unsigned i;

	for (i = 0; i < inf->nlines; i++)
		json_array_append_new(ev, fs_json_string_lossy(inf->lines[i]));
	json_object_set_new(o, "evidence", ev);
	conf = json_pack("{s:s, s:s, s:s}", "tls", fs_conf_name(inf->tls_conf), "sasl", fs_conf_name(inf->sasl_conf),
	    "dialback", fs_conf_name(inf->dialback_conf));
	json_object_set_new(o, "confidence", conf);
	if (inf->s.tls == FS_LEVEL_UNKNOWN)
		json_object_set_new(unk, "tls", fs_json_string_lossy(inf->tls_unknown));
	if (inf->s.sasl == FS_LEVEL_UNKNOWN)
		json_object_set_new(unk, "sasl", fs_json_string_lossy(inf->sasl_unknown));
	if (inf->s.dialback == FS_DIALBACK_UNKNOWN)
		json_object_set_new(unk, "dialback", fs_json_string_lossy(inf->dialback_unknown));
	json_object_set_new(o, "unknown", unk);
	json_object_set_new(o, "cert_required", json_boolean(inf->cert_required));
	return o;
}

static json_t *
endpoint_json(const struct fs_domain_ev *d, unsigned i, long long now)
{
	const struct fs_endpoint_ev *ep = &d->endpoints[i];
	struct fs_inference inf;
	json_t *o, *conns = json_array();
	unsigned k;

	fs_infer_endpoint(d, i, now, &inf);
	o = json_pack("{s:o, s:i, s:o, s:s, s:b, s:i, s:i, s:b}",
	    "host", fs_json_string_lossy(ep->host), "port", ep->port, "address", fs_json_string_lossy(ep->address),
	    "source", fs_ep_source_name(ep->source), "reachable", inf.reachable, "priority", ep->priority,
	    "weight", ep->weight, "direct_tls", ep->direct_tls);
	json_object_set_new(o, "effective", setting_json(&inf));
	if (!inf.reachable)
		json_object_set_new(o, "error", fs_json_string_lossy(inf.error));
	for (k = 0; k < FS_CONN_KIND_LAST; k++)
		if (ep->conns[k].attempted)
			json_array_append_new(conns, fs_conn_ev_to_json(&ep->conns[k]));
	json_object_set_new(o, "connections", conns);
	return o;
}

/* What the partner did when it connected back to our listener: what a gateway sees when it connects in. */
static json_t *
outbound_json(const struct fs_outbound_ev *ob)
{
	return json_pack("{s:i, s:i, s:o, s:b, s:b, s:o, s:b, s:b, s:b, s:o, s:o, s:b, s:b, s:i, s:i, s:i, s:o}",
	    "connections", (int)ob->connections, "refused", (int)ob->refused,
	    "address", fs_json_string_lossy(ob->address), "starttls", ob->starttls, "tls", ob->tls_ok,
	    "tls_version", fs_json_string_lossy(ob->tls_version), "client_cert", ob->client_cert,
	    "cert_chain_ok", ob->cert_chain_ok, "cert_name_ok", ob->cert_name_ok,
	    "cert_subject", fs_json_string_lossy(ob->cert_subject), "cert_error", fs_json_string_lossy(ob->cert_error),
	    "sasl_external", ob->sasl_external, "dialback", ob->dialback,
	    "verify_requests", (int)ob->verify_requests, "verify_valid", (int)ob->verify_valid,
	    "verify_invalid", (int)ob->verify_invalid, "close_reason", fs_json_string_lossy(ob->close_reason));
}

json_t *
fs_report_partner(const struct fs_domain_ev *d, long long now, const struct fs_setting *local)
{
	struct fs_inference inf;
	struct fs_compat c;
	json_t *o, *eps = json_array(), *reasons = json_array(), *dns;
	unsigned i;

	fs_infer_domain(d, now, &inf);
	if (d->interrupted) {
		memset(&c, 0, sizeof(c));
		c.verdict = FS_VERDICT_ERROR;
		snprintf(c.reasons[c.nreasons++], FS_EV_TEXT, "interrupted before the audit finished");
	} else {
		fs_policy_verdict(local, &inf, &c);
	}
	for (i = 0; i < d->nendpoints; i++)
		json_array_append_new(eps, endpoint_json(d, i, now));
	for (i = 0; i < c.nreasons; i++)
		json_array_append_new(reasons, fs_json_string_lossy(c.reasons[i]));
	dns = json_pack("{s:b, s:b, s:b, s:b, s:o}", "srv", d->dns.srv_found, "srv_tls", d->dns.srv_tls_found,
	    "srv_no_service", d->dns.srv_dot, "failed", d->dns.failed, "error", fs_json_string_lossy(d->dns.error));
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:s, s:I, s:b}",
	    "domain", fs_json_string_lossy(d->domain),
	    "endpoints", eps,
	    "effective", setting_json(&inf),
	    "methods", fs_report_methods(c.methods),
	    "row", c.row > 0 ? json_integer(c.row) : json_null(),
	    "negotiated", c.negotiated != 0 ? json_string(fs_method_name(c.negotiated)) : json_null(),
	    "verdict", fs_verdict_name(c.verdict),
	    "reasons", reasons,
	    "dns", dns,
	    "from", d->params.from,
	    "duration_ms", (json_int_t)d->duration_ms,
	    "client_cert", d->params.have_client_cert);
	if (o != NULL && d->params.authoritative)
		json_object_set_new(o, "outbound", outbound_json(&d->outbound));
	/* Lync's words for this partner; "expected" is filled by fs_policyfile_annotate() when a policy file has it. */
	if (o != NULL) {
		json_object_set_new(o, "lync", fs_lync_json(d, &inf));
		json_object_set_new(o, "expected", json_null());
	}
	return o;
}

json_t *
fs_report_slim(const json_t *p)
{
	static const char *const keep[] = { "domain", "verdict", "negotiated", "reasons" };
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; o != NULL && i < sizeof(keep) / sizeof(keep[0]); i++)
		if ((v = json_object_get(p, keep[i])) != NULL)
			json_object_set(o, keep[i], v);
	return o;
}

int
fs_report_exit_status(const json_t *partners)
{
	size_t i;
	json_t *p;
	int worst = FS_EXIT_OK, x;
	const char *v;

	json_array_foreach(partners, i, p) {
		v = json_string_value(json_object_get(p, "verdict"));
		if (v == NULL)
			continue;
		if (strcmp(v, "degraded") == 0)
			x = FS_EXIT_DEGRADED;
		else if (strcmp(v, "incompatible") == 0 || strcmp(v, "unreachable") == 0)
			x = FS_EXIT_INCOMPATIBLE;
		else if (strcmp(v, "error") == 0)
			x = FS_EXIT_ERROR;
		else
			x = FS_EXIT_OK;
		if (x > worst)
			worst = x;
	}
	return worst;
}

/* ---- text ---- */

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static void
put(FILE *f, const char *s)
{
	fs_fputs_safe(s, f);
}

static const char *
verdict_color(const char *v, bool color)
{
	if (!color)
		return "";
	if (strcmp(v, "compatible") == 0)
		return "\033[32m";
	if (strcmp(v, "degraded") == 0)
		return "\033[33m";
	return "\033[31m";
}

static void
methods_text(FILE *f, const json_t *a)
{
	size_t i;
	json_t *m;

	if (json_array_size(a) == 0) {
		fputs("none", f);
		return;
	}
	json_array_foreach(a, i, m) {
		if (i > 0)
			fputs(", ", f);
		put(f, json_string_value(m));
	}
}

void
fs_report_text_local(FILE *f, const json_t *local, bool color)
{
	json_t *row = json_object_get(local, "row");

	fprintf(f, "Local policy: TLS %s, SASL %s, Dialback %s", str(local, "tls"), str(local, "sasl"),
	    str(local, "dialback"));
	if (json_is_integer(row))
		fprintf(f, " (matrix row %lld)", (long long)json_integer_value(row));
	fputs("\n  accepts: ", f);
	methods_text(f, json_object_get(local, "methods"));
	fprintf(f, "\n  %s: %s\n", str(local, "verdict"), str(local, "message"));
	if (str(local, "meaning")[0] != '\0')
		fprintf(f, "  (the Lync documentation says: %s)\n", str(local, "meaning"));
}

static void
setting_line(FILE *f, const char *label, const json_t *eff, const char *key)
{
	const char *v = str(eff, key), *why;

	fprintf(f, "  %-9s %-13s", label, v);
	if (strcmp(v, "Unknown") == 0) {
		why = str(json_object_get(eff, "unknown"), key);
		fputs(" ", f);
		put(f, why);
	} else {
		fprintf(f, " (confidence %s)", str(json_object_get(eff, "confidence"), key));
	}
	fputc('\n', f);
}

static void
outbound_text(FILE *f, const json_t *ob)
{
	long long n;

	if (!json_is_object(ob))
		return;
	n = (long long)json_integer_value(json_object_get(ob, "connections"));
	if (n == 0) {
		fputs("  outbound:  the partner did not connect back to our listener\n", f);
		return;
	}
	fprintf(f, "  outbound:  %lld connection%s back from [%s]: %s", n, n == 1 ? "" : "s", str(ob, "address"),
	    json_is_true(json_object_get(ob, "starttls")) ? "STARTTLS" : "no STARTTLS");
	if (json_is_true(json_object_get(ob, "tls")))
		fprintf(f, " (%s)", str(ob, "tls_version"));
	if (json_is_true(json_object_get(ob, "client_cert"))) {
		fputs(", client certificate ", f);
		put(f, str(ob, "cert_subject"));
		fputs(json_is_true(json_object_get(ob, "cert_chain_ok")) && json_is_true(json_object_get(ob, "cert_name_ok")) ?
		    " (valid for the partner)" : " (NOT valid: ", f);
		if (!(json_is_true(json_object_get(ob, "cert_chain_ok")) && json_is_true(json_object_get(ob, "cert_name_ok")))) {
			put(f, str(ob, "cert_error"));
			fputs(")", f);
		}
	} else {
		fputs(", no client certificate", f);
	}
	fprintf(f, "%s%s; db:verify %lld valid, %lld invalid\n",
	    json_is_true(json_object_get(ob, "dialback")) ? ", dialback outward" : "",
	    json_is_true(json_object_get(ob, "sasl_external")) ? ", SASL EXTERNAL outward" : "",
	    (long long)json_integer_value(json_object_get(ob, "verify_valid")),
	    (long long)json_integer_value(json_object_get(ob, "verify_invalid")));
}

void
fs_report_text_partner(FILE *f, const json_t *p, bool color, int verbose)
{
	const json_t *eff = json_object_get(p, "effective"), *ep, *x, *conns, *cn;
	const char *v = str(p, "verdict");
	size_t i, k;

	fputc('\n', f);
	put(f, str(p, "domain"));
	fprintf(f, ": %s%s%s\n", verdict_color(v, color), v, color ? "\033[0m" : "");
	json_array_foreach(json_object_get(p, "endpoints"), i, ep) {
		fputs("  endpoint ", f);
		put(f, str(ep, "host"));
		fprintf(f, " [%s]:%lld (%s)%s", str(ep, "address"), (long long)json_integer_value(json_object_get(ep, "port")),
		    str(ep, "source"), json_is_true(json_object_get(ep, "reachable")) ? "" : " unreachable: ");
		if (!json_is_true(json_object_get(ep, "reachable")))
			put(f, str(ep, "error"));
		conns = json_object_get(ep, "connections");
		json_array_foreach(conns, k, cn) {
			x = json_object_get(cn, "tls");
			if (json_is_true(json_object_get(x, "ok")) && strcmp(str(cn, "kind"), "plain") != 0) {
				const json_t *cert = json_object_get(x, "cert");
				fprintf(f, "\n    %s, %s; certificate ", str(x, "version"), str(x, "cipher"));
				if (json_is_true(json_object_get(x, "hidden"))) {
					/* A capture: TLS 1.3 (or a resumed session) shows no certificate. */
					fputs("not visible in the capture: ", f);
					put(f, str(x, "verify_error"));
					break;
				}
				put(f, str(cert, "subject"));
				fprintf(f, ", expires %s, %s, %s", str(cert, "not_after"),
				    json_is_true(json_object_get(x, "chain_ok")) ? "trusted" : "NOT trusted",
				    json_is_true(json_object_get(x, "name_ok")) ? "name ok" : "name MISMATCH");
				break;
			}
		}
		fputc('\n', f);
	}
	setting_line(f, "TLS", eff, "tls");
	setting_line(f, "SASL", eff, "sasl");
	setting_line(f, "Dialback", eff, "dialback");
	outbound_text(f, json_object_get(p, "outbound"));
	x = json_object_get(p, "expected");
	if (json_is_object(x)) {
		fputs("  expected:  ", f);
		fprintf(f, "TLS %s, SASL %s, Dialback %s (", json_is_string(json_object_get(x, "tls")) ? str(x, "tls") :
		    "any", json_is_string(json_object_get(x, "sasl")) ? str(x, "sasl") : "any",
		    json_is_string(json_object_get(x, "dialback")) ? str(x, "dialback") : "any");
		put(f, str(x, "source"));
		fprintf(f, ")%s\n", json_is_false(json_object_get(x, "matches")) ? ": MISMATCH" :
		    json_is_true(json_object_get(x, "matches")) ? ": matches" : "");
	}
	fputs("  methods:   ", f);
	methods_text(f, json_object_get(p, "methods"));
	fputs("\n  negotiated: ", f);
	put(f, json_is_string(json_object_get(p, "negotiated")) ? str(p, "negotiated") : "none");
	fputc('\n', f);
	json_array_foreach(json_object_get(p, "reasons"), i, x) {
		fputs("  - ", f);
		put(f, json_string_value(x));
		fputc('\n', f);
	}
	x = json_object_get(p, "lync");
	if (json_is_object(x)) {
		fputs("  lync:      ", f);
		put(f, json_is_string(json_object_get(x, "powershell")) ? str(x, "powershell") : str(x, "note"));
		fputc('\n', f);
		if (json_is_string(json_object_get(x, "powershell")) && str(x, "note")[0] != '\0') {
			fputs("             ", f);
			put(f, str(x, "note"));
			fputc('\n', f);
		}
	}
	if (verbose > 0 || json_array_size(json_object_get(eff, "evidence")) > 0) {
		fputs("  evidence:\n", f);
		json_array_foreach(json_object_get(eff, "evidence"), i, x) {
			fputs("    ", f);
			put(f, json_string_value(x));
			fputc('\n', f);
		}
	}
}

void
fs_json_stream_begin(struct fs_json_stream *s, FILE *f, const json_t *local)
{
	s->f = f;
	s->n = 0;
	fputs("{\n  \"local\": ", f);
	json_dumpf(local, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputs(",\n  \"partners\": [", f);
	s->open = true;
}

void
fs_json_stream_partner(struct fs_json_stream *s, const json_t *partner)
{
	if (!s->open)
		return;
	fputs(s->n++ > 0 ? ",\n" : "\n", s->f);
	json_dumpf(partner, s->f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fflush(s->f);
}

void
fs_json_stream_end(struct fs_json_stream *s, const json_t *tail)
{
	const char *k;
	json_t *v, *ks;

	if (!s->open)
		return;
	fputs(s->n > 0 ? "\n  ]" : "]", s->f);
	json_object_foreach((json_t *)tail, k, v) {
		fputs(",\n  ", s->f);
		if ((ks = json_string(k)) != NULL) {
			json_dumpf(ks, s->f, JSON_ENCODE_ANY);
			json_decref(ks);
		}
		fputs(": ", s->f);
		json_dumpf(v, s->f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	}
	fputs("\n}\n", s->f);
	fflush(s->f);
	s->open = false;
}
