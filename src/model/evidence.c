/* evidence.c: names of evidence enums, bounded string setters, and a domain's endpoint list. */
#include <stdlib.h>
#include <string.h>

#include "fedscan/evidence.h"

const char *
fs_ep_source_name(enum fs_ep_source s)
{
	switch (s) {
	case FS_SRC_SRV: return "srv";
	case FS_SRC_SRV_TLS: return "srv-tls";
	case FS_SRC_FALLBACK: return "fallback";
	case FS_SRC_CONNECT: return "connect";
	case FS_SRC_PASSIVE: return "passive";
	}
	return "?";
}

const char *
fs_conn_kind_name(enum fs_conn_kind k)
{
	switch (k) {
	case FS_CONN_STARTTLS: return "starttls";
	case FS_CONN_PLAIN: return "plain";
	case FS_CONN_DIRECT_TLS: return "direct-tls";
	case FS_CONN_STARTTLS_NOCERT: return "starttls-nocert";
	case FS_CONN_DIALBACK_CERT: return "dialback-cert";
	default: return "?";
	}
}

const char *
fs_db_ev_name(enum fs_db_ev r)
{
	switch (r) {
	case FS_DB_NOT_SENT: return "not-sent";
	case FS_DB_VALID: return "valid";
	case FS_DB_INVALID: return "invalid";
	case FS_DB_ERROR: return "error";
	case FS_DB_STREAM_ERROR: return "stream-error";
	case FS_DB_CLOSED: return "closed";
	case FS_DB_TIMEOUT: return "timeout";
	}
	return "?";
}

void
fs_ev_set(char *dst, size_t dstsize, const char *src)
{
	size_t n;

	if (dstsize == 0)
		return;
	if (src == NULL)
		src = "";
	n = strlen(src);
	if (n >= dstsize) {
		n = dstsize - 1;
		/* Do not cut a UTF-8 sequence in half. */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
fs_ev_append(char *dst, size_t dstsize, const char *word)
{
	size_t have = strlen(dst), need = strlen(word) + (have > 0 ? 1 : 0);

	if (have + need >= dstsize)
		return;
	if (have > 0)
		dst[have++] = ' ';
	memcpy(dst + have, word, strlen(word) + 1);
}

struct fs_endpoint_ev *
fs_domain_ev_add_endpoint(struct fs_domain_ev *d)
{
	struct fs_endpoint_ev *n;

	if (d->nendpoints >= FS_MAX_ENDPOINTS)
		return NULL;
	if ((n = realloc(d->endpoints, (d->nendpoints + 1) * sizeof(*n))) == NULL)
		return NULL;
	d->endpoints = n;
	memset(&n[d->nendpoints], 0, sizeof(*n));
	return &n[d->nendpoints++];
}

void
fs_domain_ev_clear(struct fs_domain_ev *d)
{
	if (d == NULL)
		return;
	free(d->endpoints);
	d->endpoints = NULL;
	d->nendpoints = 0;
}

bool
fs_ev_has_word(const char *list, const char *word)
{
	size_t l = strlen(word);
	const char *p = list;

	if (l == 0)
		return false;
	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[l] == '\0' || p[l] == ' '))
			return true;
		p += l;
	}
	return false;
}

const char *
fs_proof_name(enum fs_proof_result r)
{
	static const char *const n[] = { "not-sent", "answered", "refused", "closed", "no-answer" };

	return (unsigned)r < sizeof(n) / sizeof(n[0]) ? n[r] : "?";
}

/* One ping's time from the clock readings of its send and its answer: never 0, which says "not timed". */
static long
round_trip(long sent, long at)
{
	return at - sent > 0 ? at - sent : 1;
}

/*
 * The answer to a ping comes on the partner's own stream, to our listener (doc/inference-rules.md#p1), so its
 * time is known only once both connections are over: each ping takes the first answer with its id that arrived
 * after it was sent and that no other ping took.
 */
void
fs_domain_ev_time_proofs(struct fs_domain_ev *d)
{
	const struct fs_outbound_ev *ob = &d->outbound;
	bool taken[FS_CONN_KIND_LAST] = { false };
	struct fs_proof_ev *p;
	unsigned e, k, i;

	for (e = 0; e < d->nendpoints; e++)
		for (k = 0; k < FS_CONN_KIND_LAST; k++) {
			p = &d->endpoints[e].conns[k].proof;
			if (!d->endpoints[e].conns[k].attempted || p->result == FS_PROOF_NOT_SENT || p->answer_ms > 0)
				continue;
			for (i = 0; i < ob->nanswers && i < FS_CONN_KIND_LAST; i++)
				if (!taken[i] && strcmp(ob->answers[i].id, p->id) == 0 && ob->answers[i].at >= p->sent_at) {
					taken[i] = true;
					p->answer_ms = round_trip(p->sent_at, ob->answers[i].at);
					break;
				}
		}
}

void
fs_outbound_merge(struct fs_outbound_ev *dst, const struct fs_outbound_ev *src)
{
	unsigned i;

	for (i = 0; i < src->nanswers && dst->nanswers < FS_CONN_KIND_LAST; i++)
		dst->answers[dst->nanswers++] = src->answers[i];
	dst->connections++;
	if (dst->address[0] == '\0')
		memcpy(dst->address, src->address, sizeof(dst->address));
	if (src->tls_ok && !dst->tls_ok) {
		dst->tls_ok = true;
		memcpy(dst->tls_version, src->tls_version, sizeof(dst->tls_version));
	}
	dst->starttls |= src->starttls;
	if (src->client_cert && !dst->client_cert) {
		dst->client_cert = true;
		dst->cert_chain_ok = src->cert_chain_ok;
		dst->cert_name_ok = src->cert_name_ok;
		memcpy(dst->cert_subject, src->cert_subject, sizeof(dst->cert_subject));
		memcpy(dst->cert_error, src->cert_error, sizeof(dst->cert_error));
	}
	dst->sasl_external |= src->sasl_external;
	dst->dialback |= src->dialback;
	dst->verify_requests += src->verify_requests;
	dst->verify_valid += src->verify_valid;
	dst->verify_invalid += src->verify_invalid;
	if (dst->close_reason[0] == '\0')
		memcpy(dst->close_reason, src->close_reason, sizeof(dst->close_reason));
}

bool
fs_ev_db_verified(const struct fs_dialback_ev *db)
{
	const char *c = db->condition;

	if (db->result == FS_DB_VALID || db->result == FS_DB_INVALID)
		return true;
	if (db->result == FS_DB_ERROR)
		return strcmp(c, "remote-server-not-found") == 0 || strcmp(c, "remote-connection-failed") == 0 ||
		    strcmp(c, "remote-server-timeout") == 0 || strcmp(c, "forbidden") == 0 ||
		    strcmp(c, "undefined-condition") == 0;
	/* RFC 3920-style servers report a failed connect-back as a stream error. */
	if (db->result == FS_DB_STREAM_ERROR)
		return strcmp(c, "remote-connection-failed") == 0;
	return false;
}

bool
fs_ev_db_pending(const struct fs_dialback_ev *db)
{
	return db->result == FS_DB_TIMEOUT ||
	    (db->result == FS_DB_STREAM_ERROR && strcmp(db->condition, "connection-timeout") == 0);
}

const char *
fs_dnssec_name(enum fs_dnssec st)
{
	switch (st) {
	case FS_DNSSEC_SECURE: return "secure";
	case FS_DNSSEC_INSECURE: return "insecure";
	case FS_DNSSEC_BOGUS: return "bogus";
	default: return "unknown";
	}
}

enum fs_dnssec
fs_dnssec_parse(const char *s)
{
	enum fs_dnssec st;

	for (st = FS_DNSSEC_INSECURE; st <= FS_DNSSEC_BOGUS; st++)
		if (strcmp(s, fs_dnssec_name(st)) == 0)
			return st;
	return FS_DNSSEC_UNKNOWN;
}
