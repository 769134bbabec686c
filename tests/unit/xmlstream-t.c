/* xmlstream-t.c: unit tests for the XMPP stream parser (src/xmlstream.c). */
#include "fedscan/xmlstream.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap/basic.h"

#define NS_STREAMS	"http://etherx.jabber.org/streams"
#define NS_TLS		"urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL		"urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_XML		"http://www.w3.org/XML/1998/namespace"

/* What the callbacks saw. */
struct rec {
	struct fs_xmlstream *xs;
	int opens, closes, elems, pauses;
	char hdr[2048];		/* the header, serialised */
	char decls[512];	/* "prefix=uri " for each declaration on the header */
	char last[4096];	/* the last element, serialised */
	char names[4096];	/* local names of all elements, space-separated, while they fit */
	const char *pause_on;	/* pause after elements with this name ("*": all, "stream": the header) */
	bool reentry;		/* call reset and feed from the element callback */
	size_t call_off;	/* set by the test before each feed */
	size_t fire_off[16];	/* call_off when each element arrived */
	int reset_rc, feed_rc;
	/* fs_xml_child / fs_xml_attr probes, made inside the callback */
	char mech[64], caps_hash[64], err_lang[16], err_text[128];
	int any_ns_found, wrong_ns_found;
};

/* malloc or bail out: a test without memory cannot say anything. */
static void *xmalloc(size_t n) __attribute__((malloc, alloc_size(1), returns_nonnull));

static void *
xmalloc(size_t n)
{
	void *p = calloc(1, n);

	if (p == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

static void
app(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Append at offset n of a buffer of size bytes; returns the new offset. */
static size_t
put(char *buf, size_t n, size_t size, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (n >= size)
		return n;
	va_start(ap, fmt);
	k = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	if (k < 0)
		return n;
	return (size_t)k < size - n ? n + (size_t)k : size - 1;
}

/* prefix:name{ns} @[ns|]attr=value "text" (children) */
static void
ser(const struct fs_xml_elem *el, char *buf, size_t size)
{
	const struct fs_xml_elem *c;
	unsigned i;

	if (el->prefix[0] != '\0')
		app(buf, size, "%s:", el->prefix);
	app(buf, size, "%s{%s}", el->name, el->ns);
	for (i = 0; i < el->nattrs; i++) {
		if (el->attrs[i].ns[0] != '\0')
			app(buf, size, " @%s|%s=%s", el->attrs[i].ns, el->attrs[i].name, el->attrs[i].value);
		else
			app(buf, size, " @%s=%s", el->attrs[i].name, el->attrs[i].value);
	}
	if (el->text[0] != '\0')
		app(buf, size, " \"%s\"", el->text);
	if (el->children != NULL) {
		app(buf, size, " (");
		for (c = el->children; c != NULL; c = c->next) {
			ser(c, buf, size);
			if (c->next != NULL)
				app(buf, size, " ");
		}
		app(buf, size, ")");
	}
}

static void
cb_open(void *ud, const struct fs_xml_stream_header *h)
{
	struct rec *r = ud;
	unsigned i;

	r->opens++;
	r->hdr[0] = r->decls[0] = '\0';
	ser(h->elem, r->hdr, sizeof(r->hdr));
	for (i = 0; i < h->nnsdecls; i++)
		app(r->decls, sizeof(r->decls), "%s=%s ", h->nsdecls[i].prefix, h->nsdecls[i].uri);
	if (r->pause_on != NULL && strcmp(r->pause_on, "stream") == 0) {
		fs_xmlstream_pause(r->xs);
		r->pauses++;
	}
}

static void
cb_elem(void *ud, const struct fs_xml_elem *el)
{
	struct rec *r = ud;
	const struct fs_xml_elem *c;
	const char *v;
	size_t consumed;

	if (r->elems < 16)
		r->fire_off[r->elems] = r->call_off;
	r->elems++;
	r->last[0] = '\0';
	ser(el, r->last, sizeof(r->last));
	if (strlen(r->names) + strlen(el->name) + 2 < sizeof(r->names))
		app(r->names, sizeof(r->names), "%s ", el->name);
	if (strcmp(el->name, "features") == 0) {
		c = fs_xml_child(fs_xml_child(el, NS_SASL, "mechanisms"), NS_SASL, "mechanism");
		if (c != NULL)
			snprintf(r->mech, sizeof(r->mech), "%s", c->text);
		v = fs_xml_attr(fs_xml_child(el, "http://jabber.org/protocol/caps", "c"), "", "hash");
		if (v != NULL)
			snprintf(r->caps_hash, sizeof(r->caps_hash), "%s", v);
		r->any_ns_found = fs_xml_child(el, NULL, "dialback") != NULL;
		r->wrong_ns_found = fs_xml_child(el, "jabber:client", "mechanisms") != NULL;
	}
	if (strcmp(el->name, "error") == 0) {
		c = fs_xml_child(el, "urn:ietf:params:xml:ns:xmpp-streams", "text");
		if (c != NULL) {
			snprintf(r->err_text, sizeof(r->err_text), "%s", c->text);
			v = fs_xml_attr(c, NS_XML, "lang");
			snprintf(r->err_lang, sizeof(r->err_lang), "%s", v ? v : "(none)");
		}
	}
	if (r->reentry) {
		r->reset_rc = fs_xmlstream_reset(r->xs);
		r->feed_rc = fs_xmlstream_feed(r->xs, "<x/>", 4, &consumed);
	}
	if (r->pause_on != NULL && (strcmp(r->pause_on, "*") == 0 || strcmp(r->pause_on, el->name) == 0)) {
		fs_xmlstream_pause(r->xs);
		r->pauses++;
	}
}

static void
cb_close(void *ud)
{
	struct rec *r = ud;

	r->closes++;
}

static const struct fs_xml_callbacks cbs = { cb_open, cb_elem, cb_close };

static struct rec *
rec_new(const struct fs_xml_limits *lim)
{
	struct rec *r = xmalloc(sizeof(*r));

	if (fs_xmlstream_new(lim, &cbs, r, &r->xs) != 0) {
		printf("Bail out! cannot create a parser\n");
		exit(1);
	}
	return r;
}

static void
rec_free(struct rec *r)
{
	fs_xmlstream_free(r->xs);
	free(r);
}

/* Feed s in pieces of `chunk` bytes, each fully consumed; returns the first non-zero rc, and counts short reads. */
static int
feed_chunks(struct rec *r, const char *s, size_t len, size_t chunk, int *short_reads)
{
	size_t off = 0, n, c;
	int rc;

	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		if ((rc = fs_xmlstream_feed(r->xs, s + off, n, &c)) != 0)
			return rc;
		if (c != n && short_reads != NULL)
			(*short_reads)++;
		if (c == 0)
			return 1;
		off += c;
	}
	return 0;
}

static int
feed_str(struct rec *r, const char *s)
{
	return feed_chunks(r, s, strlen(s), strlen(s) + 1, NULL);
}

/* Does the error start with want? */
static int
err_starts(struct rec *r, const char *want)
{
	const char *e = fs_xmlstream_error(r->xs);

	return e != NULL && strncmp(e, want, strlen(want)) == 0;
}

static int
err_has(struct rec *r, const char *want)
{
	const char *e = fs_xmlstream_error(r->xs);

	return e != NULL && strstr(e, want) != NULL;
}

static const char prosody_hdr[] =
    "<?xml version='1.0'?><stream:stream xmlns:db='jabber:server:dialback' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en' "
    "id='7a3c2f51-1b5e-4e8a-9d0c-2b9c1e0b8f11' from='prosody.example' to='fedscan.example' "
    "xmlns='jabber:server'>";
static const char prosody_features[] =
    "<stream:features><dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
static const char ejabberd_hdr[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' xml:lang='en' "
    "id='13562388385410447042' from='ejabberd.example' to='fedscan.example' version='1.0'>";
static const char ejabberd_features[] =
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism>"
    "</mechanisms><dialback xmlns='urn:xmpp:features:dialback'/>"
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://www.process-one.net/en/ejabberd/' "
    "ver='b9s6Fvd6H6n0nUqdQK0TjQ6Ht8E='/></stream:features>";
static const char short_hdr[] =
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

static void
test_prosody_bytewise(void)
{
	struct rec *r = rec_new(NULL);
	char all[2048];
	int shorts = 0, rc;

	snprintf(all, sizeof(all), "%s\n%s \t", prosody_hdr, prosody_features);
	rc = feed_chunks(r, all, strlen(all), 1, &shorts);
	is_int(0, rc, "prosody: header and features fed one byte at a time");
	is_int(0, shorts, "prosody: every 1-byte feed fully consumed");
	is_int(1, r->opens, "prosody: one stream_open");
	is_string("stream:stream{" NS_STREAMS "} @version=1.0 @" NS_XML "|lang=en "
	    "@id=7a3c2f51-1b5e-4e8a-9d0c-2b9c1e0b8f11 @from=prosody.example @to=fedscan.example",
	    r->hdr, "prosody: header name, prefix, ns and attributes (xml:lang namespaced)");
	is_string("db=jabber:server:dialback stream=" NS_STREAMS " =jabber:server ", r->decls,
	    "prosody: namespace declarations on the header, xmlns:db included");
	is_int(1, r->elems, "prosody: one element");
	is_string("stream:features{" NS_STREAMS "} (dialback{urn:xmpp:features:dialback} (errors{urn:xmpp:features:dialback}) "
	    "starttls{" NS_TLS "} (required{" NS_TLS "}))", r->last, "prosody: features tree");
	is_int((long long)strlen(all), (long long)fs_xmlstream_bytes(r->xs), "prosody: bytes counted");
	is_int(0, r->closes, "prosody: no stream_close yet");
	rec_free(r);
}

static void
test_ejabberd(void)
{
	struct rec *r = rec_new(NULL);
	char all[2048];

	snprintf(all, sizeof(all), "%s%s", ejabberd_hdr, ejabberd_features);
	is_int(0, feed_chunks(r, all, strlen(all), 7, NULL), "ejabberd: fed in 7-byte pieces");
	is_string("=jabber:server stream=" NS_STREAMS " db=jabber:server:dialback ", r->decls,
	    "ejabberd: declarations in document order");
	is_string("EXTERNAL", r->mech, "ejabberd: fs_xml_child finds mechanisms/mechanism and its text");
	is_string("sha-1", r->caps_hash, "ejabberd: fs_xml_attr with no namespace");
	ok(r->any_ns_found && !r->wrong_ns_found, "ejabberd: fs_xml_child with any namespace, and with a wrong one");
	rec_free(r);
}

static void
test_error_close_reset(void)
{
	struct rec *r = rec_new(NULL);
	static const char err[] =
	    "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
	    "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>No such host: a&amp;b &#x263A;</text>"
	    "</stream:error></stream:stream>";
	size_t first;

	is_int(0, feed_str(r, ejabberd_hdr), "error: header");
	is_int(0, feed_chunks(r, err, strlen(err), 5, NULL), "error: stream error and close fed in pieces");
	is_string("No such host: a&b \xE2\x98\xBA", r->err_text, "error: text with entities and a character reference");
	is_string("en", r->err_lang, "error: xml:lang on the text");
	is_int(1, r->closes, "error: </stream:stream> gives stream_close");
	first = fs_xmlstream_bytes(r->xs);
	is_int(0, fs_xmlstream_reset(r->xs), "reset: returns 0");
	is_int(0, feed_str(r, prosody_hdr), "reset: a new stream header is accepted");
	is_int(2, r->opens, "reset: second stream_open");
	ok(strstr(r->hdr, "@from=prosody.example") != NULL, "reset: the second header is the new one");
	is_int((long long)(first + strlen(prosody_hdr)), (long long)fs_xmlstream_bytes(r->xs),
	    "reset: byte count is cumulative");
	rec_free(r);
}

static void
test_dialback_and_client_ns(void)
{
	struct rec *r = rec_new(NULL);

	feed_str(r, prosody_hdr);
	is_int(0, feed_str(r, "<db:result from='prosody.example' to='fedscan.example' type='valid'>k3y</db:result>"),
	    "dialback: db:result accepted");
	is_string("db:result{jabber:server:dialback} @from=prosody.example @to=fedscan.example @type=valid \"k3y\"",
	    r->last, "dialback: prefix, namespace, attributes and text");
	rec_free(r);

	r = rec_new(NULL);
	is_int(0, feed_str(r, "<stream:stream xmlns='jabber:client' xmlns:stream='" NS_STREAMS "' to='x'>"
	    "<message to='y'><body>hi</body></message>"), "jabber:client: parses (checking it is the caller's job)");
	is_string("=jabber:client stream=" NS_STREAMS " ", r->decls, "jabber:client: the default namespace is reported");
	is_string("message{jabber:client} @to=y (body{jabber:client} \"hi\")", r->last,
	    "jabber:client: elements carry the namespace");
	rec_free(r);
}

static void
test_pause(void)
{
	static const char head[] =
	    "<stream:stream xmlns='jabber:server' xmlns:stream='" NS_STREAMS "' version='1.0'>"
	    "<stream:features><starttls xmlns='" NS_TLS "'/></stream:features>"
	    "<proceed xmlns='" NS_TLS "'/>";
	static const char inject[] =
	    "<stream:features><mechanisms xmlns='" NS_SASL "'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
	char buf[16384], *big;
	struct rec *r;
	size_t c, off, i, len, n, nends, ends[16];
	int rc, shorts = 0, bad = 0;
	char want_names[4096];

	/* All in one feed: nothing after <proceed/> may be parsed. */
	r = rec_new(NULL);
	r->pause_on = "proceed";
	snprintf(buf, sizeof(buf), "%s%s", head, inject);
	rc = fs_xmlstream_feed(r->xs, buf, strlen(buf), &c);
	is_int(0, rc, "pause: feed returns 0");
	is_int((long long)strlen(head), (long long)c, "pause: consumed stops at the end of <proceed/>");
	is_string("features proceed ", r->names, "pause: the injected features are not parsed");
	is_int((long long)strlen(head), (long long)fs_xmlstream_bytes(r->xs), "pause: unconsumed bytes not counted");
	is_int(0, fs_xmlstream_reset(r->xs), "pause: reset after the pause");
	r->pause_on = NULL;
	is_int(0, feed_str(r, ejabberd_hdr), "pause: the new stream starts cleanly after reset");
	is_int(2, r->opens, "pause: second header after reset");
	rec_free(r);

	/* One byte at a time: the feed with the final '>' of <proceed/> reports the pause. */
	r = rec_new(NULL);
	r->pause_on = "proceed";
	for (off = 0; off < strlen(buf) && r->pauses == 0; off += c)
		if (fs_xmlstream_feed(r->xs, buf + off, 1, &c) != 0)
			break;
	is_int((long long)strlen(head), (long long)off, "pause: bytewise, stops exactly after <proceed/>");
	rec_free(r);

	/* A long tail after <proceed/>, more than one internal slice. */
	len = strlen(head);
	big = xmalloc(len + 40000);
	memcpy(big, head, len);
	for (i = 0; i < 10000; i++)
		memcpy(big + len + 4 * i, "<a/>", 4);
	r = rec_new(NULL);
	r->pause_on = "proceed";
	rc = fs_xmlstream_feed(r->xs, big, len + 40000, &c);
	ok(rc == 0 && c == len && r->elems == 2, "pause: 40000 bytes after <proceed/> left alone");

	/* Going on without reset: the remainder fed again, whole, then in 3-byte pieces. */
	r->pause_on = NULL;
	is_int(0, fs_xmlstream_feed(r->xs, big + c, len + 40000 - c, &c), "pause: feeding the remainder resumes");
	ok(c == 40000 && r->elems == 10002, "pause: the remainder is parsed exactly once");
	rec_free(r);
	free(big);

	/* Reference: the element names without pausing. */
	snprintf(buf, sizeof(buf), "%s%s%s<r1/><r2>x</r2>  <r3 a='1'/>", head, inject, inject);
	len = strlen(buf);
	r = rec_new(NULL);
	feed_str(r, buf);
	snprintf(want_names, sizeof(want_names), "%s", r->names);
	rec_free(r);
	/* Pause after every element, and feed the whole rest each time: consumed gives each element's end. */
	r = rec_new(NULL);
	r->pause_on = "*";
	for (off = 0, nends = 0; off < len && nends < 16; off += c) {
		if ((rc = fs_xmlstream_feed(r->xs, buf + off, len - off, &c)) != 0)
			break;
		ends[nends++] = off + c;
	}
	ok(rc == 0 && nends == 7 && ends[1] == strlen(head) && ends[6] == len,
	    "pause: after every element, consumed ends at each element");
	is_string(want_names, r->names, "pause: same elements, same order, none twice");
	rec_free(r);
	/* Again, but after the first pause the rest comes in 3-byte pieces, far fewer than expat holds. */
	r = rec_new(NULL);
	r->pause_on = "*";
	fs_xmlstream_feed(r->xs, buf, len, &c);
	for (off = c; off < len; off += c) {
		int before = r->pauses;

		n = len - off < 3 ? len - off : 3;
		r->call_off = off;
		if ((rc = fs_xmlstream_feed(r->xs, buf + off, n, &c)) != 0)
			break;
		if (c != n && r->pauses == before && c != ends[r->elems - 1] - off)
			shorts++;
		if (c > n)
			bad++;
	}
	is_int(0, rc, "pause: re-feeding in 3-byte pieces after each pause works");
	is_string(want_names, r->names, "pause: 3-byte pieces: same elements, same order, none twice");
	ok(shorts == 0 && bad == 0 && fs_xmlstream_bytes(r->xs) == len,
	    "pause: consumed is short only at pause points, and sums to the input");
	for (i = 1, bad = 0; i < (size_t)r->elems && i < 16; i++)
		if (r->fire_off[i] != ends[i - 1])
			bad++;
	ok(r->elems == 7 && bad == 0, "pause: no element is parsed before the caller reaches the previous pause point");
	rec_free(r);

	/* Feeding different bytes after a pause is a caller bug, caught. */
	r = rec_new(NULL);
	r->pause_on = "proceed";
	snprintf(buf, sizeof(buf), "%s<a/>", head);
	fs_xmlstream_feed(r->xs, buf, strlen(buf), &c);
	ok(fs_xmlstream_feed(r->xs, "<b/>", 4, &c) == -1 && err_has(r, "differ"),
	    "pause: re-fed bytes that differ are refused");
	rec_free(r);
}

static void
refused(const char *name, const char *doc, size_t len, const char *want, bool prefix)
{
	struct rec *r = rec_new(NULL);
	int rc = feed_chunks(r, doc, len, len, NULL);

	if (prefix)
		ok(rc == -1 && err_starts(r, want), "%s: refused (%s)", name, fs_xmlstream_error(r->xs));
	else {
		is_int(-1, rc, "%s: refused", name);
		is_string(want, fs_xmlstream_error(r->xs), "%s: reason", name);
	}
	rec_free(r);
}

static void
test_refusals(void)
{
	static const char laughs[] =
	    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
	    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
	    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
	    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>"
	    "<stream:stream xmlns='jabber:server' xmlns:stream='" NS_STREAMS "'><m>&lol3;</m>";
	char buf[1024];
	struct rec *r;
	size_t c;

	refused("DOCTYPE", "<?xml version='1.0'?><!DOCTYPE stream:stream><stream:stream/>", 59,
	    "DOCTYPE refused (RFC 6120 §11.1)", false);
	refused("billion laughs", laughs, strlen(laughs), "DOCTYPE refused (RFC 6120 §11.1)", false);
	snprintf(buf, sizeof(buf), "%s<?evil payload?>", short_hdr);
	refused("PI", buf, strlen(buf), "processing instruction refused", false);
	snprintf(buf, sizeof(buf), "%s<message><!-- hi --></message>", short_hdr);
	refused("comment", buf, strlen(buf), "comment refused (RFC 6120 §11.1)", false);
	snprintf(buf, sizeof(buf), "<?xml version='1.0' encoding='ISO-8859-1'?>%s", short_hdr);
	refused("encoding", buf, strlen(buf), "encoding 'ISO-8859-1' refused (UTF-8 only)", false);
	snprintf(buf, sizeof(buf), "%s<message><body>\xC3\x28</body></message>", short_hdr);
	refused("invalid UTF-8", buf, strlen(buf), "invalid XML at line 1 column ", true);
	snprintf(buf, sizeof(buf), "%s<message>", short_hdr);
	memcpy(buf + strlen(buf), "\0</message>", 11);
	refused("NUL byte", buf, strlen(short_hdr) + 9 + 11, "invalid XML at line 1 column ", true);
	snprintf(buf, sizeof(buf), "%s<db:result from='a' to='b'/>", short_hdr);
	refused("undeclared db: prefix", buf, strlen(buf), "invalid XML at line 1 column ", true);

	r = rec_new(NULL);
	ok(feed_str(r, buf) == -1 && err_has(r, "unbound prefix"), "undeclared prefix: expat's reason is passed on");
	ok(fs_xmlstream_feed(r->xs, "<a/>", 4, &c) == -1 && err_has(r, "unbound prefix"),
	    "a dead stream stays dead, with its first reason");
	rec_free(r);

	r = rec_new(NULL);
	snprintf(buf, sizeof(buf), "<?xml version='1.0' encoding='utf-8'?>%s", short_hdr);
	ok(feed_str(r, buf) == 0 && r->opens == 1, "encoding: utf-8 declared in lower case is fine");
	rec_free(r);
}

/* An element of exactly n bytes: <m a='xxxx'/>. */
static char *
elem_of(size_t n)
{
	char *s = xmalloc(n + 1);

	memcpy(s, "<m a='", 6);
	memset(s + 6, 'x', n - 9);
	memcpy(s + n - 3, "'/>", 4);
	return s;
}

static void
test_limits(void)
{
	struct fs_xml_limits lim;
	struct rec *r;
	char *s, chunk[1024];
	size_t i, n, c, fed;
	int rc;

	fs_xml_limits_default(&lim);
	ok(lim.max_element_bytes == 65536 && lim.max_depth == 16 && lim.max_attrs == 64 &&
	    lim.max_text_bytes == 16384 && lim.max_stream_bytes == 1048576, "limits: documented defaults");

	/* Element size, exactly at and one past the limit. */
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	s = elem_of(65536);
	ok(feed_str(r, s) == 0 && r->elems == 1, "size: an element of exactly 65536 bytes is accepted");
	free(s);
	s = elem_of(65537);
	ok(feed_str(r, s) == -1 && err_starts(r, "element exceeds 65536 bytes"), "size: 65537 bytes refused");
	free(s);
	rec_free(r);

	/* The stream header is held to the same limit. */
	r = rec_new(NULL);
	s = xmalloc(70100);
	n = put(s, 0, 70100, "<stream:stream xmlns:stream='" NS_STREAMS "' id='");
	memset(s + n, 'i', 70000);
	memcpy(s + n + 70000, "'>", 3);
	ok(feed_str(r, s) == -1 && err_starts(r, "stream header exceeds 65536 bytes") && r->opens == 0,
	    "size: a 70000-byte stream header refused");
	free(s);
	rec_free(r);

	/* An endless attribute value, fed 1 KiB at a time: refused soon after the limit, memory flat. */
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	feed_str(r, "<message to='");
	memset(chunk, 'a', sizeof(chunk));
	for (fed = 0, rc = 0; rc == 0 && fed < 16 * 1024 * 1024; fed += sizeof(chunk))
		rc = fs_xmlstream_feed(r->xs, chunk, sizeof(chunk), &c);
	ok(rc == -1 && err_starts(r, "element exceeds 65536 bytes"), "endless element: refused");
	ok(fed <= 65536 + 4096 + 1024, "endless element: refused within one slice of the limit (%zu bytes)", fed);
	ok(fs_xmlstream_memory(r->xs) < 64 * 1024, "endless element: parser memory stays small (%zu)",
	    fs_xmlstream_memory(r->xs));
	rec_free(r);

	/* An endless element made of children: the tree is bounded by the element limit too. */
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	feed_str(r, "<message>");
	for (i = 0; i < sizeof(chunk); i += 4)
		memcpy(chunk + i, "<x/>", 4);
	for (fed = 0, rc = 0; rc == 0 && fed < 16 * 1024 * 1024; fed += sizeof(chunk))
		rc = fs_xmlstream_feed(r->xs, chunk, sizeof(chunk), &c);
	ok(rc == -1 && err_starts(r, "element exceeds 65536 bytes") && fed <= 65536 + 1024,
	    "endless children: refused at the limit");
	ok(fs_xmlstream_memory(r->xs) < 32 * 65536, "endless children: tree memory bounded (%zu)",
	    fs_xmlstream_memory(r->xs));
	rec_free(r);

	/* Text. */
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	s = xmalloc(40000);
	snprintf(s, 40000, "<message><body>");
	n = strlen(s);
	memset(s + n, 't', 16384);
	memcpy(s + n + 16384, "</body></message>", 18);
	ok(feed_str(r, s) == 0 && r->elems == 1, "text: 16384 bytes of text accepted");
	memcpy(s + n + 16384, "u</body></message>", 19);
	ok(feed_str(r, s) == -1 && err_starts(r, "text exceeds 16384 bytes"), "text: one more byte refused");
	free(s);
	rec_free(r);

	/* Depth. */
	s = xmalloc(3 * 100000 + 1);
	for (i = 0; i < 100000; i++)
		memcpy(s + 3 * i, "<a>", 3);
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	ok(feed_chunks(r, s, 3 * 100000, 3 * 100000, NULL) == -1 && err_starts(r, "nesting deeper than 16"),
	    "depth: 100000 nested elements refused");
	ok(fs_xmlstream_memory(r->xs) < 64 * 1024, "depth: memory stays small (%zu)", fs_xmlstream_memory(r->xs));
	rec_free(r);
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	feed_chunks(r, s, 3 * 16, 100, NULL);
	for (i = 0; i < 16; i++)
		feed_str(r, "</a>");
	ok(r->elems == 1 && fs_xmlstream_error(r->xs) == NULL, "depth: 16 levels accepted");
	ok(feed_chunks(r, s, 3 * 17, 100, NULL) == -1 && err_starts(r, "nesting deeper than 16"),
	    "depth: 17 levels refused");
	rec_free(r);
	free(s);

	/* Attributes: 100000 of them, under the default limits and with the size limit out of the way. */
	s = xmalloc(20 * 100000 + 64);
	n = put(s, 0, 20 * 100000 + 64, "<message");
	for (i = 0; i < 100000; i++)
		n = put(s, n, 20 * 100000 + 64, " a%zu='v'", i);
	n = put(s, n, 20 * 100000 + 64, "/>");
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	ok(feed_chunks(r, s, n, n, NULL) == -1 && err_starts(r, "element exceeds 65536 bytes"),
	    "attributes: 100000 refused by the size limit first");
	rec_free(r);
	lim.max_element_bytes = 16 * 1024 * 1024;
	lim.max_stream_bytes = 64 * 1024 * 1024;
	r = rec_new(&lim);
	feed_str(r, short_hdr);
	ok(feed_chunks(r, s, n, n, NULL) == -1 && err_starts(r, "more than 64 attributes"),
	    "attributes: 100000 refused by the attribute limit");
	rec_free(r);
	free(s);
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	s = xmalloc(2048);
	n = put(s, 0, 2048, "<message xmlns='jabber:server'");
	for (i = 0; i < 63; i++)
		n = put(s, n, 2048, " a%zu='v'", i);
	put(s, n, 2048, "/>");
	ok(feed_str(r, s) == 0 && r->elems == 1, "attributes: 63 plus one xmlns accepted");
	put(s, n, 2048, " b='v'/>");
	ok(feed_str(r, s) == -1 && err_starts(r, "more than 64 attributes"), "attributes: 64 plus one xmlns refused");
	free(s);
	rec_free(r);

	/* A 16 MiB attribute value, fed 64 KiB at a time: refused after the first slices. */
	fs_xml_limits_default(&lim);
	lim.max_stream_bytes = 64 * 1024 * 1024;
	r = rec_new(&lim);
	feed_str(r, short_hdr);
	feed_str(r, "<message to='");
	s = xmalloc(65536);
	memset(s, 'v', 65536);
	for (fed = 0, rc = 0; rc == 0 && fed < 16 * 1024 * 1024; fed += 65536)
		rc = fs_xmlstream_feed(r->xs, s, 65536, &c);
	ok(rc == -1 && fed <= 2 * 65536 && fs_xmlstream_bytes(r->xs) < 65536 + 4096 + 200,
	    "16 MiB attribute: refused after %zu bytes, %zu parsed", fed, fs_xmlstream_bytes(r->xs));
	free(s);
	rec_free(r);

	/* Whitespace keepalives between elements are not one growing element. */
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	memset(chunk, ' ', sizeof(chunk));
	for (i = 0, rc = 0; rc == 0 && i < 200; i++)
		rc = fs_xmlstream_feed(r->xs, chunk, sizeof(chunk), &c);
	ok(rc == 0 && feed_str(r, "<r/>") == 0 && r->elems == 1, "keepalives: 200 KiB of whitespace is fine");
	rec_free(r);
}

static void
test_stream_limit_and_flood(void)
{
	struct fs_xml_limits lim;
	struct rec *r;
	char *s;
	size_t i, c, mem10;
	int rc;

	fs_xml_limits_default(&lim);
	lim.max_stream_bytes = 4096;
	r = rec_new(&lim);
	feed_str(r, short_hdr);
	for (i = 0, rc = 0; rc == 0 && i < 10000; i++)
		rc = fs_xmlstream_feed(r->xs, "<r/>", 4, &c);
	ok(rc == -1 && err_starts(r, "stream exceeds 4096 bytes"), "stream limit: refused");
	is_int(4096, (long long)fs_xmlstream_bytes(r->xs), "stream limit: exactly 4096 bytes parsed");
	rec_free(r);

	lim.max_stream_bytes = 1000;
	r = rec_new(&lim);
	s = xmalloc(700);
	memcpy(s, short_hdr, strlen(short_hdr));
	memset(s + strlen(short_hdr), ' ', 600 - strlen(short_hdr));
	ok(feed_chunks(r, s, 600, 600, NULL) == 0 && fs_xmlstream_reset(r->xs) == 0, "stream limit: first stream fine");
	ok(feed_chunks(r, s, 600, 600, NULL) == -1 && fs_xmlstream_bytes(r->xs) == 1000,
	    "stream limit: counts across resets");
	free(s);
	rec_free(r);

	/* A flood of small elements: all delivered, memory does not grow. */
	r = rec_new(NULL);
	feed_str(r, short_hdr);
	for (i = 0; i < 10; i++)
		fs_xmlstream_feed(r->xs, "<r a='1'><c/>x</r>", 18, &c);
	mem10 = fs_xmlstream_memory(r->xs);
	s = xmalloc(18 * 50000);
	for (i = 0; i < 50000; i++)
		memcpy(s + 18 * i, "<r a='1'><c/>x</r>", 18);
	rc = feed_chunks(r, s, 18 * 50000, 18 * 50000, NULL);
	ok(rc == 0 && r->elems == 50010, "flood: 50000 small elements delivered");
	is_int((long long)mem10, (long long)fs_xmlstream_memory(r->xs), "flood: parser memory unchanged");
	free(s);
	rec_free(r);
}

static void
test_misuse(void)
{
	struct rec *r = rec_new(NULL);
	size_t c;

	fs_xmlstream_pause(r->xs);
	feed_str(r, short_hdr);
	is_int(0, fs_xmlstream_feed(r->xs, "<a/><b/>", 8, &c), "misuse: pause outside a callback is ignored");
	is_int(8, (long long)c, "misuse: ... and everything is consumed");
	r->reentry = true;
	ok(fs_xmlstream_feed(r->xs, "<c/>", 4, &c) == -1 && r->reset_rc == -1 && r->feed_rc == -1,
	    "misuse: reset and feed from a callback are refused");
	rec_free(r);
	fs_xmlstream_free(NULL);
}

int
main(void)
{
	test_prosody_bytewise();
	test_ejabberd();
	test_error_close_reset();
	test_dialback_and_client_ns();
	test_pause();
	test_refusals();
	test_limits();
	test_stream_limit_and_flood();
	test_misuse();
	return done_testing();
}
