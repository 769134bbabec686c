/*
 * probe-t.c: the real probe session state machines (probes/session.c, the
 * fs_probes[] registry) driven by the engine's own driver (probes/drive.c:
 * the real XML parser, the deferred stream reset, whatever follows STARTTLS in
 * the same read discarded, never parsed); only the I/O is faked: the queued
 * actions (SEND, STARTTLS, RESTART, CLOSE, QUIET) are recorded in order.
 *
 * The Prosody server chunks below are real bytes, recorded from Debian 12's
 * prosody 0.12.3 on 127.0.0.71 (one recv() per string) with configurations:
 *   A  s2s_require_encryption = true, mod_dialback, s2s_secure_auth = false
 *   B  s2s_require_encryption = false, mod_dialback
 *   C  s2s_secure_auth = true, dialback disabled (CA-trusted client cert for fedscan.test)
 *   D  mod_tls disabled
 * and s2s_timeout = 3, so that a failed connect-back ends in <connection-timeout/>.
 * The ejabberd chunks are written from doc/protocol.md#ejabberd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedscan/drive.h"
#include "fedscan/evidence.h"
#include "fedscan/probe.h"
#include "tap/basic.h"

#define TARGET "partner.test"
#define SINK "fedscan.invalid"
#define CERTFROM "fedscan.test"
#define KEY "6b2f1f0e9a1c4d3b8e7f60514a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b"

#define NS_TLS_Q "xmlns='urn:ietf:params:xml:ns:xmpp-tls'"
#define NS_SASL_Q "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"
#define STARTTLS_REQ "<starttls " NS_TLS_Q "/>"
#define CLOSE_TAG "</stream:stream>"

/* ---- the transcripts ---- */

/* Prosody A, connect from fedscan.invalid, no client certificate. */
static const char prosody_a_pre[] =
    "<?xml version='1.0'?><stream:stream to='fedscan.invalid' id='211887de-2cd2-4793-b741-8edbd6a60117' "
    "version='1.0' xmlns='jabber:server' xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' from='partner.test'><stream:features><starttls "
    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><dialback "
    "xmlns='urn:xmpp:features:dialback'/></stream:features>";
static const char prosody_proceed[] = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
static const char prosody_a_post[] =
    "<?xml version='1.0'?><stream:stream to='fedscan.invalid' id='17b2247d-60d5-4024-937c-caa08b5edeb9' "
    "version='1.0' xmlns='jabber:server' xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' from='partner.test'><stream:features><dialback "
    "xmlns='urn:xmpp:features:dialback'/></stream:features>";
static const char prosody_conn_timeout[] =
    "<stream:error><connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";

/* Prosody A, connect from fedscan.test with its certificate. */
static const char prosody_a_pre_cert[] =
    "<?xml version='1.0'?><stream:stream to='fedscan.test' id='297330be-94b4-448a-8d52-80f266f79c5f' "
    "version='1.0' xmlns='jabber:server' xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' from='partner.test'><stream:features><starttls "
    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><dialback "
    "xmlns='urn:xmpp:features:dialback'/></stream:features>";
static const char prosody_a_post_cert[] =
    "<?xml version='1.0'?><stream:stream to='fedscan.test' id='d1e9072b-b426-414e-82cb-1f23e964914d' "
    "version='1.0' xmlns='jabber:server' xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' from='partner.test'><stream:features><mechanisms "
    "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms><dialback "
    "xmlns='urn:xmpp:features:dialback'/></stream:features>";
static const char prosody_invalid_authzid[] =
    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-authzid/></failure>";
static const char prosody_success[] = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
static const char prosody_a_post_sasl[] =
    "<?xml version='1.0'?><stream:stream to='fedscan.test' id='10426047-b887-49e0-8f34-b62895833da3' "
    "version='1.0' xmlns='jabber:server' xml:lang='en' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' from='partner.test'><stream:features><dialback "
    "xmlns='urn:xmpp:features:dialback'/></stream:features>";

/* Prosody B (TLS optional). */
static const char prosody_b_pre[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' to='fedscan.invalid' from='partner.test' "
    "xml:lang='en' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' "
    "version='1.0' id='eacfa014-685e-4d36-8a27-3d18f232c31c'><stream:features><dialback "
    "xmlns='urn:xmpp:features:dialback'/><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>";

/* Prosody C (secure_auth, no dialback). */
static const char prosody_c_pre[] =
    "<?xml version='1.0'?><stream:stream id='84bd5651-42d5-4d26-8333-ddbc67700628' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='partner.test' xmlns='jabber:server' to='fedscan.test' "
    "version='1.0' xml:lang='en'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"
    "</starttls></stream:features>";
static const char prosody_c_post_cert[] =
    "<?xml version='1.0'?><stream:stream id='7b89c7c1-3d4b-4bfa-879c-f9374f948fbe' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='partner.test' xmlns='jabber:server' to='fedscan.test' "
    "version='1.0' xml:lang='en'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    "<mechanism>EXTERNAL</mechanism></mechanisms></stream:features>";
static const char prosody_c_post_sasl[] =
    "<?xml version='1.0'?><stream:stream id='bd830d12-e1a4-41dc-8d7a-62c3899a1b24' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='partner.test' xmlns='jabber:server' to='fedscan.test' "
    "version='1.0' xml:lang='en'><stream:features/>";
static const char prosody_c_post_nocert[] =
    "<?xml version='1.0'?><stream:stream id='a72e86b5-a3a5-4600-8e02-725f0e793373' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='partner.test' xmlns='jabber:server' to='fedscan.test' "
    "version='1.0' xml:lang='en'><stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Your server&apos;s certificate could not be validated</text>"
    "</stream:error></stream:stream>";

/* Prosody D (no mod_tls). */
static const char prosody_d_pre[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
    "from='partner.test' xml:lang='en' version='1.0' to='fedscan.invalid' id='174da529-f6fb-4906-af2c-833590562e6f' "
    "xmlns:db='jabber:server:dialback'><stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"
    "</stream:features>";

/* Prosody A, a stream to a domain it does not serve. */
static const char prosody_host_unknown[] =
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='fedscan.test' "
    "xmlns='jabber:server' xml:lang='en' version='1.0' id='c83d91db-7bc9-4446-b46d-bf09b691e3ca' "
    "from='nothere.test'><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>This host does not serve nothere.test</text></stream:error>"
    "</stream:stream>";

/* ejabberd (written from doc/protocol.md#ejabberd). */
#define EJ_HEADER(id) \
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' " \
    "xmlns:db='jabber:server:dialback' id='" id "' from='partner.test' to='fedscan.invalid' version='1.0' " \
    "xml:lang='en'>"
static const char ej_required_pre[] =
    EJ_HEADER("14873516593298384898")
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
static const char ej_optional_pre[] =
    EJ_HEADER("9461293470287375104")
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><starttls "
    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
    "</stream:features>";
static const char ej_post[] =
    EJ_HEADER("2316170405391815203")
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism>"
    "</mechanisms><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>";
static const char ej_sasl_mismatch[] =
    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text xml:lang='en'>"
    "Certificate host name mismatch</text></failure>";
static const char ej_db_not_found[] =
    "<db:result from='partner.test' to='fedscan.invalid' type='error'><error type='cancel'>"
    "<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>DNS lookup failed: non-existing domain</text>"
    "</error></db:result>";
static const char ej_policy_violation[] =
    "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
    "xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Use of STARTTLS required</text></stream:error>"
    "</stream:stream>";
static const char ej_invalid_namespace[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "id='1' from='partner.test' version='1.0'><stream:error><invalid-namespace "
    "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";

/* A pre-1.0 peer: no version, xmlns:db declared, no features. */
static const char old_pre[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' id='b1a2c3' from='partner.test' to='fedscan.invalid'>";
static const char old_valid[] = "<db:result from='partner.test' to='fedscan.invalid' type='valid'/>";

/* ---- the harness: the engine's driver (probes/drive.c) around a session, with I/O faked ---- */

#define MAX_SENDS 32

struct h {
	const char *name;
	const struct fs_probe *probe;
	struct fs_probe_env env;
	struct fs_conn_ev ev;
	struct fs_drive *d;
	struct fs_session *s;  /* the driver's session */
	bool closed, tls_pending, tls_cert_requested, quiet_asked;
	char sends[MAX_SENDS][2048];
	unsigned nsends;
	char log[2048];      /* the actions, in order: "SEND SEND STARTTLS RESTART ..." */
	int bug;             /* harness misuse (a test error, not a product bug) */
};

static void
h_log(struct h *h, const char *w)
{
	size_t l = strlen(h->log);

	snprintf(h->log + l, sizeof(h->log) - l, "%s%s", l ? " " : "", w);
}

/* What the engine does with the queued actions, recorded instead of done (RESTART: the driver did it). */
static void
run_actions(struct h *h, int r)
{
	struct fs_drive_acts acts;
	size_t i;

	if (r != 0)
		h->bug++;
	fs_drive_take(h->d, &acts);
	for (i = 0; i < acts.n; i++) {
		const struct fs_act *a = &acts.a[i];
		switch (a->type) {
		case FS_ACT_SEND:
			if (h->nsends < MAX_SENDS && a->len < sizeof(h->sends[0])) {
				memcpy(h->sends[h->nsends], acts.buf + a->off, a->len);
				h->sends[h->nsends][a->len] = '\0';
				h->nsends++;
			} else {
				h->bug++;
			}
			h_log(h, "SEND");
			break;
		case FS_ACT_STARTTLS:
			h->tls_pending = true;
			h_log(h, "STARTTLS");
			break;
		case FS_ACT_RESTART:
			h_log(h, "RESTART");
			break;
		case FS_ACT_CLOSE:
			h->closed = true;
			h_log(h, "CLOSE");
			break;
		case FS_ACT_QUIET:
			h->quiet_asked = true;
			h_log(h, "QUIET");
			break;
		}
	}
}

static void
deliver(struct h *h, enum fs_pev_type t, const char *reason)
{
	if (h->closed)
		return;
	run_actions(h, fs_drive_event(h->d, t, reason));
}

/* One read's worth of plaintext (while a handshake is pending the driver counts it as injected). */
static void
feed(struct h *h, const char *buf, size_t n)
{
	size_t used;

	run_actions(h, fs_drive_feed(h->d, buf, n, &used));
}

/* A new driver for h's probe and environment. */
static void
h_open(struct h *h)
{
	if (fs_drive_open(h->probe, &h->env, &h->ev, NULL, &h->d) != 0) {
		h->bug++;
		return;
	}
	h->s = fs_drive_session(h->d);
}

/* The steps of a transcript. */
enum step_type { X_END = 0, X_DATA, X_TLS_UP, X_TLS_FAILED, X_TIMEOUT, X_CLOSED, X_QUIET };

struct step {
	enum step_type t;
	const char *data;   /* X_DATA: the server's chunk; others: the reason, or NULL */
};

/* The handshake finished: fill ev->tls as fs_tls_record would. */
static void
tls_up(struct h *h)
{
	struct fs_tls_ev *t = &h->ev.tls;

	if (!h->tls_pending)
		h->bug++;
	h->tls_pending = false;
	t->attempted = true;
	t->ok = true;
	FS_EV_SET(t->version, "TLSv1.3");
	FS_EV_SET(t->cipher, "TLS_AES_256_GCM_SHA384");
	t->cert_requested = h->tls_cert_requested;
	t->cert_sent = t->cert_requested && fs_session_uses_client_cert(h->s);
	t->chain_ok = t->name_ok = true;
	t->cert.present = true;
	deliver(h, FS_PEV_TLS_UP, NULL);
}

/* Run a transcript; chunk = 0 feeds each server chunk as recorded, else in pieces of that size. */
static void
run(struct h *h, const char *name, const struct fs_probe *p, const char *from, bool have_cert, bool direct,
    const struct step *steps, size_t chunk)
{
	size_t off, n;

	memset(h, 0, sizeof(*h));
	h->name = name;
	h->probe = p;
	h->env.domain = TARGET;
	h->env.from = from;
	h->env.db_key = KEY;
	h->env.have_client_cert = have_cert;
	h->env.endpoint_direct_tls = direct;
	h->tls_cert_requested = true;
	h_open(h);
	if (h->d == NULL)
		return;
	deliver(h, FS_PEV_CONNECTED, NULL);
	for (; steps->t != X_END && !h->closed; steps++) {
		switch (steps->t) {
		case X_DATA:
			n = strlen(steps->data);
			for (off = 0; off < n; off += chunk ? chunk : n)
				feed(h, steps->data + off, chunk && n - off > chunk ? chunk : n - off);
			break;
		case X_TLS_UP:
			tls_up(h);
			break;
		case X_TLS_FAILED:
			h->tls_pending = false;
			h->ev.tls.attempted = true;
			FS_EV_SET(h->ev.tls.error, steps->data);
			deliver(h, FS_PEV_TLS_FAILED, steps->data);
			h->closed = true;
			break;
		case X_TIMEOUT:
			deliver(h, FS_PEV_TIMEOUT, steps->data);
			h->closed = true;
			break;
		case X_CLOSED:
			deliver(h, FS_PEV_CLOSED, steps->data);
			h->closed = true;
			break;
		case X_QUIET:
			/* The engine's grace timer: only after the session asked for it. */
			if (!h->quiet_asked)
				h->bug++;
			run_actions(h, fs_drive_quiet(h->d, 300));
			break;
		default:
			break;
		}
	}
}

static void
done(struct h *h)
{
	fs_drive_free(h->d);
	h->d = NULL;
	h->s = NULL;
}

static void
show(const struct h *h)
{
	unsigned i;

	diag("%s: state %s, actions: %s", h->name, h->s ? fs_session_state_name(h->s) : "?", h->log);
	for (i = 0; i < h->nsends; i++)
		diag("  sent %u: %s", i, h->sends[i]);
	diag("  close_reason: %s", h->ev.close_reason);
}

/* ---- assertions ---- */

/* Our stream header: one write with from/to/version/xmlns:db (RFC 6120 §4.7, XEP-0220 §2.4.1). */
static bool
is_header(const char *s, const char *from, const char *to)
{
	char f[320], t[320];

	snprintf(f, sizeof(f), " from='%s'", from);
	snprintf(t, sizeof(t), " to='%s'", to);
	return strncmp(s, "<?xml version='1.0'?><stream:stream ", 36) == 0 &&
	    strstr(s, " xmlns='jabber:server'") != NULL &&
	    strstr(s, " xmlns:stream='http://etherx.jabber.org/streams'") != NULL &&
	    strstr(s, " xmlns:db='jabber:server:dialback'") != NULL && strstr(s, f) != NULL && strstr(s, t) != NULL &&
	    strstr(s, " version='1.0'") != NULL && s[strlen(s) - 1] == '>' && strstr(s, "/>") == NULL;
}

static const char *
db_request(const char *from)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "<db:result from='%s' to='" TARGET "'>" KEY "</db:result>", from);
	return buf;
}

static int
count_sends(const struct h *h, const char *sub)
{
	unsigned i;
	int n = 0;

	for (i = 0; i < h->nsends; i++)
		if (strstr(h->sends[i], sub) != NULL)
			n++;
	return n;
}

#define SENT(h, i, want, what) do { \
	is_string((want), (h)->nsends > (i) ? (h)->sends[(i)] : "(nothing)", "%s: sends %s", (h)->name, what); \
} while (0)

/*
 * What holds for every transcript: no stanzas but the one session-proof ping (XEP-0199) after an authentication
 * succeeded, no bidi, a polite close, no harness misuse.
 */
static void
common(struct h *h, bool polite)
{
	ok(h->bug == 0, "%s: the harness ran the session as the engine does", h->name);
	ok(count_sends(h, "<bidi") == 0 && count_sends(h, "<message") == 0 && count_sends(h, "<presence") == 0 &&
	    count_sends(h, "<iq") == count_sends(h, "<iq type='get' from=") && count_sends(h, "<iq") <= 1 &&
	    count_sends(h, "<iq") == count_sends(h, "<ping xmlns='urn:xmpp:ping'/>") &&
	    (count_sends(h, "<iq") == 0 || h->ev.sasl.result == FS_SASL_SUCCESS || h->ev.dialback.result == FS_DB_VALID),
	    "%s: never sends <bidi/> or stanzas but one ping after a successful authentication", h->name);
	ok(fs_session_done(h->s) && strstr(h->log, "CLOSE") != NULL, "%s: the session ends with CLOSE", h->name);
	if (polite)
		is_string(CLOSE_TAG, h->nsends ? h->sends[h->nsends - 1] : "", "%s: closes the stream with </stream:stream>",
		    h->name);
	else
		ok(count_sends(h, CLOSE_TAG) == 0, "%s: no </stream:stream> without an open stream", h->name);
}

/* The same evidence and bytes whether the server's chunks arrive whole, one byte at a time or 7 at a time. */
static void
same_when_split(const char *name, const struct fs_probe *p, const char *from, bool have_cert, bool direct,
    const struct step *steps)
{
	static struct h a, b;
	size_t sizes[2] = { 1, 7 };
	unsigned k, i;
	bool same = true;

	run(&a, name, p, from, have_cert, direct, steps, 0);
	for (k = 0; k < 2; k++) {
		run(&b, name, p, from, have_cert, direct, steps, sizes[k]);
		if (memcmp(&a.ev, &b.ev, sizeof(a.ev)) != 0 || a.nsends != b.nsends || strcmp(a.log, b.log) != 0)
			same = false;
		for (i = 0; same && i < a.nsends; i++)
			if (strcmp(a.sends[i], b.sends[i]) != 0)
				same = false;
		if (!same) {
			show(&a);
			show(&b);
		}
		done(&b);
	}
	done(&a);
	ok(same, "%s: the same evidence and bytes when the chunks are split (1 and 7 bytes)", name);
}

static const struct fs_probe *
probe(const char *name)
{
	unsigned i;

	for (i = 0; fs_probes[i] != NULL; i++)
		if (strcmp(fs_probes[i]->name, name) == 0)
			return fs_probes[i];
	return NULL;
}

/* ---- the registry ---- */

static void
test_registry(void)
{
	struct fs_probe_env env = { .domain = TARGET, .from = SINK, .db_key = KEY };
	const struct fs_probe *st = probe("starttls"), *pl = probe("plain"), *dt = probe("direct-tls"),
	    *nc = probe("starttls-nocert");
	unsigned i, kinds = 0;

	ok(st && pl && dt && nc, "registry: starttls, plain, direct-tls, starttls-nocert");
	if (!(st && pl && dt && nc))
		exit(done_testing());
	for (i = 0; fs_probes[i] != NULL; i++)
		kinds |= 1u << fs_probes[i]->kind;
	is_int(i, __builtin_popcount(kinds), "registry: one probe per connection kind");
	is_int(FS_CONN_STARTTLS, st->kind, "starttls is C1");
	is_int(FS_CONN_PLAIN, pl->kind, "plain is C2");
	is_int(FS_CONN_DIRECT_TLS, dt->kind, "direct-tls is C3");
	is_int(FS_CONN_STARTTLS_NOCERT, nc->kind, "starttls-nocert is C4");
	ok(st->applies(&env) && pl->applies(&env) && !dt->applies(&env) && !nc->applies(&env),
	    "without --client-cert on a STARTTLS endpoint: starttls and plain");
	env.have_client_cert = true;
	ok(st->applies(&env) && pl->applies(&env) && !dt->applies(&env) && nc->applies(&env) &&
	    probe("dialback-cert") != NULL && probe("dialback-cert")->applies(&env),
	    "with --client-cert: starttls, plain, starttls-nocert and dialback-cert");
	env.endpoint_direct_tls = true;
	ok(!st->applies(&env) && !pl->applies(&env) && dt->applies(&env) && !nc->applies(&env),
	    "a direct-TLS endpoint: direct-tls only");

	/* dialback-cert waits for starttls-nocert, and runs only when that one left dialback over TLS in question. */
	{
		const struct fs_probe *dc = probe("dialback-cert");
		struct fs_conn_ev before;

		ok(dc != NULL && dc->after == nc && dc->wanted != NULL && st->after == NULL && pl->after == NULL &&
		    dt->after == NULL && nc->after == NULL, "dialback-cert starts after starttls-nocert; the rest at once");
		memset(&before, 0, sizeof(before));
		before.attempted = before.connected = before.pre.header = true;
		before.dialback.over_tls = true;
		before.dialback.result = FS_DB_VALID;
		ok(dc != NULL && !dc->wanted(&before), "not wanted after dialback over TLS answered valid");
		before.dialback.result = FS_DB_TIMEOUT;
		before.dialback.grace_ms = 250;
		ok(dc != NULL && !dc->wanted(&before), "not wanted after dialback over TLS was taken for verification");
		before.dialback.result = FS_DB_ERROR;
		FS_EV_SET(before.dialback.condition, "remote-server-not-found");
		ok(dc != NULL && !dc->wanted(&before), "not wanted after a failed connect-back (dialback works)");
		FS_EV_SET(before.dialback.condition, "not-authorized");
		ok(dc != NULL && dc->wanted(&before), "wanted after dialback over TLS was refused without a certificate");
		memset(&before, 0, sizeof(before));
		before.attempted = before.connected = before.pre.header = true;
		FS_EV_SET(before.stream_error, "not-authorized");
		ok(dc != NULL && dc->wanted(&before), "wanted when the stream was refused after TLS, before any dialback");
		before.timed_out = true;
		ok(dc != NULL && !dc->wanted(&before), "not wanted when it stalled before dialback (a tarpit)");
		before.timed_out = false;
		before.pre.header = false;
		ok(dc != NULL && !dc->wanted(&before), "not wanted when the partner never sent a stream header");
		before.connected = false;
		ok(dc != NULL && !dc->wanted(&before), "not wanted when it could not connect");
		before.attempted = false;
		ok(dc != NULL && !dc->wanted(&before), "not wanted when starttls-nocert never ran (no slot)");
	}
}

/* ---- Prosody ---- */

static void
test_prosody_required(void)
{
	static const struct step s_c1[] = {
		{ X_DATA, prosody_a_pre }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL },
		{ X_DATA, prosody_a_post }, { X_DATA, prosody_conn_timeout }, { X_CLOSED, NULL }, { X_END, NULL },
	};
	static const struct step s_c2[] = {
		{ X_DATA, prosody_a_pre }, { X_END, NULL },
	};
	static struct h h;

	run(&h, "Prosody A, starttls", probe("starttls"), SINK, false, false, s_c1, 0);
	show(&h);
	ok(is_header(h.sends[0], SINK, TARGET), "%s: the first write is our stream header", h.name);
	SENT(&h, 1, STARTTLS_REQ, "<starttls/> after <required/>");
	ok(h.nsends > 2 && strcmp(h.sends[2], h.sends[0]) == 0, "%s: the same header again after TLS", h.name);
	SENT(&h, 3, db_request(SINK), "<db:result/> over TLS (no EXTERNAL: no certificate)");
	is_string("SEND SEND STARTTLS RESTART SEND SEND QUIET SEND CLOSE", h.log, "%s: the actions in order", h.name);
	ok(h.ev.attempted && h.ev.connected && !h.ev.client_cert, "%s: attempted, connected, no client cert", h.name);
	is_int(FS_CONN_STARTTLS, h.ev.kind, "%s: kind starttls", h.name);
	ok(h.ev.pre.header && h.ev.pre.version1 && h.ev.pre.db_ns, "%s: pre-TLS header 1.0 with xmlns:db", h.name);
	is_string("211887de-2cd2-4793-b741-8edbd6a60117", h.ev.pre.id, "%s: pre-TLS stream id", h.name);
	is_string(TARGET, h.ev.pre.from, "%s: pre-TLS from", h.name);
	is_string(SINK, h.ev.pre.to, "%s: pre-TLS to", h.name);
	ok(h.ev.pre.features && h.ev.pre.starttls && h.ev.pre.starttls_required && h.ev.pre.dialback &&
	    !h.ev.pre.dialback_errors && !h.ev.pre.only_starttls && !h.ev.pre.mechanisms && !h.ev.pre.bidi,
	    "%s: pre-TLS features: starttls+required, dialback without errors", h.name);
	is_int(FS_STARTTLS_PROCEED, h.ev.starttls, "%s: STARTTLS proceeded", h.name);
	is_int(0, h.ev.tls.injected_bytes, "%s: nothing after <proceed/>", h.name);
	ok(h.ev.post.header && h.ev.post.features && h.ev.post.dialback && !h.ev.post.starttls &&
	    h.ev.post.mechanism_list[0] == '\0', "%s: post-TLS features: dialback only", h.name);
	is_string("17b2247d-60d5-4024-937c-caa08b5edeb9", h.ev.post.id, "%s: post-TLS stream id", h.name);
	is_int(FS_DB_STREAM_ERROR, h.ev.dialback.result, "%s: dialback answered by a stream error", h.name);
	ok(h.ev.dialback.over_tls, "%s: dialback over TLS", h.name);
	is_string("connection-timeout", h.ev.dialback.condition, "%s: dialback condition", h.name);
	is_string("connection-timeout", h.ev.stream_error, "%s: stream error", h.name);
	is_string("dialback", h.ev.stream_error_stage, "%s: stream error stage", h.name);
	is_string("stream error <connection-timeout/>", h.ev.close_reason, "%s: close reason", h.name);
	is_int(FS_SASL_NOT_TRIED, h.ev.sasl.result, "%s: SASL not tried", h.name);
	common(&h, true);
	done(&h);
	same_when_split("Prosody A, starttls", probe("starttls"), SINK, false, false, s_c1);

	run(&h, "Prosody A, plain", probe("plain"), SINK, false, false, s_c2, 0);
	show(&h);
	ok(is_header(h.sends[0], SINK, TARGET), "%s: our stream header", h.name);
	is_int(0, count_sends(&h, "<db:result"), "%s: no plain db:result under <required/>", h.name);
	is_int(0, count_sends(&h, "<starttls"), "%s: the plain probe never sends <starttls/>", h.name);
	is_string("TLS required: plain dialback not attempted", h.ev.close_reason, "%s: close reason", h.name);
	is_int(FS_DB_NOT_SENT, h.ev.dialback.result, "%s: dialback not sent", h.name);
	common(&h, true);
	done(&h);
}

static void
test_prosody_optional(void)
{
	static const struct step s_err[] = {
		{ X_DATA, prosody_b_pre }, { X_DATA, prosody_conn_timeout }, { X_END, NULL },
	};
	static const struct step s_wait[] = {
		{ X_DATA, prosody_b_pre }, { X_TIMEOUT, "timed out" }, { X_END, NULL },
	};
	static const struct step s_quiet[] = {
		{ X_DATA, prosody_b_pre }, { X_QUIET, NULL }, { X_END, NULL },
	};
	static struct h h;

	run(&h, "Prosody B, plain", probe("plain"), SINK, false, false, s_err, 0);
	show(&h);
	SENT(&h, 1, db_request(SINK), "<db:result/> without TLS");
	is_int(0, count_sends(&h, "<starttls"), "%s: no <starttls/>", h.name);
	ok(h.ev.pre.starttls && !h.ev.pre.starttls_required && h.ev.pre.dialback && !h.ev.pre.only_starttls,
	    "%s: starttls without <required/>, dialback", h.name);
	is_int(FS_DB_STREAM_ERROR, h.ev.dialback.result, "%s: dialback answered by a stream error", h.name);
	ok(!h.ev.dialback.over_tls, "%s: dialback without TLS", h.name);
	is_string("connection-timeout", h.ev.dialback.condition, "%s: condition", h.name);
	common(&h, true);
	done(&h);
	same_when_split("Prosody B, plain", probe("plain"), SINK, false, false, s_err);

	/* Sink mode: the session asks to hear of silence after db:result; silence is "verifying" (FS_DB_TIMEOUT). */
	run(&h, "Prosody B, plain, silent within the grace", probe("plain"), SINK, false, false, s_quiet, 0);
	show(&h);
	ok(h.quiet_asked && strstr(h.log, "SEND QUIET") != NULL, "%s: QUIET asked right after db:result", h.name);
	is_int(FS_DB_TIMEOUT, h.ev.dialback.result, "%s: FS_DB_TIMEOUT (pending)", h.name);
	is_int(300, h.ev.dialback.grace_ms, "%s: the grace is recorded", h.name);
	ok(!h.ev.timed_out && h.closed, "%s: not our --timeout; the probe closes", h.name);
	ok(strstr(h.ev.close_reason, "within the grace") != NULL, "%s: close reason says why (%s)", h.name, h.ev.close_reason);
	common(&h, true);
	done(&h);

	/* Authoritative mode: the listener answers the connect-back, so the real verdict is awaited. */
	memset(&h, 0, sizeof(h));
	{
		static const unsigned char secret[32] = { 1 };
		static const struct step s_auth[] = { { X_DATA, prosody_b_pre }, { X_END, NULL } };

		h.name = "Prosody B, plain, authoritative";
		h.probe = probe("plain");
		h.env.domain = TARGET;
		h.env.from = SINK;
		h.env.db_key = KEY;
		h.env.db_secret = secret;
		h_open(&h);
		deliver(&h, FS_PEV_CONNECTED, NULL);
		feed(&h, s_auth[0].data, strlen(s_auth[0].data));
		ok(count_sends(&h, "<db:result") == 1 && !h.quiet_asked, "%s: db:result sent, no QUIET asked", h.name);
		done(&h);
	}

	/* Our own wait ends first: FS_PEV_TIMEOUT while waiting for the dialback verdict. */
	run(&h, "Prosody B, plain, our timeout", probe("plain"), SINK, false, false, s_wait, 0);
	show(&h);
	is_int(FS_DB_TIMEOUT, h.ev.dialback.result, "%s: FS_DB_TIMEOUT", h.name);
	ok(h.ev.timed_out, "%s: timed_out", h.name);
	is_string("timed out", h.ev.close_reason, "%s: close reason", h.name);
	common(&h, true);
	done(&h);
}

static void
test_prosody_sasl(void)
{
	static const struct step s_c_cert[] = {
		{ X_DATA, prosody_c_pre }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL },
		{ X_DATA, prosody_c_post_cert }, { X_DATA, prosody_success }, { X_DATA, prosody_c_post_sasl },
		{ X_QUIET, NULL }, { X_END, NULL },
	};
	static const struct step s_c_nocert[] = {
		{ X_DATA, prosody_c_pre }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL },
		{ X_DATA, prosody_c_post_nocert }, { X_END, NULL },
	};
	static const struct step s_authzid[] = {
		{ X_DATA, prosody_a_pre_cert }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL },
		{ X_DATA, prosody_a_post_cert }, { X_DATA, prosody_invalid_authzid }, { X_DATA, prosody_success },
		{ X_DATA, prosody_a_post_sasl }, { X_QUIET, NULL }, { X_END, NULL },
	};
	static struct h h;

	run(&h, "Prosody C, starttls with a certificate", probe("starttls"), CERTFROM, true, false, s_c_cert, 0);
	show(&h);
	ok(h.ev.client_cert && fs_session_uses_client_cert(h.s), "%s: presents the client certificate", h.name);
	ok(h.ev.pre.only_starttls && h.ev.pre.starttls_required && !h.ev.pre.db_ns,
	    "%s: only <starttls><required/>, no xmlns:db", h.name);
	ok(h.ev.tls.cert_requested && h.ev.tls.cert_sent, "%s: CertificateRequest answered", h.name);
	is_string("EXTERNAL", h.ev.post.mechanism_list, "%s: post-TLS mechanisms", h.name);
	SENT(&h, 3, "<auth " NS_SASL_Q " mechanism='EXTERNAL'>=</auth>", "<auth mechanism='EXTERNAL'>=</auth>");
	is_int(FS_SASL_SUCCESS, h.ev.sasl.result, "%s: SASL success", h.name);
	is_int(1, h.ev.sasl.tries, "%s: one try", h.name);
	ok(h.nsends > 4 && is_header(h.sends[4], CERTFROM, TARGET), "%s: a new header after <success/>", h.name);
	ok(h.ev.post_sasl.header && h.ev.post_sasl.features, "%s: post-SASL header and features", h.name);
	is_string("bd830d12-e1a4-41dc-8d7a-62c3899a1b24", h.ev.post_sasl.id, "%s: post-SASL stream id", h.name);
	is_int(0, count_sends(&h, "<db:result"), "%s: no db:result after SASL success", h.name);
	is_string("SEND SEND STARTTLS RESTART SEND SEND RESTART SEND SEND QUIET SEND CLOSE", h.log,
	    "%s: the actions in order", h.name);
	SENT(&h, 5, "<iq type='get' from='" CERTFROM "' to='" TARGET "' id='fedscan-ping-starttls'><ping "
	    "xmlns='urn:xmpp:ping'/></iq>", "the session proof: an XEP-0199 ping after <success/>");
	is_int(FS_PROOF_NO_ANSWER, h.ev.proof.result, "%s: proof: nothing refused the ping on our stream", h.name);
	is_string("SASL over TLS", h.ev.proof.method, "%s: proof: the method", h.name);
	is_int(300, h.ev.proof.wait_ms, "%s: proof: the wait", h.name);
	is_string("ping sent; nothing refused it on our stream", h.ev.close_reason, "%s: close reason", h.name);
	common(&h, true);
	done(&h);
	same_when_split("Prosody C, starttls with a certificate", probe("starttls"), CERTFROM, true, false, s_c_cert);

	run(&h, "Prosody C, starttls-nocert", probe("starttls-nocert"), CERTFROM, true, false, s_c_nocert, 0);
	show(&h);
	ok(!h.ev.client_cert && !fs_session_uses_client_cert(h.s), "%s: no client certificate", h.name);
	ok(h.ev.tls.cert_requested && !h.ev.tls.cert_sent, "%s: CertificateRequest not answered", h.name);
	ok(h.ev.post.header && !h.ev.post.features, "%s: post-TLS header, no features", h.name);
	is_string("not-authorized", h.ev.stream_error, "%s: stream error", h.name);
	is_string("Your server's certificate could not be validated", h.ev.stream_error_text, "%s: its text", h.name);
	is_string("post-tls", h.ev.stream_error_stage, "%s: at the restarted header", h.name);
	is_int(0, count_sends(&h, "<auth"), "%s: no <auth/>", h.name);
	is_int(0, count_sends(&h, "<db:result"), "%s: no db:result", h.name);
	is_int(FS_DB_NOT_SENT, h.ev.dialback.result, "%s: dialback not sent", h.name);
	common(&h, true);
	done(&h);

	/* XEP-0178 step 10: after <invalid-authzid/>, once more with base64(FROM). */
	run(&h, "Prosody A, EXTERNAL retried with an authzid", probe("starttls"), CERTFROM, true, false, s_authzid, 0);
	show(&h);
	SENT(&h, 3, "<auth " NS_SASL_Q " mechanism='EXTERNAL'>=</auth>", "first <auth/> with '='");
	SENT(&h, 4, "<auth " NS_SASL_Q " mechanism='EXTERNAL'>ZmVkc2Nhbi50ZXN0</auth>", "then base64('fedscan.test')");
	is_int(2, h.ev.sasl.tries, "%s: two tries", h.name);
	is_int(FS_SASL_SUCCESS, h.ev.sasl.result, "%s: success on the retry", h.name);
	is_int(2, count_sends(&h, "<auth"), "%s: exactly two <auth/>", h.name);
	is_int(0, count_sends(&h, "<db:result"), "%s: no db:result", h.name);
	ok(h.ev.post_sasl.dialback, "%s: post-SASL features recorded", h.name);
	common(&h, true);
	done(&h);

	/* Only one retry: a second refusal falls back to dialback on the same stream (XEP-0178 1.2). */
	{
		static const char malformed[] =
		    "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><malformed-request/></failure>";
		static const struct step s2[] = {
			{ X_DATA, prosody_a_pre_cert }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL },
			{ X_DATA, prosody_a_post_cert }, { X_DATA, malformed }, { X_DATA, prosody_invalid_authzid },
			{ X_DATA, prosody_conn_timeout }, { X_END, NULL },
		};
		run(&h, "EXTERNAL refused twice", probe("starttls"), CERTFROM, true, false, s2, 0);
		show(&h);
		is_int(2, count_sends(&h, "<auth"), "%s: one retry after <malformed-request/>, no more", h.name);
		is_int(2, h.ev.sasl.tries, "%s: two tries", h.name);
		is_int(FS_SASL_FAILURE, h.ev.sasl.result, "%s: SASL failure", h.name);
		is_string("invalid-authzid", h.ev.sasl.condition, "%s: the last condition", h.name);
		SENT(&h, 5, db_request(CERTFROM), "then <db:result/>");
		is_int(FS_DB_STREAM_ERROR, h.ev.dialback.result, "%s: dialback answered", h.name);
		common(&h, true);
		done(&h);
	}

	/* <success/> and the new stream in one read: the bytes after <success/> go to the restarted parser. */
	{
		static char both[sizeof(prosody_success) + sizeof(prosody_c_post_sasl)];
		static const struct step s3[] = {
			{ X_DATA, prosody_c_pre }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL },
			{ X_DATA, prosody_c_post_cert }, { X_DATA, both }, { X_QUIET, NULL }, { X_END, NULL },
		};
		snprintf(both, sizeof(both), "%s%s", prosody_success, prosody_c_post_sasl);
		run(&h, "<success/> + new stream in one read", probe("starttls"), CERTFROM, true, false, s3, 0);
		show(&h);
		ok(h.ev.post_sasl.header && h.ev.post_sasl.features, "%s: post-SASL header and features recorded", h.name);
		is_string("bd830d12-e1a4-41dc-8d7a-62c3899a1b24", h.ev.post_sasl.id, "%s: post-SASL stream id", h.name);
		is_string("ping sent; nothing refused it on our stream", h.ev.close_reason, "%s: close reason", h.name);
		common(&h, true);
		done(&h);
	}
}

static void
test_prosody_no_tls(void)
{
	static const struct step s[] = {
		{ X_DATA, prosody_d_pre }, { X_DATA, prosody_conn_timeout }, { X_END, NULL },
	};
	static struct h h;

	run(&h, "Prosody D, starttls", probe("starttls"), SINK, false, false, s, 0);
	show(&h);
	is_string("no STARTTLS offered", h.ev.close_reason, "%s: close reason", h.name);
	is_int(0, count_sends(&h, "<starttls"), "%s: no <starttls/>", h.name);
	is_int(0, count_sends(&h, "<db:result"), "%s: no db:result on C1 (C2's job)", h.name);
	ok(h.ev.pre.dialback && !h.ev.pre.starttls, "%s: dialback feature, no starttls", h.name);
	common(&h, true);
	done(&h);

	run(&h, "Prosody D, plain", probe("plain"), SINK, false, false, s, 0);
	show(&h);
	SENT(&h, 1, db_request(SINK), "<db:result/> without TLS");
	is_int(FS_DB_STREAM_ERROR, h.ev.dialback.result, "%s: answered by a stream error", h.name);
	common(&h, true);
	done(&h);
}

/* ---- ejabberd ---- */

static void
test_ejabberd(void)
{
	static const struct step s_req[] = {
		{ X_DATA, ej_required_pre }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL }, { X_DATA, ej_post },
		{ X_DATA, ej_sasl_mismatch }, { X_DATA, ej_db_not_found }, { X_END, NULL },
	};
	static const struct step s_opt_plain[] = {
		{ X_DATA, ej_optional_pre }, { X_DATA, ej_db_not_found }, { X_END, NULL },
	};
	static const struct step s_req_plain_forced[] = {
		{ X_DATA, ej_optional_pre }, { X_DATA, ej_policy_violation }, { X_END, NULL },
	};
	static struct h h;

	/* With a certificate ejabberd refuses (another name): EXTERNAL fails, dialback on the same stream. */
	run(&h, "ejabberd required, starttls with a certificate", probe("starttls"), SINK, true, false, s_req, 0);
	show(&h);
	ok(h.ev.pre.only_starttls && h.ev.pre.starttls_required && h.ev.pre.db_ns, "%s: only starttls+required",
	    h.name);
	SENT(&h, 1, STARTTLS_REQ, "<starttls/>");
	SENT(&h, 3, "<auth " NS_SASL_Q " mechanism='EXTERNAL'>=</auth>", "<auth/> (EXTERNAL offered, certificate held)");
	SENT(&h, 4, db_request(SINK), "<db:result/> after the failed EXTERNAL (XEP-0178 1.2)");
	is_int(FS_SASL_FAILURE, h.ev.sasl.result, "%s: SASL failure", h.name);
	is_int(1, h.ev.sasl.tries, "%s: not retried after <not-authorized/>", h.name);
	is_string("not-authorized", h.ev.sasl.condition, "%s: SASL condition", h.name);
	is_string("Certificate host name mismatch", h.ev.sasl.text, "%s: SASL text", h.name);
	ok(h.ev.post.dialback && h.ev.post.dialback_errors, "%s: dialback feature with <errors/>", h.name);
	is_int(FS_DB_ERROR, h.ev.dialback.result, "%s: dialback error", h.name);
	is_string("remote-server-not-found", h.ev.dialback.condition, "%s: dialback condition", h.name);
	is_string("DNS lookup failed: non-existing domain", h.ev.dialback.text, "%s: dialback text", h.name);
	ok(h.ev.dialback.over_tls, "%s: over TLS", h.name);
	is_string("dialback answered", h.ev.close_reason, "%s: close reason", h.name);
	common(&h, true);
	done(&h);
	same_when_split("ejabberd required, starttls with a certificate", probe("starttls"), SINK, true, false, s_req);

	/* Without a certificate, EXTERNAL offered to everyone is not tried. */
	run(&h, "ejabberd required, starttls without a certificate", probe("starttls"), SINK, false, false, s_req, 0);
	show(&h);
	is_int(0, count_sends(&h, "<auth"), "%s: no <auth/> without a certificate", h.name);
	SENT(&h, 3, db_request(SINK), "<db:result/> straight after the features");
	is_string("EXTERNAL", h.ev.post.mechanism_list, "%s: EXTERNAL recorded as offered", h.name);
	common(&h, true);
	done(&h);

	/* The nocert probe holds no certificate even when the run has one. */
	run(&h, "ejabberd required, starttls-nocert", probe("starttls-nocert"), SINK, true, false, s_req, 0);
	show(&h);
	is_int(0, count_sends(&h, "<auth"), "%s: no <auth/>", h.name);
	SENT(&h, 3, db_request(SINK), "<db:result/>");
	common(&h, true);
	done(&h);

	run(&h, "ejabberd optional, plain", probe("plain"), SINK, false, false, s_opt_plain, 0);
	show(&h);
	ok(h.ev.pre.mechanisms && h.ev.pre.mechanism_list[0] == '\0', "%s: an empty <mechanisms/> recorded as empty",
	    h.name);
	ok(h.ev.pre.starttls && !h.ev.pre.starttls_required && h.ev.pre.dialback_errors,
	    "%s: starttls without <required/>, dialback with errors", h.name);
	SENT(&h, 1, db_request(SINK), "<db:result/> without TLS");
	is_int(FS_DB_ERROR, h.ev.dialback.result, "%s: dialback error", h.name);
	is_string("remote-server-not-found", h.ev.dialback.condition, "%s: condition", h.name);
	ok(!h.ev.dialback.over_tls, "%s: without TLS", h.name);
	common(&h, true);
	done(&h);

	run(&h, "policy-violation answering a plain db:result", probe("plain"), SINK, false, false, s_req_plain_forced, 0);
	show(&h);
	is_int(FS_DB_STREAM_ERROR, h.ev.dialback.result, "%s: a stream error", h.name);
	is_string("policy-violation", h.ev.dialback.condition, "%s: condition", h.name);
	is_string("Use of STARTTLS required", h.ev.dialback.text, "%s: text", h.name);
	is_string("Use of STARTTLS required", h.ev.stream_error_text, "%s: stream error text", h.name);
	common(&h, true);
	done(&h);

	/* A pre-TLS <required/> ejabberd must not get a db:result from the plain probe. */
	{
		static const struct step s[] = { { X_DATA, ej_required_pre }, { X_END, NULL } };
		run(&h, "ejabberd required, plain", probe("plain"), SINK, false, false, s, 0);
		is_int(0, count_sends(&h, "<db:result"), "%s: no db:result", h.name);
		common(&h, true);
		done(&h);
	}
}

/* ---- STARTTLS injection (CVE-2011-0411 class) ---- */

static void
test_injection(void)
{
	static const char injected[] =
	    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><stream:features><mechanisms "
	    "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism></mechanisms></stream:features>";
	static const char injected_hdr[] =
	    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" EJ_HEADER("evil")
	    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism>"
	    "</mechanisms></stream:features>";
	static const struct step s1[] = { { X_DATA, ej_required_pre }, { X_DATA, injected }, { X_END, NULL } };
	static const struct step s2[] = {
		{ X_DATA, ej_required_pre }, { X_DATA, injected }, { X_TLS_UP, NULL }, { X_DATA, prosody_a_post },
		{ X_DATA, prosody_conn_timeout }, { X_END, NULL },
	};
	static const struct step s3[] = { { X_DATA, ej_required_pre }, { X_DATA, injected_hdr }, { X_END, NULL } };
	static struct h h;

	run(&h, "injection after <proceed/>", probe("starttls"), SINK, true, false, s1, 0);
	show(&h);
	is_string("tls", fs_session_state_name(h.s), "%s: the session waits for the handshake", h.name);
	ok(h.tls_pending && strstr(h.log, "STARTTLS") != NULL, "%s: STARTTLS asked", h.name);
	ok(h.ev.pre.mechanism_list[0] == '\0' && h.ev.post.mechanism_list[0] == '\0' && !h.ev.post.features,
	    "%s: no mechanisms recorded", h.name);
	is_int((long)strlen(injected) - (long)strlen(prosody_proceed), h.ev.tls.injected_bytes,
	    "%s: every byte after <proceed/> discarded and counted", h.name);
	is_int(0, count_sends(&h, "<auth"), "%s: no <auth/>", h.name);
	done(&h);

	run(&h, "injection after <proceed/>, then the real features", probe("starttls"), SINK, true, false, s2, 0);
	show(&h);
	ok(!h.ev.post.mechanisms && h.ev.post.dialback, "%s: only the post-TLS features count", h.name);
	is_int(0, count_sends(&h, "<auth"), "%s: no <auth/> (EXTERNAL was only injected)", h.name);
	SENT(&h, 3, db_request(SINK), "<db:result/> over TLS");
	common(&h, true);
	done(&h);

	run(&h, "injected stream header after <proceed/>", probe("starttls"), SINK, true, false, s3, 0);
	show(&h);
	ok(!h.ev.post.header && h.ev.post.id[0] == '\0', "%s: no post-TLS header recorded", h.name);
	is_string("tls", fs_session_state_name(h.s), "%s: still waiting for the handshake", h.name);
	done(&h);
}

/* ---- errors, old peers, odd streams ---- */

static void
test_errors(void)
{
	static const struct step s_hu[] = { { X_DATA, prosody_host_unknown }, { X_END, NULL } };
	static const struct step s_old[] = { { X_DATA, old_pre }, { X_DATA, old_valid }, { X_END, NULL } };
	/* The plain probe authenticates: the session proof's ping follows, then the grace. */
	static const struct step s_old_plain[] = { { X_DATA, old_pre }, { X_DATA, old_valid }, { X_QUIET, NULL },
		{ X_END, NULL } };
	static const struct step s_client[] = { { X_DATA, ej_invalid_namespace }, { X_END, NULL } };
	static const struct step s_fail[] = {
		{ X_DATA, ej_required_pre }, { X_DATA, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>" },
		{ X_END, NULL },
	};
	static const struct step s_tlsfail[] = {
		{ X_DATA, ej_required_pre }, { X_DATA, prosody_proceed }, { X_TLS_FAILED, "sslv3 alert handshake failure" },
		{ X_END, NULL },
	};
	static const struct step s_st_timeout[] = {
		{ X_DATA, ej_required_pre }, { X_TIMEOUT, "timed out" }, { X_END, NULL },
	};
	static const struct step s_sasl_timeout[] = {
		{ X_DATA, ej_required_pre }, { X_DATA, prosody_proceed }, { X_TLS_UP, NULL }, { X_DATA, ej_post },
		{ X_TIMEOUT, "timed out" }, { X_END, NULL },
	};
	static const struct step s_invalid[] = {
		{ X_DATA, ej_optional_pre }, { X_DATA, "<db:result from='partner.test' to='fedscan.invalid' type='invalid'/>" },
		{ X_END, NULL },
	};
	static const struct step s_db_close[] = {
		{ X_DATA, ej_optional_pre }, { X_DATA, "</stream:stream>" }, { X_END, NULL },
	};
	static const struct step s_db_reset[] = {
		{ X_DATA, ej_optional_pre }, { X_CLOSED, "the peer reset the connection" }, { X_END, NULL },
	};
	static const struct step s_xml[] = {
		{ X_DATA, "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><stream:stream/>" }, { X_END, NULL },
	};
	static const struct step s_http[] = {
		{ X_DATA, "HTTP/1.1 400 Bad Request\r\n\r\n" }, { X_END, NULL },
	};
	static const struct step s_see_other[] = {
		{ X_DATA, EJ_HEADER("x") "<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>"
		    "other.example:5269</see-other-host></stream:error></stream:stream>" }, { X_END, NULL },
	};
	static const struct step s_db_request[] = {
		/* A db:result without a type is a request, not an answer: not acted on. */
		{ X_DATA, ej_optional_pre },
		{ X_DATA, "<db:result from='partner.test' to='fedscan.invalid'>abc</db:result>" }, { X_END, NULL },
	};
	static struct h h;

	run(&h, "host-unknown at the first header", probe("starttls"), SINK, false, false, s_hu, 0);
	show(&h);
	is_string("host-unknown", h.ev.stream_error, "%s: condition", h.name);
	is_string("This host does not serve nothere.test", h.ev.stream_error_text, "%s: text", h.name);
	is_string("pre-tls", h.ev.stream_error_stage, "%s: stage", h.name);
	is_string("stream error <host-unknown/>", h.ev.close_reason, "%s: close reason", h.name);
	ok(h.ev.pre.header && !h.ev.pre.features, "%s: header, no features", h.name);
	common(&h, true);
	done(&h);

	run(&h, "pre-1.0 peer, starttls", probe("starttls"), SINK, false, false, s_old, 0);
	show(&h);
	ok(h.ev.pre.header && !h.ev.pre.version1 && h.ev.pre.version[0] == '\0' && h.ev.pre.db_ns,
	    "%s: no version, xmlns:db", h.name);
	is_int(0, count_sends(&h, "<db:result"), "%s: no db:result on C1", h.name);
	is_string("pre-1.0 stream: no features", h.ev.close_reason, "%s: close reason", h.name);
	common(&h, true);
	done(&h);

	run(&h, "pre-1.0 peer, plain", probe("plain"), SINK, false, false, s_old_plain, 0);
	show(&h);
	SENT(&h, 1, db_request(SINK), "<db:result/> right after the header (no features to wait for)");
	is_int(FS_DB_VALID, h.ev.dialback.result, "%s: valid", h.name);
	ok(!h.ev.dialback.over_tls, "%s: without TLS", h.name);
	common(&h, true);
	done(&h);
	same_when_split("pre-1.0 peer, plain", probe("plain"), SINK, false, false, s_old_plain);

	run(&h, "jabber:client stream", probe("starttls"), SINK, false, false, s_client, 0);
	show(&h);
	ok(strstr(h.ev.close_reason, "jabber:client") != NULL, "%s: the close reason names jabber:client", h.name);
	is_int(1, (long)h.nsends - 1, "%s: nothing but the header, then the close", h.name);
	is_int(0, count_sends(&h, "<starttls"), "%s: no <starttls/>", h.name);
	common(&h, true);
	done(&h);

	run(&h, "STARTTLS <failure/>", probe("starttls"), SINK, false, false, s_fail, 0);
	show(&h);
	is_int(FS_STARTTLS_FAILURE, h.ev.starttls, "%s: FS_STARTTLS_FAILURE", h.name);
	is_string("STARTTLS refused with <failure/>", h.ev.close_reason, "%s: close reason", h.name);
	ok(strstr(h.log, "STARTTLS") == NULL, "%s: no handshake", h.name);
	common(&h, true);
	done(&h);

	run(&h, "TLS handshake failure", probe("starttls"), SINK, false, false, s_tlsfail, 0);
	show(&h);
	is_string("sslv3 alert handshake failure", h.ev.close_reason, "%s: the close reason is the TLS error", h.name);
	ok(!h.ev.tls.ok && h.ev.tls.attempted, "%s: attempted, not ok", h.name);
	common(&h, false);
	done(&h);

	run(&h, "timeout waiting for <proceed/>", probe("starttls"), SINK, false, false, s_st_timeout, 0);
	is_int(FS_STARTTLS_NO_ANSWER, h.ev.starttls, "%s: FS_STARTTLS_NO_ANSWER", h.name);
	common(&h, true);
	done(&h);

	run(&h, "timeout waiting for the SASL answer", probe("starttls"), SINK, true, false, s_sasl_timeout, 0);
	is_int(FS_SASL_NO_ANSWER, h.ev.sasl.result, "%s: FS_SASL_NO_ANSWER", h.name);
	is_int(FS_DB_NOT_SENT, h.ev.dialback.result, "%s: no dialback", h.name);
	common(&h, true);
	done(&h);

	run(&h, "dialback invalid", probe("plain"), SINK, false, false, s_invalid, 0);
	is_int(FS_DB_INVALID, h.ev.dialback.result, "%s: FS_DB_INVALID", h.name);
	common(&h, true);
	done(&h);

	run(&h, "</stream:stream> while waiting for dialback", probe("plain"), SINK, false, false, s_db_close, 0);
	is_int(FS_DB_CLOSED, h.ev.dialback.result, "%s: FS_DB_CLOSED", h.name);
	ok(h.ev.peer_closed, "%s: peer_closed", h.name);
	common(&h, true);
	done(&h);

	run(&h, "connection reset while waiting for dialback", probe("plain"), SINK, false, false, s_db_reset, 0);
	is_int(FS_DB_CLOSED, h.ev.dialback.result, "%s: FS_DB_CLOSED", h.name);
	is_string("the peer reset the connection", h.ev.close_reason, "%s: close reason", h.name);
	common(&h, false);
	done(&h);

	run(&h, "DOCTYPE", probe("starttls"), SINK, false, false, s_xml, 0);
	show(&h);
	ok(h.ev.xml_error, "%s: xml_error", h.name);
	ok(h.ev.close_reason[0] != '\0', "%s: a close reason", h.name);
	common(&h, false);
	done(&h);

	run(&h, "an HTTP server", probe("plain"), SINK, false, false, s_http, 0);
	show(&h);
	ok(h.ev.xml_error && !h.ev.pre.header, "%s: xml_error, no header", h.name);
	common(&h, false);
	done(&h);

	run(&h, "see-other-host", probe("starttls"), SINK, false, false, s_see_other, 0);
	show(&h);
	is_string("see-other-host", h.ev.stream_error, "%s: condition", h.name);
	is_string("other.example:5269", h.ev.see_other_host, "%s: the host recorded", h.name);
	common(&h, true);
	done(&h);

	run(&h, "a db:result request from the peer", probe("plain"), SINK, false, false, s_db_request, 0);
	is_int(FS_DB_NOT_SENT, h.ev.dialback.result, "%s: a request is not an answer", h.name);
	is_string("dialback", fs_session_state_name(h.s), "%s: still waiting", h.name);
	done(&h);
}

/* ---- direct TLS ---- */

static void
test_direct_tls(void)
{
	static const struct step s[] = {
		{ X_TLS_UP, NULL }, { X_DATA, ej_post }, { X_DATA, ej_sasl_mismatch }, { X_DATA, ej_db_not_found },
		{ X_END, NULL },
	};
	static struct h h;

	run(&h, "direct TLS", probe("direct-tls"), SINK, true, true, s, 0);
	show(&h);
	ok(strncmp(h.log, "STARTTLS RESTART SEND", 21) == 0, "%s: the handshake first, then the header", h.name);
	ok(is_header(h.sends[0], SINK, TARGET), "%s: the first bytes are our header, after TLS", h.name);
	is_int(0, count_sends(&h, "<starttls"), "%s: never <starttls/> inside direct TLS", h.name);
	SENT(&h, 1, "<auth " NS_SASL_Q " mechanism='EXTERNAL'>=</auth>", "<auth/>");
	SENT(&h, 2, db_request(SINK), "<db:result/> after the failed EXTERNAL");
	ok(!h.ev.pre.header && h.ev.post.header, "%s: the first stream is recorded as post-TLS", h.name);
	is_int(FS_CONN_DIRECT_TLS, h.ev.kind, "%s: kind direct-tls", h.name);
	ok(h.ev.dialback.over_tls, "%s: dialback over TLS", h.name);
	common(&h, true);
	done(&h);
}

/* ---- our bytes ---- */

static void
test_escaping(void)
{
	static const struct step s[] = { { X_END, NULL } };
	static struct h h;

	run(&h, "a FROM with a quote", probe("plain"), "o'hara.example", false, false, s, 0);
	ok(h.nsends == 1 && strstr(h.sends[0], " from='o&apos;hara.example'") != NULL,
	    "%s: the header escapes the quote", h.name);
	done(&h);
}

int
main(void)
{
	test_registry();
	test_prosody_required();
	test_prosody_optional();
	test_prosody_sasl();
	test_prosody_no_tls();
	test_ejabberd();
	test_injection();
	test_errors();
	test_direct_tls();
	test_escaping();
	return done_testing();
}
