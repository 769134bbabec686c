/* json.c: the contract JSON of an assessment, written and read back here and nowhere else (fedscan(1), JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/assess.h"
#include "fedscan/evjson.h"
#include "fedscan/matrix.h"
#include "fedscan/report.h"

json_t *
fs_report_methods(unsigned methods)
{
	json_t *a = json_array();
	unsigned m;

	for (m = 1; a != NULL && m <= FS_METHOD_TCP_DIALBACK; m <<= 1)
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

int
fs_report_local_read(const json_t *o, struct fs_setting *s)
{
	const char *tls = json_string_value(json_object_get(o, "tls"));
	const char *sasl = json_string_value(json_object_get(o, "sasl"));
	const char *dialback = json_string_value(json_object_get(o, "dialback"));

	if (tls == NULL || sasl == NULL || dialback == NULL || fs_level_parse(tls, &s->tls) != 0 ||
	    fs_level_parse(sasl, &s->sasl) != 0 || fs_dialback_parse(dialback, &s->dialback) != 0)
		return -1;
	return 0;
}

/* ---- writing ---- */

static json_t *
str_or_null(bool present, const char *s)
{
	return present ? fs_json_string_lossy(s) : json_null();
}

/* An "effective" object: the three settings, the evidence lines, confidences and why a field is Unknown. */
static json_t *
setting_json(const struct fs_inference *inf, unsigned keys)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "tls", fs_level_name(inf->s.tls), "sasl", fs_level_name(inf->s.sasl),
	    "dialback", fs_dialback_name(inf->s.dialback));
	json_t *ev, *unk;
	unsigned i;

	if (o == NULL)
		return NULL;
	if (keys & FS_K_EVIDENCE) {
		ev = json_array();
		for (i = 0; ev != NULL && i < inf->nlines; i++)
			json_array_append_new(ev, fs_json_string_lossy(inf->lines[i]));
		json_object_set_new(o, "evidence", ev);
	}
	if (keys & FS_K_CONFIDENCE)
		json_object_set_new(o, "confidence", json_pack("{s:s, s:s, s:s}", "tls", fs_conf_name(inf->tls_conf),
		    "sasl", fs_conf_name(inf->sasl_conf), "dialback", fs_conf_name(inf->dialback_conf)));
	if (keys & FS_K_UNKNOWN) {
		unk = json_object();
		if (inf->s.tls == FS_LEVEL_UNKNOWN)
			json_object_set_new(unk, "tls", fs_json_string_lossy(inf->tls_unknown));
		if (inf->s.sasl == FS_LEVEL_UNKNOWN)
			json_object_set_new(unk, "sasl", fs_json_string_lossy(inf->sasl_unknown));
		if (inf->s.dialback == FS_DIALBACK_UNKNOWN)
			json_object_set_new(unk, "dialback", fs_json_string_lossy(inf->dialback_unknown));
		json_object_set_new(o, "unknown", unk);
	}
	if (keys & FS_K_CERT_REQUIRED)
		json_object_set_new(o, "cert_required", json_boolean(inf->cert_required));
	return o;
}

/* The evidence of each connection: as recorded, or written from the live evidence by evjson.c. */
static json_t *
connections_json(const struct fs_endpoint_assess *e)
{
	json_t *a;
	unsigned k;

	if (e->record != NULL)
		return json_incref(e->record);
	a = json_array();
	for (k = 0; a != NULL && k < e->nconns; k++)
		json_array_append_new(a, fs_conn_ev_to_json(&e->conns[k]));
	return a;
}

static json_t *
endpoint_json(const struct fs_endpoint_assess *e)
{
	json_t *o = json_pack("{s:o, s:i, s:o, s:s, s:b}", "host", fs_json_string_lossy(e->host), "port", e->port,
	    "address", fs_json_string_lossy(e->address), "source", fs_ep_source_name(e->source),
	    "reachable", e->reachable);

	if (o == NULL)
		return NULL;
	if (e->keys & FS_K_PRIORITY) {
		json_object_set_new(o, "priority", json_integer(e->priority));
		json_object_set_new(o, "weight", json_integer(e->weight));
	}
	if (e->keys & FS_K_DIRECT_TLS)
		json_object_set_new(o, "direct_tls", json_boolean(e->direct_tls));
	json_object_set_new(o, "effective", setting_json(&e->eff, e->keys));
	if (!e->reachable)
		json_object_set_new(o, "error", fs_json_string_lossy(e->error));
	/* Written only with --dnssec: every other record reads as before. */
	if (e->dane.looked_up)
		json_object_set_new(o, "dnssec", fs_dane_ev_to_json(&e->dane));
	/* Written only when true: every other record reads as before. */
	if (e->eff.local_unreachable)
		json_object_set_new(o, "local_unreachable", json_true());
	if (e->eff.nproofs > 0) {
		/* The session proof per method, in words (fedscan(1), JSON OUTPUT): absent when none was sent. */
		json_t *pa = json_array();
		unsigned k;
		for (k = 0; pa != NULL && k < e->eff.nproofs && k < FS_CONN_KIND_LAST; k++)
			json_array_append_new(pa, fs_json_string_lossy(e->eff.proofs[k]));
		json_object_set_new(o, "proof", pa);
	}
	if (e->keys & FS_K_CONNECTIONS)
		json_object_set_new(o, "connections", connections_json(e));
	return o;
}

/* What the partner did when it connected back to our listener: what a gateway sees when it connects in. */
static json_t *outbound_fixed(const struct fs_outbound_ev *ob);

/* The outbound object; the answers to our pings the partner sent to the listener only when there are some. */
static json_t *
outbound_json(const struct fs_outbound_ev *ob)
{
	json_t *o = outbound_fixed(ob), *arr;
	unsigned i;

	if (o == NULL || ob->nanswers == 0)
		return o;
	if ((arr = json_array()) == NULL || json_object_set_new(o, "ping_answers", arr) != 0) {
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < ob->nanswers && i < FS_CONN_KIND_LAST; i++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o}", "id", fs_json_string_lossy(ob->answers[i].id),
		    "answer", fs_json_string_lossy(ob->answers[i].answer),
		    "condition", fs_json_string_lossy(ob->answers[i].condition)));
	return o;
}

static json_t *
outbound_fixed(const struct fs_outbound_ev *ob)
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

static json_t *
field_list(unsigned bits)
{
	static const char *const fields[3] = { "tls", "sasl", "dialback" };
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a != NULL && i < 3; i++)
		if (bits & (1U << i))
			json_array_append_new(a, json_string(fields[i]));
	return a;
}

static json_t *
expected_json(const struct fs_expectation *x)
{
	json_t *o;

	if (!x->present)
		return json_null();
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
	    "tls", x->want.tls != FS_LEVEL_UNKNOWN ? json_string(fs_level_name(x->want.tls)) : json_null(),
	    "sasl", x->want.sasl != FS_LEVEL_UNKNOWN ? json_string(fs_level_name(x->want.sasl)) : json_null(),
	    "dialback", x->want.dialback != FS_DIALBACK_UNKNOWN ? json_string(fs_dialback_name(x->want.dialback)) :
	    json_null(),
	    "row", x->row > 0 ? json_integer(x->row) : json_null(),
	    "source", fs_json_string_lossy(x->source),
	    "description", str_or_null(x->has_description, x->description));
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "matches", x->matches == FS_EXPECT_MATCHES ? json_true() :
	    x->matches == FS_EXPECT_MISMATCH ? json_false() : json_null());
	json_object_set_new(o, "mismatches", field_list(x->mismatches));
	json_object_set_new(o, "unconfirmed", field_list(x->unconfirmed));
	return o;
}

static json_t *
dns_json(const struct fs_dns_ev *dns)
{
	json_t *o = json_pack("{s:b, s:b, s:b, s:b, s:o}", "srv", dns->srv_found, "srv_tls", dns->srv_tls_found,
	    "srv_no_service", dns->srv_dot, "failed", dns->failed, "error", fs_json_string_lossy(dns->error));

	/* --dnssec: the SRV answers' states (written only then, so other records read as before). */
	if (o != NULL && (dns->srv_dnssec != FS_DNSSEC_UNKNOWN || dns->srv_tls_dnssec != FS_DNSSEC_UNKNOWN)) {
		json_object_set_new(o, "srv_dnssec", json_string(fs_dnssec_name(dns->srv_dnssec)));
		json_object_set_new(o, "srv_tls_dnssec", json_string(fs_dnssec_name(dns->srv_tls_dnssec)));
	}
	return o;
}

json_t *
fs_assessment_to_json(const struct fs_assessment *a)
{
	json_t *o, *eps = json_array(), *reasons = json_array();
	unsigned i;

	for (i = 0; eps != NULL && i < a->nendpoints; i++)
		json_array_append_new(eps, endpoint_json(&a->endpoints[i]));
	for (i = 0; reasons != NULL && i < a->nreasons; i++)
		json_array_append_new(reasons, fs_json_string_lossy(a->reasons[i].text));
	o = json_pack("{s:o, s:o, s:o, s:o}", "domain", fs_json_string_lossy(a->domain), "endpoints", eps,
	    "effective", setting_json(&a->eff, a->keys), "methods", fs_report_methods(a->methods));
	if (o == NULL) {
		json_decref(reasons);
		return NULL;
	}
	/* An internationalized domain: the A-label form too (written only then, so other records read as before). */
	if (a->domain_ascii[0] != '\0')
		json_object_set_new(o, "domain_ascii", fs_json_string_lossy(a->domain_ascii));
	if (a->keys & FS_K_ROW)
		json_object_set_new(o, "row", a->row > 0 ? json_integer(a->row) : json_null());
	json_object_set_new(o, "negotiated", a->negotiated != 0 ? json_string(fs_method_name(a->negotiated)) :
	    json_null());
	json_object_set_new(o, "verdict", json_string(fs_verdict_name(a->verdict)));
	json_object_set_new(o, "reasons", reasons);
	if (a->keys & FS_K_DNS)
		json_object_set_new(o, "dns", dns_json(&a->dns));
	if (a->keys & FS_K_FROM)
		json_object_set_new(o, "from", fs_json_string_lossy(a->from));
	if (a->keys & FS_K_DURATION)
		json_object_set_new(o, "duration_ms", json_integer(a->duration_ms));
	if (a->keys & FS_K_CLIENT_CERT)
		json_object_set_new(o, "client_cert", json_boolean(a->client_cert));
	if (a->outbound.present)
		json_object_set_new(o, "outbound", outbound_json(&a->outbound.ev));
	/* Lync's words for this partner, then what the policy file expected of it. */
	if (a->lync.present)
		json_object_set_new(o, "lync", json_pack("{s:o, s:o}", "powershell",
		    str_or_null(a->lync.advice.known, a->lync.advice.powershell),
		    "note", fs_json_string_lossy(a->lync.advice.note)));
	if (a->keys & FS_K_EXPECTED)
		json_object_set_new(o, "expected", expected_json(&a->expected));
	return o;
}

/* ---- reading back (a record is hostile input: wrong types read as absent, strings are cut to fit) ---- */

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static bool
jbool(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static long long
jint(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static int
jint_clamped(const json_t *o, const char *k)
{
	long long v = jint(o, k);

	return v < -1000000000LL ? -1000000000 : v > 1000000000LL ? 1000000000 : (int)v;
}

static enum fs_conf
conf_parse(const char *s)
{
	return strcmp(s, "high") == 0 ? FS_CONF_HIGH : strcmp(s, "medium") == 0 ? FS_CONF_MEDIUM :
	    strcmp(s, "low") == 0 ? FS_CONF_LOW : FS_CONF_NONE;
}

static void
setting_read(const json_t *o, struct fs_inference *inf, unsigned *keys)
{
	const json_t *ev = json_object_get(o, "evidence"), *conf = json_object_get(o, "confidence");
	const json_t *unk = json_object_get(o, "unknown"), *x;
	size_t i;

	if (fs_level_parse(jstr(o, "tls"), &inf->s.tls) != 0)
		inf->s.tls = FS_LEVEL_UNKNOWN;
	if (fs_level_parse(jstr(o, "sasl"), &inf->s.sasl) != 0)
		inf->s.sasl = FS_LEVEL_UNKNOWN;
	if (strcmp(jstr(o, "dialback"), "Unknown") == 0 || fs_dialback_parse(jstr(o, "dialback"), &inf->s.dialback) != 0)
		inf->s.dialback = FS_DIALBACK_UNKNOWN;
	if (json_is_array(ev)) {
		*keys |= FS_K_EVIDENCE;
		json_array_foreach(ev, i, x)
			if (json_is_string(x) && inf->nlines < FS_INFER_LINES)
				FS_EV_SET(inf->lines[inf->nlines++], json_string_value(x));
	}
	if (json_is_object(conf)) {
		*keys |= FS_K_CONFIDENCE;
		inf->tls_conf = conf_parse(jstr(conf, "tls"));
		inf->sasl_conf = conf_parse(jstr(conf, "sasl"));
		inf->dialback_conf = conf_parse(jstr(conf, "dialback"));
	}
	if (json_is_object(unk)) {
		*keys |= FS_K_UNKNOWN;
		FS_EV_SET(inf->tls_unknown, jstr(unk, "tls"));
		FS_EV_SET(inf->sasl_unknown, jstr(unk, "sasl"));
		FS_EV_SET(inf->dialback_unknown, jstr(unk, "dialback"));
	}
	if (json_is_boolean(json_object_get(o, "cert_required"))) {
		*keys |= FS_K_CERT_REQUIRED;
		inf->cert_required = jbool(o, "cert_required");
	}
}

static int
source_parse(const char *s, enum fs_ep_source *out)
{
	enum fs_ep_source v;

	for (v = FS_SRC_SRV; v <= FS_SRC_PASSIVE; v++) {
		if (strcmp(s, fs_ep_source_name(v)) == 0) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/*
 * The proofs' times, re-read from the connections as recorded (connections[].proof.answer_ms): the proof lines
 * are those of the connections that sent a ping, in plan order (src/model/infer_proof.c), as the record lists them.
 */
static void
proof_ms_read(const json_t *conns, struct fs_inference *eff)
{
	const json_t *cn, *p, *ms;
	unsigned n = 0;
	size_t k;

	json_array_foreach(conns, k, cn) {
		p = json_object_get(cn, "proof");
		if (!json_is_object(p) || strcmp(jstr(p, "result"), "not-sent") == 0)
			continue;
		if (n >= eff->nproofs)
			break;
		ms = json_object_get(p, "answer_ms");
		eff->proof_ms[n++] = json_is_integer(ms) && json_integer_value(ms) > 0 ? (long)json_integer_value(ms) : 0;
	}
}

/* The endpoint's TLS facts, re-read from its evidence record exactly as fs_assess() reads them from evidence. */
static void
tls_facts_read(const json_t *conns, struct fs_tls_facts *t)
{
	const json_t *cn, *x, *cert;
	size_t k;

	json_array_foreach(conns, k, cn) {
		x = json_object_get(cn, "tls");
		if (!jbool(x, "ok") || strcmp(jstr(cn, "kind"), "plain") == 0)
			continue;
		cert = json_object_get(x, "cert");
		t->ok = true;
		t->hidden = jbool(x, "hidden");
		FS_EV_SET(t->version, jstr(x, "version"));
		FS_EV_SET(t->cipher, jstr(x, "cipher"));
		FS_EV_SET(t->verify_error, jstr(x, "verify_error"));
		t->cert_present = jbool(cert, "present");
		FS_EV_SET(t->subject, jstr(cert, "subject"));
		FS_EV_SET(t->not_after, jstr(cert, "not_after"));
		t->not_after_epoch = jint(cert, "not_after_epoch");
		FS_EV_SET(t->sha256, jstr(cert, "sha256"));
		t->chain_ok = jbool(x, "chain_ok");
		t->name_ok = jbool(x, "name_ok");
		FS_EV_SET(t->spki_sha256, jstr(cert, "spki_sha256"));
		return;
	}
}

static int
endpoint_read(const json_t *o, struct fs_endpoint_assess *e, char *err, size_t errlen)
{
	const json_t *conns = json_object_get(o, "connections"), *x;
	size_t k;

	FS_EV_SET(e->host, jstr(o, "host"));
	e->port = jint_clamped(o, "port");
	FS_EV_SET(e->address, jstr(o, "address"));
	if (source_parse(jstr(o, "source"), &e->source) != 0) {
		snprintf(err, errlen, "endpoint [%.64s]:%d has no known source", e->address, e->port);
		return -1;
	}
	e->reachable = jbool(o, "reachable");
	if (json_is_integer(json_object_get(o, "priority"))) {
		e->keys |= FS_K_PRIORITY;
		e->priority = jint_clamped(o, "priority");
		e->weight = jint_clamped(o, "weight");
	}
	if (json_is_boolean(json_object_get(o, "direct_tls"))) {
		e->keys |= FS_K_DIRECT_TLS;
		e->direct_tls = jbool(o, "direct_tls");
	}
	setting_read(json_object_get(o, "effective"), &e->eff, &e->keys);
	e->eff.reachable = e->reachable;
	FS_EV_SET(e->error, jstr(o, "error"));
	e->eff.local_unreachable = jbool(o, "local_unreachable");
	fs_dane_ev_from_json(json_object_get(o, "dnssec"), &e->dane);
	json_array_foreach(json_object_get(o, "proof"), k, x) {
		if (e->eff.nproofs >= FS_CONN_KIND_LAST || !json_is_string(x))
			break;
		FS_EV_SET(e->eff.proofs[e->eff.nproofs++], json_string_value(x));
	}
	if (json_is_array(conns)) {
		e->keys |= FS_K_CONNECTIONS;
		e->record = json_incref((json_t *)conns);
		tls_facts_read(conns, &e->tls);
		proof_ms_read(conns, &e->eff);
	}
	return 0;
}

static unsigned
field_bits(const json_t *a)
{
	static const char *const fields[3] = { "tls", "sasl", "dialback" };
	const json_t *x;
	unsigned bits = 0, i;
	size_t k;

	json_array_foreach(a, k, x)
		for (i = 0; i < 3; i++)
			if (json_is_string(x) && strcmp(json_string_value(x), fields[i]) == 0)
				bits |= 1U << i;
	return bits;
}

static void
expected_read(const json_t *o, struct fs_expectation *x)
{
	const json_t *m = json_object_get(o, "matches");

	if (!json_is_object(o))
		return;
	x->present = true;
	if (fs_level_parse(jstr(o, "tls"), &x->want.tls) != 0)
		x->want.tls = FS_LEVEL_UNKNOWN;
	if (fs_level_parse(jstr(o, "sasl"), &x->want.sasl) != 0)
		x->want.sasl = FS_LEVEL_UNKNOWN;
	if (fs_dialback_parse(jstr(o, "dialback"), &x->want.dialback) != 0)
		x->want.dialback = FS_DIALBACK_UNKNOWN;
	x->row = (int)(json_is_integer(json_object_get(o, "row")) ? jint_clamped(o, "row") : 0);
	FS_EV_SET(x->source, jstr(o, "source"));
	x->has_description = json_is_string(json_object_get(o, "description"));
	FS_EV_SET(x->description, jstr(o, "description"));
	x->matches = json_is_true(m) ? FS_EXPECT_MATCHES : json_is_false(m) ? FS_EXPECT_MISMATCH : FS_EXPECT_UNDECIDED;
	x->mismatches = field_bits(json_object_get(o, "mismatches"));
	x->unconfirmed = field_bits(json_object_get(o, "unconfirmed"));
}

static void
outbound_read(const json_t *o, struct fs_outbound_ev *ob)
{
	const json_t *x;
	size_t i;

	ob->connections = (unsigned)jint_clamped(o, "connections");
	ob->refused = (unsigned)jint_clamped(o, "refused");
	FS_EV_SET(ob->address, jstr(o, "address"));
	ob->starttls = jbool(o, "starttls");
	ob->tls_ok = jbool(o, "tls");
	FS_EV_SET(ob->tls_version, jstr(o, "tls_version"));
	ob->client_cert = jbool(o, "client_cert");
	ob->cert_chain_ok = jbool(o, "cert_chain_ok");
	ob->cert_name_ok = jbool(o, "cert_name_ok");
	FS_EV_SET(ob->cert_subject, jstr(o, "cert_subject"));
	FS_EV_SET(ob->cert_error, jstr(o, "cert_error"));
	ob->sasl_external = jbool(o, "sasl_external");
	ob->dialback = jbool(o, "dialback");
	ob->verify_requests = (unsigned)jint_clamped(o, "verify_requests");
	ob->verify_valid = (unsigned)jint_clamped(o, "verify_valid");
	ob->verify_invalid = (unsigned)jint_clamped(o, "verify_invalid");
	FS_EV_SET(ob->close_reason, jstr(o, "close_reason"));
	json_array_foreach(json_object_get(o, "ping_answers"), i, x) {
		if (ob->nanswers >= FS_CONN_KIND_LAST || !json_is_object(x))
			break;
		FS_EV_SET(ob->answers[ob->nanswers].id, jstr(x, "id"));
		FS_EV_SET(ob->answers[ob->nanswers].answer, jstr(x, "answer"));
		FS_EV_SET(ob->answers[ob->nanswers].condition, jstr(x, "condition"));
		ob->nanswers++;
	}
}

/* The top-level keys other than endpoints, effective, expected and outbound. */
static void
partner_read(const json_t *o, struct fs_assessment *a)
{
	const json_t *x, *dns = json_object_get(o, "dns"), *lync = json_object_get(o, "lync");
	size_t i;
	enum fs_method m;

	json_array_foreach(json_object_get(o, "methods"), i, x)
		for (m = FS_METHOD_SASL_TLS; m <= FS_METHOD_TCP_DIALBACK; m <<= 1)
			if (json_is_string(x) && strcmp(json_string_value(x), fs_method_name(m)) == 0)
				a->methods |= m;
	if (json_object_get(o, "row") != NULL) {
		a->keys |= FS_K_ROW;
		a->row = json_is_integer(json_object_get(o, "row")) ? jint_clamped(o, "row") : 0;
	}
	for (m = FS_METHOD_SASL_TLS; m <= FS_METHOD_TCP_DIALBACK; m <<= 1)
		if (strcmp(jstr(o, "negotiated"), fs_method_name(m)) == 0)
			a->negotiated = m;
	json_array_foreach(json_object_get(o, "reasons"), i, x)
		if (json_is_string(x))
			fs_assess_reason(a, FS_R_OTHER, FS_P_OTHER, json_string_value(x));
	if (json_is_object(dns)) {
		a->keys |= FS_K_DNS;
		a->dns.srv_found = jbool(dns, "srv");
		a->dns.srv_tls_found = jbool(dns, "srv_tls");
		a->dns.srv_dot = jbool(dns, "srv_no_service");
		a->dns.failed = jbool(dns, "failed");
		FS_EV_SET(a->dns.error, jstr(dns, "error"));
		a->dns.srv_dnssec = fs_dnssec_parse(jstr(dns, "srv_dnssec"));
		a->dns.srv_tls_dnssec = fs_dnssec_parse(jstr(dns, "srv_tls_dnssec"));
	}
	if (json_is_string(json_object_get(o, "from")))
		a->keys |= FS_K_FROM;
	FS_EV_SET(a->from, jstr(o, "from"));
	if (json_is_integer(json_object_get(o, "duration_ms")))
		a->keys |= FS_K_DURATION;
	a->duration_ms = jint(o, "duration_ms");
	if (json_is_boolean(json_object_get(o, "client_cert")))
		a->keys |= FS_K_CLIENT_CERT;
	a->client_cert = jbool(o, "client_cert");
	if (json_is_object(lync)) {
		a->lync.present = true;
		a->lync.advice.known = json_is_string(json_object_get(lync, "powershell"));
		FS_EV_SET(a->lync.advice.powershell, jstr(lync, "powershell"));
		FS_EV_SET(a->lync.advice.note, jstr(lync, "note"));
	}
}

int
fs_assessment_from_json(const json_t *o, struct fs_assessment *a, char *err, size_t errlen)
{
	const json_t *eps = json_object_get(o, "endpoints"), *x;
	size_t i, n;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "domain"))) {
		snprintf(err, errlen, "not a partner record (no domain)");
		return -1;
	}
	FS_EV_SET(a->domain, jstr(o, "domain"));
	FS_EV_SET(a->domain_ascii, jstr(o, "domain_ascii"));
	if (fs_verdict_parse(jstr(o, "verdict"), &a->verdict) != 0) {
		snprintf(err, errlen, "%.200s: the record has no known verdict", a->domain);
		return -1;
	}
	n = json_array_size(eps);
	if (n > FS_MAX_ENDPOINTS) {
		snprintf(err, errlen, "%.200s: the record has %zu endpoints (at most %d)", a->domain, n, FS_MAX_ENDPOINTS);
		return -1;
	}
	if (n > 0 && (a->endpoints = calloc(n, sizeof(*a->endpoints))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(eps, i, x) {
		a->nendpoints = (unsigned)i + 1;
		if (endpoint_read(x, &a->endpoints[i], err, errlen) != 0) {
			fs_assessment_clear(a);
			return -1;
		}
	}
	setting_read(json_object_get(o, "effective"), &a->eff, &a->keys);
	a->eff.reachable = a->verdict != FS_VERDICT_UNREACHABLE;
	partner_read(o, a);
	if (json_is_object(json_object_get(o, "outbound"))) {
		a->outbound.present = true;
		outbound_read(json_object_get(o, "outbound"), &a->outbound.ev);
	}
	if (json_object_get(o, "expected") != NULL) {
		a->keys |= FS_K_EXPECTED;
		expected_read(json_object_get(o, "expected"), &a->expected);
	}
	return 0;
}

/* ---- a --json document written as the audit goes ---- */

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
