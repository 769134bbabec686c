/*
 * fuzz_session.c: libFuzzer target for the probe sessions (probes/session.c
 * and every probe of fs_probes[]) behind the real XML parser, driven by the
 * engine's own driver (probes/drive.c); only the I/O is faked: the queued
 * actions are checked, and after STARTTLS the handshake "succeeds"
 * (FS_PEV_TLS_UP) before the next chunk.
 *
 * Input: 2 control bytes, then the server's bytes.
 *   c[0]  the chunk separator: the rest is split at every byte equal to c[0]
 *         (the separator itself is dropped), one chunk = one read
 *   c[1]  bit 0: the run has --client-cert; bit 1: the handshake carries a
 *         CertificateRequest; bit 2: the endpoint is direct TLS; bit 3: end
 *         with FS_PEV_TIMEOUT (else FS_PEV_CLOSED); bit 4: fail the first
 *         handshake (FS_PEV_TLS_FAILED); bit 5: small parser limits; bit 6: when
 *         the session asked for it (FS_ACT_QUIET), the dialback grace ends first
 *         (FS_PEV_QUIET), as the engine's timer would
 * Invariants (abort()): what we send fits the probe's flags (no <starttls/>
 * without FS_PF_STARTTLS or after TLS, no <auth/> without a certificate or
 * before TLS, no <db:result/> without FS_PF_DIALBACK, never <bidi/> or
 * stanzas); no action after CLOSE; every evidence string is terminated.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/drive.h"
#include "fedscan/evidence.h"
#include "fedscan/probe.h"
#include "fedscan/xmlstream.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

struct fz {
	const struct fs_probe *p;
	struct fs_probe_env env;
	struct fs_conn_ev ev;
	struct fs_drive *d;
	struct fs_session *s;  /* the driver's session */
	bool closed, tls_pending, tls, fail_tls, cert_req, quiet_asked;
	unsigned nauth, nstarttls;
};

static bool
has(const char *buf, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (len < n)
		return false;
	return memmem(buf, len, needle, n) != NULL;
}

/* What the engine does with the queued actions, checked instead of done (RESTART: the driver did it). */
static void
run_actions(struct fz *f, int r)
{
	struct fs_drive_acts acts;
	size_t i;

	CHECK(r == 0);
	fs_drive_take(f->d, &acts);
	for (i = 0; i < acts.n; i++) {
		const struct fs_act *a = &acts.a[i];
		const char *d = acts.buf != NULL ? acts.buf + a->off : "";

		CHECK(!f->closed);
		switch (a->type) {
		case FS_ACT_SEND:
			CHECK(!has(d, a->len, "<bidi") && !has(d, a->len, "<message") && !has(d, a->len, "<presence"));
			/* The one stanza ever sent: the session proof, a ping, and only after an authentication succeeded. */
			if (has(d, a->len, "<iq"))
				CHECK(has(d, a->len, "urn:xmpp:ping") && !has(d, a->len, "type='set'") &&
				    (f->ev.sasl.result == FS_SASL_SUCCESS || f->ev.dialback.result == FS_DB_VALID));
			if (has(d, a->len, "<starttls")) {
				CHECK((f->p->flags & FS_PF_STARTTLS) && !f->tls);
				f->nstarttls++;
			}
			if (has(d, a->len, "<auth")) {
				CHECK(f->tls && fs_session_uses_client_cert(f->s));
				CHECK(++f->nauth <= 2);
			}
			if (has(d, a->len, "<db:result"))
				CHECK(f->p->flags & FS_PF_DIALBACK);
			break;
		case FS_ACT_STARTTLS:
			CHECK(!f->tls);
			f->tls_pending = true;
			break;
		case FS_ACT_RESTART:
			break;
		case FS_ACT_CLOSE:
			f->closed = true;
			break;
		case FS_ACT_QUIET:
			CHECK(f->p->flags & FS_PF_DIALBACK);
			f->quiet_asked = true;
			break;
		}
	}
	/*
	 * The driver stops when the session asked to close; a session that ended without room left for its CLOSE
	 * has ended all the same, and the engine closes such a connection too. A broken stream always ends it.
	 */
	CHECK(!f->closed || fs_drive_done(f->d));
	if (fs_drive_done(f->d))
		f->closed = true;
	CHECK(!f->ev.xml_error || f->closed);
}

static void
deliver(struct fz *f, enum fs_pev_type t, const char *reason)
{
	if (f->closed)
		return;
	run_actions(f, fs_drive_event(f->d, t, reason));
}

/* The handshake the session asked for ends (before the next read). */
static void
handshake(struct fz *f)
{
	f->tls_pending = false;
	f->ev.tls.attempted = true;
	if (f->fail_tls) {
		FS_EV_SET(f->ev.tls.error, "handshake failure");
		deliver(f, FS_PEV_TLS_FAILED, "handshake failure");
		f->closed = true;
		return;
	}
	f->ev.tls.ok = true;
	f->ev.tls.cert_requested = f->cert_req;
	f->ev.tls.cert_sent = f->cert_req && fs_session_uses_client_cert(f->s);
	f->tls = true;
	deliver(f, FS_PEV_TLS_UP, NULL);
}

/* One read's worth; the driver parses none of it once a handshake is pending. */
static void
feed(struct fz *f, const char *buf, size_t n)
{
	long injected = f->ev.tls.injected_bytes;
	size_t used = 0;

	run_actions(f, fs_drive_feed(f->d, buf, n, &used));
	CHECK(used <= n);
	/* Whatever was not parsed after STARTTLS is counted, to the byte. */
	if (f->tls_pending)
		CHECK(f->ev.tls.injected_bytes - injected == (long)(n - used));
}

static void
terminated(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size) != NULL);
}

static void
check_stream(const struct fs_stream_ev *s)
{
	terminated(s->version, sizeof(s->version));
	terminated(s->id, sizeof(s->id));
	terminated(s->from, sizeof(s->from));
	terminated(s->to, sizeof(s->to));
	terminated(s->mechanism_list, sizeof(s->mechanism_list));
	terminated(s->other, sizeof(s->other));
	CHECK(!s->starttls_required || s->starttls);
	CHECK(!s->only_starttls || s->starttls);
	CHECK(!s->dialback_errors || s->dialback);
}

static void
check_ev(const struct fz *f)
{
	const struct fs_conn_ev *ev = &f->ev;

	check_stream(&ev->pre);
	check_stream(&ev->post);
	check_stream(&ev->post_sasl);
	terminated(ev->stream_error, sizeof(ev->stream_error));
	terminated(ev->stream_error_text, sizeof(ev->stream_error_text));
	terminated(ev->stream_error_stage, sizeof(ev->stream_error_stage));
	terminated(ev->see_other_host, sizeof(ev->see_other_host));
	terminated(ev->close_reason, sizeof(ev->close_reason));
	terminated(ev->sasl.condition, sizeof(ev->sasl.condition));
	terminated(ev->sasl.text, sizeof(ev->sasl.text));
	terminated(ev->dialback.condition, sizeof(ev->dialback.condition));
	terminated(ev->dialback.text, sizeof(ev->dialback.text));
	CHECK(ev->attempted && ev->kind == f->p->kind);
	CHECK(ev->sasl.tries >= 0 && ev->sasl.tries <= 2);
	CHECK(ev->sasl.result == FS_SASL_NOT_TRIED || f->nauth > 0);
	CHECK(ev->post_sasl.header == false || ev->sasl.result == FS_SASL_SUCCESS);
	/* A done session has said why (CLOSE pushed with a reason), and ended after its last event. */
	CHECK(fs_session_done(f->s) == f->closed);
	if (f->closed)
		CHECK(ev->close_reason[0] != '\0');
	CHECK(fs_session_state_name(f->s) != NULL);
}

static void
one(const struct fs_probe *p, uint8_t sep, uint8_t flags, const uint8_t *data, size_t size)
{
	struct fs_xml_limits lim;
	struct fs_drive_opts opts = { .limits = NULL };
	struct fz *f;
	size_t off, end;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return;
	f->p = p;
	f->env.domain = "partner.example";
	f->env.from = "fedscan.invalid";
	f->env.db_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	f->env.have_client_cert = flags & 1;
	f->env.endpoint_direct_tls = (flags & 4) != 0;
	f->cert_req = (flags & 2) != 0;
	f->fail_tls = (flags & 16) != 0;
	fs_xml_limits_default(&lim);
	if (flags & 32) {
		lim.max_element_bytes = 512;
		lim.max_depth = 4;
		lim.max_attrs = 6;
		lim.max_text_bytes = 64;
		lim.max_stream_bytes = 4096;
	}
	opts.limits = &lim;
	if (fs_drive_open(p, &f->env, &f->ev, &opts, &f->d) != 0) {
		free(f);
		return;
	}
	f->s = fs_drive_session(f->d);
	CHECK(f->ev.client_cert == fs_session_uses_client_cert(f->s));
	deliver(f, FS_PEV_CONNECTED, NULL);
	for (off = 0; off <= size && !f->closed; off = end + 1) {
		const uint8_t *q = off < size ? memchr(data + off, sep, size - off) : NULL;
		end = q != NULL ? (size_t)(q - data) : size;
		if (f->tls_pending)
			handshake(f);
		if (f->closed)
			break;
		feed(f, (const char *)data + off, end - off);
	}
	if (f->tls_pending && !f->closed)
		handshake(f);
	if ((flags & 64) && f->quiet_asked && !f->closed) {
		run_actions(f, fs_drive_quiet(f->d, 250));
		/* Silence after db:result ends the probe as "verifying", with the grace recorded. */
		CHECK(!f->closed || f->ev.dialback.result != FS_DB_TIMEOUT || f->ev.dialback.grace_ms == 250);
	}
	deliver(f, (flags & 8) ? FS_PEV_TIMEOUT : FS_PEV_CLOSED, NULL);
	CHECK(f->closed);
	check_ev(f);
	/* Events after the end are ignored. */
	{
		struct fs_drive_acts acts;

		CHECK(fs_drive_event(f->d, FS_PEV_CLOSED, NULL) == 0);
		fs_drive_take(f->d, &acts);
		CHECK(acts.n == 0);
	}
	fs_drive_free(f->d);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned i;

	if (size < 2)
		return 0;
	for (i = 0; fs_probes[i] != NULL; i++)
		one(fs_probes[i], data[0], data[1], data + 2, size - 2);
	return 0;
}
