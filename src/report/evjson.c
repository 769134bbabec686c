/* evjson.c: evidence to JSON and back, through one field table per struct. */
#include <stddef.h>
#include <string.h>

#include "fedscan/evjson.h"

/* F_FLAG: a bool written only when true, so records from before it existed and records without it read alike. */
/* F_OSTR: a string written only when not empty, for the same reason. */
/* F_OSUB: a struct written only when some byte of it is set (the session proof: absent when never sent). */
/* F_OLONG: a long written only when positive (a time measured; 0 is "not measured"). */
enum ftype { F_BOOL, F_FLAG, F_INT, F_LONG, F_I64, F_STR, F_OSTR, F_ENUM, F_SUB, F_OSUB, F_OLONG };

struct fdef {
	const char *name;
	enum ftype t;
	size_t off, size;
	const struct fdef *sub;        /* F_SUB */
	const char *const *names;      /* F_ENUM: value names, NULL-terminated */
};

#define FB(s, f) { #f, F_BOOL, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define FF(s, f) { #f, F_FLAG, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define FI(s, f) { #f, F_INT, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define FL(s, f) { #f, F_LONG, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define F64(s, f) { #f, F_I64, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define FS(s, f) { #f, F_STR, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define FOS(s, f) { #f, F_OSTR, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define FE(s, f, n) { #f, F_ENUM, offsetof(s, f), sizeof(((s *)0)->f), NULL, n }
#define FSUB(s, f, t) { #f, F_SUB, offsetof(s, f), sizeof(((s *)0)->f), t, NULL }
#define FOSUB(s, f, t) { #f, F_OSUB, offsetof(s, f), sizeof(((s *)0)->f), t, NULL }
#define FOL(s, f) { #f, F_OLONG, offsetof(s, f), sizeof(((s *)0)->f), NULL, NULL }
#define FEND { NULL, F_BOOL, 0, 0, NULL, NULL }

static const char *const kind_names[] = { "starttls", "plain", "direct-tls", "starttls-nocert", "dialback-cert", NULL };
static const char *const starttls_names[] = { "not-tried", "proceed", "failure", "no-answer", NULL };
static const char *const sasl_names[] = { "not-tried", "success", "failure", "no-answer", NULL };
static const char *const db_names[] = { "not-sent", "valid", "invalid", "error", "stream-error", "closed", "timeout",
	NULL };

static const struct fdef stream_f[] = {
	FB(struct fs_stream_ev, header), FB(struct fs_stream_ev, version1), FB(struct fs_stream_ev, db_ns),
	FS(struct fs_stream_ev, version), FS(struct fs_stream_ev, id), FS(struct fs_stream_ev, from),
	FS(struct fs_stream_ev, to), FB(struct fs_stream_ev, features), FB(struct fs_stream_ev, starttls),
	FB(struct fs_stream_ev, starttls_required), FB(struct fs_stream_ev, only_starttls),
	FB(struct fs_stream_ev, dialback), FB(struct fs_stream_ev, dialback_errors), FB(struct fs_stream_ev, bidi),
	FB(struct fs_stream_ev, mechanisms), FS(struct fs_stream_ev, mechanism_list), FS(struct fs_stream_ev, other),
	FF(struct fs_stream_ev, not_server),
	FEND
};

static const struct fdef cert_f[] = {
	FB(struct fs_cert_ev, present), FS(struct fs_cert_ev, subject), FS(struct fs_cert_ev, issuer),
	FS(struct fs_cert_ev, sans), FS(struct fs_cert_ev, not_before), FS(struct fs_cert_ev, not_after),
	F64(struct fs_cert_ev, not_after_epoch), FS(struct fs_cert_ev, sha256), FS(struct fs_cert_ev, key),
	FS(struct fs_cert_ev, sig_alg), FI(struct fs_cert_ev, chain_len), FS(struct fs_cert_ev, spki_sha256), FEND
};

static const struct fdef tls_f[] = {
	FB(struct fs_tls_ev, attempted), FB(struct fs_tls_ev, ok), FS(struct fs_tls_ev, error),
	FS(struct fs_tls_ev, version), FS(struct fs_tls_ev, cipher), FS(struct fs_tls_ev, alpn),
	FB(struct fs_tls_ev, cert_requested), FB(struct fs_tls_ev, cert_sent), FB(struct fs_tls_ev, chain_ok),
	FI(struct fs_tls_ev, verify_code), FS(struct fs_tls_ev, verify_error), FB(struct fs_tls_ev, name_ok),
	FS(struct fs_tls_ev, name_match), FB(struct fs_tls_ev, expired), FL(struct fs_tls_ev, injected_bytes),
	FB(struct fs_tls_ev, hidden), FF(struct fs_tls_ev, dane_checked), FF(struct fs_tls_ev, dane_ok),
	FSUB(struct fs_tls_ev, cert, cert_f), FEND
};

static const struct fdef sasl_f[] = {
	FE(struct fs_sasl_ev, result, sasl_names), FI(struct fs_sasl_ev, tries), FS(struct fs_sasl_ev, condition),
	FS(struct fs_sasl_ev, text), FEND
};

static const struct fdef db_f[] = {
	FE(struct fs_dialback_ev, result, db_names), FB(struct fs_dialback_ev, over_tls),
	FS(struct fs_dialback_ev, condition), FS(struct fs_dialback_ev, text), FL(struct fs_dialback_ev, wait_ms),
	FL(struct fs_dialback_ev, grace_ms),
	FEND
};

static const char *const proof_names[] = { "not-sent", "answered", "refused", "closed", "no-answer", NULL };

static const struct fdef proof_f[] = {
	FE(struct fs_proof_ev, result, proof_names), FS(struct fs_proof_ev, method), FS(struct fs_proof_ev, id),
	FS(struct fs_proof_ev, answer), FS(struct fs_proof_ev, condition), FS(struct fs_proof_ev, text),
	FL(struct fs_proof_ev, wait_ms), FOL(struct fs_proof_ev, answer_ms), FEND
};

static const struct fdef conn_f[] = {
	FE(struct fs_conn_ev, kind, kind_names), FB(struct fs_conn_ev, attempted), FB(struct fs_conn_ev, connected),
	FS(struct fs_conn_ev, connect_error), FB(struct fs_conn_ev, client_cert),
	FSUB(struct fs_conn_ev, pre, stream_f), FE(struct fs_conn_ev, starttls, starttls_names),
	FSUB(struct fs_conn_ev, tls, tls_f), FSUB(struct fs_conn_ev, post, stream_f),
	FSUB(struct fs_conn_ev, sasl, sasl_f), FSUB(struct fs_conn_ev, post_sasl, stream_f),
	FSUB(struct fs_conn_ev, dialback, db_f), FS(struct fs_conn_ev, stream_error),
	FS(struct fs_conn_ev, stream_error_text), FS(struct fs_conn_ev, stream_error_stage),
	FS(struct fs_conn_ev, see_other_host), FS(struct fs_conn_ev, close_reason), FB(struct fs_conn_ev, xml_error),
	FB(struct fs_conn_ev, timed_out), FB(struct fs_conn_ev, peer_closed), FL(struct fs_conn_ev, bytes_in),
	FL(struct fs_conn_ev, bytes_out), FL(struct fs_conn_ev, duration_ms), FB(struct fs_conn_ev, post_hidden),
	FS(struct fs_conn_ev, stream), FF(struct fs_conn_ev, local_unreachable), FOS(struct fs_conn_ev, broke_at), FOSUB(struct fs_conn_ev, proof, proof_f), FEND
};

json_t *
fs_json_string_lossy(const char *s)
{
	char buf[FS_EV_LONG * 2];
	json_t *v;
	size_t i;

	if ((v = json_string(s)) != NULL)
		return v;
	/* Not UTF-8: keep ASCII, mark every other byte, so the document stays valid JSON. */
	for (i = 0; s[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

static int
enum_get(const void *p, size_t size)
{
	/* Enums are int-sized here; read through the declared size to stay honest. */
	int v = 0;

	memcpy(&v, p, size < sizeof(v) ? size : sizeof(v));
	return v;
}

static json_t *
to_json(const struct fdef *t, const void *base)
{
	json_t *o = json_object(), *v;
	const char *p;
	int e, k;

	if (o == NULL)
		return NULL;
	for (; t->name != NULL; t++) {
		p = (const char *)base + t->off;
		switch (t->t) {
		case F_BOOL: v = json_boolean(*(const bool *)p); break;
		case F_FLAG:
			if (!*(const bool *)p)
				continue;
			v = json_true();
			break;
		case F_INT: v = json_integer(*(const int *)p); break;
		case F_LONG: v = json_integer(*(const long *)p); break;
		case F_OLONG:
			if (*(const long *)p <= 0)
				continue;
			v = json_integer(*(const long *)p);
			break;
		case F_I64: v = json_integer(*(const int64_t *)p); break;
		case F_STR: v = fs_json_string_lossy(p); break;
		case F_OSTR:
			if (*p == '\0')
				continue;
			v = fs_json_string_lossy(p);
			break;
		case F_ENUM:
			e = enum_get(p, t->size);
			for (k = 0; t->names[k] != NULL && k < e; k++)
				;
			v = json_string(t->names[k] != NULL ? t->names[k] : "?");
			break;
		case F_SUB: v = to_json(t->sub, p); break;
		case F_OSUB:
			for (k = 0; (size_t)k < t->size && p[k] == 0; k++)
				;
			if ((size_t)k == t->size)
				continue;
			v = to_json(t->sub, p);
			break;
		default: v = NULL; break;
		}
		if (v == NULL || json_object_set_new(o, t->name, v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static void
from_json(const struct fdef *t, const json_t *o, void *base)
{
	const json_t *v;
	char *p;
	int k;

	for (; t->name != NULL; t++) {
		if ((v = json_object_get(o, t->name)) == NULL)
			continue;
		p = (char *)base + t->off;
		switch (t->t) {
		case F_BOOL:
		case F_FLAG: if (json_is_boolean(v)) *(bool *)p = json_is_true(v); break;
		case F_INT: if (json_is_integer(v)) *(int *)p = (int)json_integer_value(v); break;
		case F_LONG:
		case F_OLONG: if (json_is_integer(v)) *(long *)p = (long)json_integer_value(v); break;
		case F_I64: if (json_is_integer(v)) *(int64_t *)p = (int64_t)json_integer_value(v); break;
		case F_STR:
		case F_OSTR: if (json_is_string(v)) fs_ev_set(p, t->size, json_string_value(v)); break;
		case F_ENUM:
			if (!json_is_string(v))
				break;
			for (k = 0; t->names[k] != NULL; k++)
				if (strcmp(t->names[k], json_string_value(v)) == 0) {
					memcpy(p, &k, t->size < sizeof(k) ? t->size : sizeof(k));
					break;
				}
			break;
		case F_SUB:
		case F_OSUB: if (json_is_object(v)) from_json(t->sub, v, p); break;
		}
	}
}

json_t *
fs_conn_ev_to_json(const struct fs_conn_ev *ev)
{
	return to_json(conn_f, ev);
}

int
fs_conn_ev_from_json(const json_t *obj, struct fs_conn_ev *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(obj))
		return -1;
	from_json(conn_f, obj, ev);
	return 0;
}
