/* text.c: an assessment as the text a person reads at a glance (fedscan check without --json). */
#include <stdio.h>
#include <string.h>

#include "fedscan/log.h"
#include "fedscan/matrix.h"
#include "fedscan/report.h"

json_t *
fs_report_partner(const struct fs_domain_ev *d, long long now, const struct fs_setting *local)
{
	struct fs_assessment a;
	json_t *o;

	if (fs_assess(d, now, FS_DEFAULT_EXPIRY_WARN_DAYS, local, NULL, &a) != 0)
		return NULL;
	o = fs_assessment_to_json(&a);
	fs_assessment_clear(&a);
	return o;
}

static void
put(FILE *f, const char *s)
{
	fs_fputs_safe(s, f);
}

static const char *
verdict_color(enum fs_verdict v, bool color)
{
	if (!color)
		return "";
	if (v == FS_VERDICT_COMPATIBLE)
		return "\033[32m";
	if (v == FS_VERDICT_DEGRADED)
		return "\033[33m";
	return "\033[31m";
}

static void
methods_text(FILE *f, unsigned methods)
{
	unsigned m;
	bool first = true;

	if (methods == 0) {
		fputs("none", f);
		return;
	}
	for (m = FS_METHOD_SASL_TLS; m <= FS_METHOD_TCP_DIALBACK; m <<= 1) {
		if (!(methods & m))
			continue;
		if (!first)
			fputs(", ", f);
		put(f, fs_method_name((enum fs_method)m));
		first = false;
	}
}

void
fs_report_text_local(FILE *f, const struct fs_setting *local, bool color)
{
	const struct fs_matrix_row *row = fs_policy_row(local);

	fprintf(f, "Local policy: TLS %s, SASL %s, Dialback %s", fs_level_name(local->tls), fs_level_name(local->sasl),
	    fs_dialback_name(local->dialback));
	if (row != NULL)
		fprintf(f, " (matrix row %d)", row->row);
	fputs("\n  accepts: ", f);
	methods_text(f, row != NULL ? row->methods : 0);
	fprintf(f, "\n  %s: %s\n", row != NULL ? fs_config_verdict_name(row->verdict) : "invalid",
	    fs_policy_message(row));
	if (row != NULL && row->meaning[0] != '\0')
		fprintf(f, "  (the Lync documentation says: %s)\n", row->meaning);
}

static void
setting_line(FILE *f, const char *label, const char *value, enum fs_conf conf, const char *why)
{
	fprintf(f, "  %-9s %-13s", label, value);
	if (strcmp(value, "Unknown") == 0) {
		fputs(" ", f);
		put(f, why);
	} else {
		fprintf(f, " (confidence %s)", fs_conf_name(conf));
	}
	fputc('\n', f);
}

static void
outbound_text(FILE *f, const struct fs_outbound_assess *o)
{
	const struct fs_outbound_ev *ob = &o->ev;
	bool valid = ob->cert_chain_ok && ob->cert_name_ok;

	if (!o->present)
		return;
	if (ob->connections == 0) {
		fputs("  outbound:  the partner did not connect back to our listener\n", f);
		return;
	}
	fprintf(f, "  outbound:  %u connection%s back from [", ob->connections, ob->connections == 1 ? "" : "s");
	put(f, ob->address);
	fprintf(f, "]: %s", ob->starttls ? "STARTTLS" : "no STARTTLS");
	if (ob->tls_ok) {
		fputs(" (", f);
		put(f, ob->tls_version);
		fputs(")", f);
	}
	if (ob->client_cert) {
		fputs(", client certificate ", f);
		put(f, ob->cert_subject);
		fputs(valid ? " (valid for the partner)" : " (NOT valid: ", f);
		if (!valid) {
			put(f, ob->cert_error);
			fputs(")", f);
		}
	} else {
		fputs(", no client certificate", f);
	}
	fprintf(f, "%s%s; db:verify %u valid, %u invalid\n", ob->dialback ? ", dialback outward" : "",
	    ob->sasl_external ? ", SASL EXTERNAL outward" : "", ob->verify_valid, ob->verify_invalid);
}

/* --dnssec: the states, the TLSA records, DANE's outcome, and the record the partner could publish. */
static void
dane_text(FILE *f, const struct fs_endpoint_assess *e)
{
	const struct fs_dane_ev *x = &e->dane;
	const char *st = fs_dane_status(x);

	if (!x->looked_up)
		return;
	fprintf(f, "    DNSSEC: SRV %s, address %s, TLSA %s; ", fs_dnssec_name(x->srv), fs_dnssec_name(x->addr),
	    fs_dnssec_name(x->tlsa));
	put(f, x->tlsa_name);
	if (x->tlsa_records[0] != '\0') {
		fputs(": ", f);
		put(f, x->tlsa_records);
	}
	fprintf(f, "\n    DANE: %s", strcmp(st, "valid") == 0 ? (e->tls.chain_ok ? "valid" :
	    "valid (the CA file does not trust it; DANE peers do)") : strcmp(st, "insecure") == 0 ?
	    "not applicable: TLSA or SRV not DNSSEC-secure (RFC 7673)" : strcmp(st, "no-tlsa") == 0 ? "no TLSA records" :
	    st);
	if (x->detail[0] != '\0') {
		fputs(" (", f);
		put(f, x->detail);
		fputc(')', f);
	}
	if (x->error[0] != '\0') {
		fputs("; ", f);
		put(f, x->error);
	}
	fputc('\n', f);
	if (e->tls.spki_sha256[0] != '\0') {
		fputs("    TLSA record to publish: ", f);
		put(f, x->tlsa_name);
		fputs(" IN TLSA 3 1 1 ", f);
		put(f, e->tls.spki_sha256);
		fputc('\n', f);
	}
}

static void
endpoint_text(FILE *f, const struct fs_endpoint_assess *e)
{
	const struct fs_tls_facts *t = &e->tls;
	unsigned i;

	fputs("  endpoint ", f);
	put(f, e->host);
	fputs(" [", f);
	put(f, e->address);
	/* The error already says "not reachable from this host" when the auditing host is the cause. */
	fprintf(f, "]:%d (%s)%s", e->port, fs_ep_source_name(e->source), e->reachable ? "" :
	    e->eff.local_unreachable ? " " : " unreachable: ");
	if (!e->reachable)
		put(f, e->error);
	if (t->ok) {
		fputs("\n    ", f);
		put(f, t->version);
		fputs(", ", f);
		put(f, t->cipher);
		fputs("; certificate ", f);
		if (t->hidden) {
			/* A capture: TLS 1.3 (or a resumed session) shows no certificate. */
			fputs("not visible in the capture: ", f);
			put(f, t->verify_error);
		} else {
			put(f, t->subject);
			fputs(", expires ", f);
			put(f, t->not_after);
			fprintf(f, ", %s, %s", t->chain_ok ? "trusted" : "NOT trusted", t->name_ok ? "name ok" : "name MISMATCH");
		}
	}
	fputc('\n', f);
	dane_text(f, e);
	for (i = 0; i < e->eff.nproofs && i < FS_CONN_KIND_LAST; i++) {
		fputs("    proof: ", f);
		put(f, e->eff.proofs[i]);
		if (e->eff.proof_ms[i] > 0)
			fprintf(f, " in %ld ms", e->eff.proof_ms[i]);
		fputc('\n', f);
	}
}

static void
expected_text(FILE *f, const struct fs_expectation *x)
{
	if (!x->present)
		return;
	fprintf(f, "  expected:  TLS %s, SASL %s, Dialback %s (",
	    x->want.tls != FS_LEVEL_UNKNOWN ? fs_level_name(x->want.tls) : "any",
	    x->want.sasl != FS_LEVEL_UNKNOWN ? fs_level_name(x->want.sasl) : "any",
	    x->want.dialback != FS_DIALBACK_UNKNOWN ? fs_dialback_name(x->want.dialback) : "any");
	put(f, x->source);
	fprintf(f, ")%s\n", x->matches == FS_EXPECT_MISMATCH ? ": MISMATCH" : x->matches == FS_EXPECT_MATCHES ?
	    ": matches" : "");
}

static void
lync_text(FILE *f, const struct fs_lync_words *w)
{
	if (!w->present)
		return;
	fputs("  lync:      ", f);
	put(f, w->advice.known ? w->advice.powershell : w->advice.note);
	fputc('\n', f);
	if (w->advice.known && w->advice.note[0] != '\0') {
		fputs("             ", f);
		put(f, w->advice.note);
		fputc('\n', f);
	}
}

void
fs_report_text_partner(FILE *f, const struct fs_assessment *a, bool color, int verbose)
{
	const struct fs_inference *eff = &a->eff;
	unsigned i;

	fputc('\n', f);
	put(f, a->domain);
	if (a->domain_ascii[0] != '\0') {
		fputs(" (", f);
		put(f, a->domain_ascii);
		fputc(')', f);
	}
	fprintf(f, ": %s%s%s\n", verdict_color(a->verdict, color), fs_verdict_name(a->verdict), color ? "\033[0m" : "");
	for (i = 0; i < a->nendpoints; i++)
		endpoint_text(f, &a->endpoints[i]);
	setting_line(f, "TLS", fs_level_name(eff->s.tls), eff->tls_conf, eff->tls_unknown);
	setting_line(f, "SASL", fs_level_name(eff->s.sasl), eff->sasl_conf, eff->sasl_unknown);
	setting_line(f, "Dialback", fs_dialback_name(eff->s.dialback), eff->dialback_conf, eff->dialback_unknown);
	outbound_text(f, &a->outbound);
	expected_text(f, &a->expected);
	fputs("  methods:   ", f);
	methods_text(f, a->methods);
	fputs("\n  negotiated: ", f);
	put(f, a->negotiated != 0 ? fs_method_name(a->negotiated) : "none");
	fputc('\n', f);
	for (i = 0; i < a->nreasons; i++) {
		fputs("  - ", f);
		put(f, a->reasons[i].text);
		fputc('\n', f);
	}
	lync_text(f, &a->lync);
	if (verbose > 0 || eff->nlines > 0) {
		fputs("  evidence:\n", f);
		for (i = 0; i < eff->nlines; i++) {
			fputs("    ", f);
			put(f, eff->lines[i]);
			fputc('\n', f);
		}
	}
}
