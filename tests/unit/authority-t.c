/* authority-t.c: the listener's answers to a partner's connect-back: valid only for our own keys (XEP-0185). */
#include <string.h>

#include "fedscan/authority.h"
#include "xmpp/dbkey.h"
#include "fedscan/xmlstream.h"
#include "tap/basic.h"

struct drv {
	struct fs_authority *a;
	struct fs_xmlstream *xs;
	struct fs_actions acts;
	char out[8192];
	bool starttls, restart, closed;
};

static void
run(struct drv *d)
{
	unsigned i;

	for (i = 0; i < d->acts.n; i++) {
		switch (d->acts.a[i].type) {
		case FS_ACT_SEND:
			strncat(d->out, d->acts.buf + d->acts.a[i].off, d->acts.a[i].len);
			break;
		case FS_ACT_STARTTLS: d->starttls = true; break;
		case FS_ACT_RESTART: d->restart = true; break;
		case FS_ACT_CLOSE: d->closed = true; break;
		case FS_ACT_QUIET: break;   /* outbound probes only */
		}
	}
	d->acts.n = 0;
	d->acts.used = 0;
}

static void
ev(struct drv *d, const struct fs_pev *e)
{
	fs_authority_event(d->a, e, &d->acts);
	if (d->acts.n > 0)
		fs_xmlstream_pause(d->xs);
}

static void cb_open(void *ud, const struct fs_xml_stream_header *h) { struct fs_pev e = { .type = FS_PEV_STREAM_OPEN, .hdr = h }; ev(ud, &e); }
static void cb_el(void *ud, const struct fs_xml_elem *el) { struct fs_pev e = { .type = FS_PEV_ELEMENT, .el = el }; ev(ud, &e); }
static void cb_close(void *ud) { struct fs_pev e = { .type = FS_PEV_STREAM_CLOSE }; ev(ud, &e); }
static const struct fs_xml_callbacks cbs = { cb_open, cb_el, cb_close };

static void
feed(struct drv *d, const char *s)
{
	size_t off = 0, n = strlen(s), used;

	while (off < n && !d->closed) {
		used = 0;
		if (fs_xmlstream_feed(d->xs, s + off, n - off, &used) != 0)
			return;
		off += used;
		run(d);
	}
}

static const char hdr[] = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='partner.example' "
    "to='scanner.example' version='1.0'>";

static void
setup(struct drv *d, struct fs_outbound_ev *ob, const unsigned char *secret)
{
	struct fs_authority_env env = { .from = "scanner.example", .secret = secret, .can_tls = true };

	memset(d, 0, sizeof(*d));
	memset(ob, 0, sizeof(*ob));
	d->a = fs_authority_new(&env, ob);
	fs_xmlstream_new(NULL, &cbs, d, &d->xs);
}

static void
teardown(struct drv *d)
{
	fs_authority_free(d->a);
	fs_xmlstream_free(d->xs);
}

int
main(void)
{
	unsigned char secret[FS_DBKEY_SECRET], other[FS_DBKEY_SECRET];
	struct fs_outbound_ev ob;
	struct drv d;
	char key[FS_DBKEY_HEX], key2[FS_DBKEY_HEX], buf[1024];
	int i;

	memset(secret, 7, sizeof(secret));
	memset(other, 8, sizeof(other));

	/* XEP-0185: the same inputs give the same key; any change gives another. */
	ok(fs_dialback_key(secret, "partner.example", "scanner.example", "abc", key) == 0 && strlen(key) == 64,
	    "a key is 64 hex digits");
	fs_dialback_key(secret, "partner.example", "scanner.example", "abd", key2);
	ok(strcmp(key, key2) != 0, "another stream id gives another key");
	fs_dialback_key(other, "partner.example", "scanner.example", "abc", key2);
	ok(strcmp(key, key2) != 0, "another secret gives another key");
	ok(fs_dialback_key_ok(secret, "partner.example", "scanner.example", "abc", key), "our key verifies");
	ok(!fs_dialback_key_ok(secret, "partner.example", "scanner.example", "abc", key2), "a foreign key does not");
	ok(!fs_dialback_key_ok(secret, "partner.example", "scanner.example", "abc", ""), "an empty key does not");

	/* The stream: header and features with STARTTLS and dialback errors. */
	setup(&d, &ob, secret);
	feed(&d, hdr);
	ok(strstr(d.out, "from='scanner.example' to='partner.example'") != NULL, "our header names us and the partner");
	ok(strstr(d.out, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") != NULL, "STARTTLS offered before TLS");
	ok(strstr(d.out, "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>") != NULL,
	    "dialback feature with errors offered");
	is_string("partner.example", fs_authority_peer(d.a), "the partner is known from its header");

	/* STARTTLS: proceed, then a new stream after TLS without STARTTLS. */
	d.out[0] = '\0';
	feed(&d, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	ok(strstr(d.out, "<proceed") != NULL && d.starttls, "STARTTLS answered with proceed and a handshake");
	ok(ob.starttls, "the partner's use of STARTTLS is recorded");
	{
		struct fs_pev up = { .type = FS_PEV_TLS_UP };
		fs_authority_event(d.a, &up, &d.acts);
		run(&d);
	}
	ok(d.restart, "TLS up restarts the stream");
	fs_xmlstream_reset(d.xs);
	d.out[0] = '\0';
	feed(&d, hdr);
	ok(strstr(d.out, "<stream:features>") != NULL && strstr(d.out, "starttls") == NULL,
	    "no STARTTLS offered after TLS");

	/* Its own db:result: accepted (we route nothing), recorded as dialback outward. */
	d.out[0] = '\0';
	feed(&d, "<db:result from='partner.example' to='scanner.example'>whatever</db:result>");
	ok(strstr(d.out, "type='valid'") != NULL && ob.dialback, "its db:result is answered and recorded");

	/* db:verify: valid only for a key we issued for this partner, our domain and that stream id. */
	fs_dialback_key(secret, "partner.example", "scanner.example", "s1", key);
	snprintf(buf, sizeof(buf), "<db:verify from='partner.example' to='scanner.example' id='s1'>%s</db:verify>", key);
	d.out[0] = '\0';
	feed(&d, buf);
	ok(strstr(d.out, "<db:verify from='scanner.example' to='partner.example' id='s1' type='valid'/>") != NULL,
	    "our key: type='valid'");
	snprintf(buf, sizeof(buf), "<db:verify from='partner.example' to='scanner.example' id='s2'>%s</db:verify>", key);
	d.out[0] = '\0';
	feed(&d, buf);
	ok(strstr(d.out, "type='invalid'") != NULL, "our key for another stream id: type='invalid'");
	snprintf(buf, sizeof(buf), "<db:verify from='other.example' to='scanner.example' id='s1'>%s</db:verify>", key);
	d.out[0] = '\0';
	feed(&d, buf);
	ok(strstr(d.out, "type='invalid'") != NULL, "our key claimed by another domain: type='invalid'");
	fs_dialback_key(other, "partner.example", "scanner.example", "s1", key2);
	snprintf(buf, sizeof(buf), "<db:verify from='partner.example' to='scanner.example' id='s1'>%s</db:verify>", key2);
	d.out[0] = '\0';
	feed(&d, buf);
	ok(strstr(d.out, "type='invalid'") != NULL, "a key we never issued: type='invalid'");
	is_int(4, ob.verify_requests, "four verify requests counted");
	is_int(1, ob.verify_valid, "one valid");
	is_int(3, ob.verify_invalid, "three invalid");

	/* SASL: not offered, refused, recorded. */
	d.out[0] = '\0';
	feed(&d, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>");
	ok(strstr(d.out, "<invalid-mechanism/>") != NULL && ob.sasl_external, "SASL EXTERNAL refused and recorded");

	/* A flood of stanzas we do not act on ends the stream. */
	for (i = 0; i < FS_AUTHORITY_MAX_IGNORED + 2 && !d.closed; i++)
		feed(&d, "<message to='someone@scanner.example'><body>hi</body></message>");
	ok(d.closed && strstr(d.out, "policy-violation") != NULL, "a flood of stanzas is cut off, never answered");
	ok(strstr(d.out, "<message") == NULL, "no stanza is ever routed or answered");
	teardown(&d);

	/* A header without 'from' is refused. */
	setup(&d, &ob, secret);
	feed(&d, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	    "xmlns:stream='http://etherx.jabber.org/streams' to='scanner.example' version='1.0'>");
	ok(d.closed && strstr(d.out, "invalid-from") != NULL, "a stream without 'from' is refused");
	teardown(&d);

	/* A jabber:client stream is refused. */
	setup(&d, &ob, secret);
	feed(&d, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	    "xmlns:stream='http://etherx.jabber.org/streams' from='p.example' to='scanner.example' version='1.0'>");
	ok(d.closed && strstr(d.out, "invalid-namespace") != NULL, "a jabber:client stream is refused");
	teardown(&d);
	return done_testing();
}
