/*
 * xmlstream.c: the XMPP stream parser. Expat with namespace processing does
 * the XML; this file frames it by depth (0: the stream header and its end,
 * 1: whole elements built as small trees), refuses what RFC 6120 §11.1
 * forbids, and enforces hard limits so that memory stays bounded whatever a
 * peer sends.
 *
 * Byte accounting. Expat numbers bytes from the start of the current stream
 * (XML_GetCurrentByteIndex); so does this file:
 *   fed   bytes handed to expat (it may hold some of them unparsed);
 *   pos   bytes the caller has been told are consumed;
 *   mark  end of the last complete thing at depth <= 1 (header, element,
 *         whitespace between elements); fed - mark is what an unfinished
 *         element costs, and is checked after every slice fed to expat.
 * Input goes to expat in slices of at most SLICE bytes, so an endless
 * element is refused at most one slice past the limit instead of being
 * buffered forever.
 *
 * Pause. fs_xmlstream_pause() suspends expat (XML_StopParser, resumable)
 * right after the token that ended the current element. Expat then still
 * holds the rest of the slice; we keep a copy of it (held[]). feed() reports
 * consumed up to the pause point. If the caller resets, the held bytes are
 * dropped with the old stream. If it feeds the remainder again, the bytes
 * that expat already holds are checked against held[] and skipped, and
 * XML_ResumeParser() parses them: nothing is parsed twice or lost.
 *
 * Costs. Memory: the element tree is at most ~20 times the element's bytes
 * (a node per "<x/>"), expat's buffer at most one element plus one slice.
 * CPU: with reparse deferral off, expat rescans an unfinished token on every
 * feed, so one huge token trickled in byte by byte costs O(limit^2); the
 * element limit is what bounds it.
 */
#include "fedscan/xmlstream.h"
#include "xmpp/arena.h"

#include <expat.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_SEP		'\x1F'	/* not an XML character, so it cannot occur in a name or URI */
#define SLICE		4096	/* bytes given to expat at once: bounds the overshoot past a limit */
#define ERR_MAX		256

/*
 * Reparse deferral (expat 2.6, backported to Debian 12's 2.5.0 by its
 * security updates) may leave complete tokens unparsed until more input
 * arrives; pause accounting needs every complete token parsed by the call
 * that completed it. Weak, so that an expat without the function links and
 * simply has no deferral to turn off.
 */
extern XML_Bool XMLCALL XML_SetReparseDeferralEnabled(XML_Parser, XML_Bool) __attribute__((weak));

/* One open element below the stream element. */
struct level {
	struct fs_xml_elem *el;
	struct fs_xml_elem *last;	/* last child, to append in document order */
	size_t text_off;		/* where this element's text starts in tbuf */
};

struct fs_xmlstream {
	XML_Parser p;
	struct fs_xml_limits lim;
	struct fs_xml_callbacks cb;
	void *ud;

	unsigned depth;		/* open elements, the stream element included */
	bool opened;		/* the stream header has been seen */
	struct level *lv;	/* lv[1 .. depth - 1] */
	unsigned nlv;
	size_t text_total;	/* text kept for the current top-level element */
	char *tbuf;		/* text of the open elements, innermost last */
	size_t tlen, tcap;

	/* Namespace declarations seen for the next start tag (stored at depth 0 only). */
	unsigned decl_count;
	struct fs_xml_nsdecl *decls;
	unsigned ndecls, cdecls;

	/* Byte offsets in the current stream; see the comment at the top. */
	size_t fed, pos, mark;
	size_t elem_start;	/* where the current top-level element starts */
	size_t ev_start, ev_end;	/* the event being handled */
	size_t total_before;	/* bytes consumed by earlier streams */

	bool pause_req;		/* pause() was called during this run of expat */
	bool paused;		/* expat is suspended at pause_at */
	size_t pause_at;
	size_t held_base;	/* held[0] is byte held_base; held[] runs to fed */
	unsigned char held[SLICE];

	struct fs_arena arena;	/* everything of the current element */

	bool in_parse;		/* inside XML_Parse or XML_ResumeParser */
	bool in_cb;		/* inside a caller's callback */
	bool failed;
	char err[ERR_MAX];
};

void
fs_xml_limits_default(struct fs_xml_limits *out)
{
	out->max_element_bytes = 65536;
	out->max_depth = 16;
	out->max_attrs = 64;
	out->max_text_bytes = 16384;
	out->max_stream_bytes = 1048576;
}

/* Record the first fatal error and stop expat; later errors are consequences, not causes. */
static void
fail(struct fs_xmlstream *xs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct fs_xmlstream *xs, const char *fmt, ...)
{
	va_list ap;

	if (xs->failed)
		return;
	xs->failed = true;
	va_start(ap, fmt);
	vsnprintf(xs->err, sizeof(xs->err), fmt, ap);
	va_end(ap);
	if (xs->in_parse)
		XML_StopParser(xs->p, XML_FALSE);
}

/* --- the element arena (arena.c), failing the stream when memory runs out --- */

static void *
arena_alloc(struct fs_xmlstream *xs, size_t n)
{
	void *p = fs_arena_alloc(&xs->arena, n);

	if (p == NULL)
		fail(xs, "out of memory");
	return p;
}

static char *
arena_strndup(struct fs_xmlstream *xs, const char *s, size_t n)
{
	char *d = fs_arena_strndup(&xs->arena, s, n);

	if (d == NULL)
		fail(xs, "out of memory");
	return d;
}

static const char *
intern(struct fs_xmlstream *xs, const char *s, size_t n)
{
	const char *d = fs_arena_intern(&xs->arena, s, n);

	if (d == NULL)
		fail(xs, "out of memory");
	return d;
}

/* Split expat's "uri SEP local [SEP prefix]" (or plain "local") into interned parts. */
static int
split_name(struct fs_xmlstream *xs, const char *name, const char **ns, const char **local,
    const char **prefix)
{
	const char *s1, *s2;

	*ns = "";
	if (prefix != NULL)
		*prefix = "";
	s1 = strchr(name, NS_SEP);
	if (s1 == NULL) {
		*local = intern(xs, name, strlen(name));
		return *local == NULL ? -1 : 0;
	}
	if ((*ns = intern(xs, name, (size_t)(s1 - name))) == NULL)
		return -1;
	s1++;
	s2 = strchr(s1, NS_SEP);
	if ((*local = intern(xs, s1, s2 != NULL ? (size_t)(s2 - s1) : strlen(s1))) == NULL)
		return -1;
	if (s2 != NULL && prefix != NULL && (*prefix = intern(xs, s2 + 1, strlen(s2 + 1))) == NULL)
		return -1;
	return 0;
}

static struct fs_xml_elem *
make_elem(struct fs_xmlstream *xs, const XML_Char *name, const XML_Char **atts, unsigned natts)
{
	struct fs_xml_elem *el;
	struct fs_xml_attr *a = NULL;
	unsigned i;

	if ((el = arena_alloc(xs, sizeof(*el))) == NULL)
		return NULL;
	memset(el, 0, sizeof(*el));
	el->text = "";
	if (split_name(xs, name, &el->ns, &el->name, &el->prefix) == -1)
		return NULL;
	if (natts > 0) {
		if ((a = arena_alloc(xs, natts * sizeof(*a))) == NULL)
			return NULL;
		for (i = 0; i < natts; i++) {
			if (split_name(xs, atts[2 * i], &a[i].ns, &a[i].name, NULL) == -1)
				return NULL;
			a[i].value = arena_strndup(xs, atts[2 * i + 1], strlen(atts[2 * i + 1]));
			if (a[i].value == NULL)
				return NULL;
		}
	}
	el->attrs = a;
	el->nattrs = natts;
	return el;
}

/* --- expat handlers --- */

/* Where the current event starts and ends, as stream offsets. */
static void
note_event(struct fs_xmlstream *xs)
{
	XML_Index i = XML_GetCurrentByteIndex(xs->p);
	int c = XML_GetCurrentByteCount(xs->p);

	xs->ev_start = i > 0 ? (size_t)i : 0;
	xs->ev_end = xs->ev_start + (c > 0 ? (size_t)c : 0);
}

/* The exact check, made on every event inside a top-level element. */
static int
check_elem_size(struct fs_xmlstream *xs)
{
	if (xs->ev_end - xs->elem_start > xs->lim.max_element_bytes) {
		fail(xs, "element exceeds %zu bytes", xs->lim.max_element_bytes);
		return -1;
	}
	return 0;
}

/* Hand something to the caller; pause() is valid only in here. */
#define DELIVER(xs, call) do {			\
	(xs)->in_cb = true;			\
	call;					\
	(xs)->in_cb = false;			\
} while (0)

static void
open_stream(struct fs_xmlstream *xs, const XML_Char *name, const XML_Char **atts, unsigned natts)
{
	struct fs_xml_stream_header hdr;
	struct fs_xml_elem *el;

	if (xs->opened) {
		/* Expat refuses a second root; this guards our own state if that ever changes. */
		fail(xs, "a second stream header in one stream");
		return;
	}
	/* The exact check; the running one in run_expat() only catches a header still unfinished. */
	if (xs->ev_end - xs->mark > xs->lim.max_element_bytes) {
		fail(xs, "stream header exceeds %zu bytes", xs->lim.max_element_bytes);
		return;
	}
	if ((el = make_elem(xs, name, atts, natts)) == NULL)
		return;
	hdr.elem = el;
	hdr.nsdecls = xs->decls;
	hdr.nnsdecls = xs->ndecls;
	xs->opened = true;
	xs->depth = 1;
	xs->mark = xs->ev_end;
	if (xs->cb.stream_open != NULL)
		DELIVER(xs, xs->cb.stream_open(xs->ud, &hdr));
	xs->decls = NULL;
	xs->ndecls = xs->cdecls = 0;
	fs_arena_reset(&xs->arena);
}

static int
grow_levels(struct fs_xmlstream *xs, unsigned level)
{
	struct level *n;
	unsigned cap;

	if (level < xs->nlv)
		return 0;
	cap = xs->nlv ? xs->nlv * 2 : 8;
	if (cap <= level)
		cap = level + 1;
	if ((n = realloc(xs->lv, cap * sizeof(*n))) == NULL) {
		fail(xs, "out of memory");
		return -1;
	}
	xs->lv = n;
	xs->nlv = cap;
	return 0;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct fs_xmlstream *xs = ud;
	struct fs_xml_elem *el, *parent;
	unsigned natts, ndecl, level;

	if (xs->failed)
		return;
	note_event(xs);
	ndecl = xs->decl_count;
	xs->decl_count = 0;
	for (natts = 0; atts[2 * natts] != NULL; natts++)
		continue;
	if (natts > xs->lim.max_attrs || ndecl > xs->lim.max_attrs - natts) {
		fail(xs, "more than %u attributes", xs->lim.max_attrs);
		return;
	}
	if (xs->depth == 0) {
		open_stream(xs, name, atts, natts);
		return;
	}
	level = xs->depth;	/* 1 for a top-level element */
	if (level > xs->lim.max_depth) {
		fail(xs, "nesting deeper than %u", xs->lim.max_depth);
		return;
	}
	if (level == 1) {
		xs->elem_start = xs->ev_start;
		xs->mark = xs->ev_start;
		xs->text_total = 0;
		xs->tlen = 0;
	}
	if (check_elem_size(xs) == -1 || grow_levels(xs, level) == -1)
		return;
	if ((el = make_elem(xs, name, atts, natts)) == NULL)
		return;
	if (level > 1) {
		parent = xs->lv[level - 1].el;
		if (xs->lv[level - 1].last == NULL)
			parent->children = el;
		else
			xs->lv[level - 1].last->next = el;
		xs->lv[level - 1].last = el;
	}
	xs->lv[level].el = el;
	xs->lv[level].last = NULL;
	xs->lv[level].text_off = xs->tlen;
	xs->depth++;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct fs_xmlstream *xs = ud;
	struct fs_xml_elem *el;
	struct level *l;

	(void)name;
	if (xs->failed || xs->depth == 0)
		return;
	note_event(xs);
	xs->depth--;
	if (xs->depth == 0) {
		xs->mark = xs->ev_end;
		if (xs->cb.stream_close != NULL)
			DELIVER(xs, xs->cb.stream_close(xs->ud));
		return;
	}
	if (check_elem_size(xs) == -1)
		return;
	l = &xs->lv[xs->depth];
	el = l->el;
	if (xs->tlen > l->text_off) {
		el->text = arena_strndup(xs, xs->tbuf + l->text_off, xs->tlen - l->text_off);
		if (el->text == NULL)
			return;
	}
	xs->tlen = l->text_off;
	if (xs->depth == 1) {
		xs->mark = xs->ev_end;
		if (xs->cb.element != NULL)
			DELIVER(xs, xs->cb.element(xs->ud, el));
		fs_arena_reset(&xs->arena);
	}
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct fs_xmlstream *xs = ud;
	size_t n = len > 0 ? (size_t)len : 0, cap;
	char *nb;

	if (xs->failed)
		return;
	note_event(xs);
	if (xs->depth <= 1) {
		/* Whitespace between top-level elements (keepalives): nothing to keep. */
		xs->mark = xs->ev_end;
		return;
	}
	if (check_elem_size(xs) == -1)
		return;
	if (n > xs->lim.max_text_bytes - xs->text_total) {
		fail(xs, "text exceeds %zu bytes", xs->lim.max_text_bytes);
		return;
	}
	xs->text_total += n;
	/* tlen <= text_total <= max_text_bytes, so this buffer stays within the text limit. */
	if (xs->tlen + n > xs->tcap) {
		cap = xs->tcap ? xs->tcap : 256;
		while (cap < xs->tlen + n)
			cap *= 2;
		if ((nb = realloc(xs->tbuf, cap)) == NULL) {
			fail(xs, "out of memory");
			return;
		}
		xs->tbuf = nb;
		xs->tcap = cap;
	}
	memcpy(xs->tbuf + xs->tlen, s, n);
	xs->tlen += n;
}

static void XMLCALL
on_nsdecl(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
	struct fs_xmlstream *xs = ud;
	struct fs_xml_nsdecl *n;
	unsigned cap;

	if (xs->failed)
		return;
	/* Counted here too, so that a flood of declarations is refused before expat builds them all. */
	if (++xs->decl_count > xs->lim.max_attrs) {
		fail(xs, "more than %u attributes", xs->lim.max_attrs);
		return;
	}
	if (xs->depth != 0)
		return;		/* only the header's declarations are reported */
	if (xs->ndecls == xs->cdecls) {
		cap = xs->cdecls ? xs->cdecls * 2 : 8;
		if ((n = arena_alloc(xs, cap * sizeof(*n))) == NULL)
			return;
		if (xs->ndecls > 0)
			memcpy(n, xs->decls, xs->ndecls * sizeof(*n));
		xs->decls = n;
		xs->cdecls = cap;
	}
	n = &xs->decls[xs->ndecls];
	n->prefix = prefix != NULL ? intern(xs, prefix, strlen(prefix)) : "";
	n->uri = uri != NULL ? intern(xs, uri, strlen(uri)) : "";
	if (n->prefix == NULL || n->uri == NULL)
		return;
	xs->ndecls++;
}

static void XMLCALL
on_xmldecl(void *ud, const XML_Char *version, const XML_Char *encoding, int standalone)
{
	struct fs_xmlstream *xs = ud;

	(void)version;
	(void)standalone;
	/* The parser is created for UTF-8 whatever the declaration says; a declaration saying otherwise is refused. */
	if (!xs->failed && encoding != NULL && strcasecmp(encoding, "UTF-8") != 0)
		fail(xs, "encoding '%.64s' refused (UTF-8 only)", encoding);
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid, int subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)subset;
	fail(ud, "DOCTYPE refused (RFC 6120 §11.1)");
}

/* Unreachable while DOCTYPE is refused; kept so that an entity can never be declared. */
static void XMLCALL
on_entity(void *ud, const XML_Char *name, int pe, const XML_Char *value, int vlen, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)name;
	(void)pe;
	(void)value;
	(void)vlen;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	fail(ud, "entity declaration refused");
}

static void XMLCALL
on_pi(void *ud, const XML_Char *target, const XML_Char *data)
{
	(void)target;
	(void)data;
	fail(ud, "processing instruction refused");
}

static void XMLCALL
on_comment(void *ud, const XML_Char *data)
{
	(void)data;
	fail(ud, "comment refused (RFC 6120 §11.1)");
}

/* Whitespace before and after the stream element: move the mark so it is not taken for a growing element. */
static void XMLCALL
on_default(void *ud, const XML_Char *s, int len)
{
	struct fs_xmlstream *xs = ud;

	(void)s;
	(void)len;
	if (xs->failed || xs->depth != 0)
		return;
	note_event(xs);
	xs->mark = xs->ev_end;
}

/* Install everything on a new or reset parser (XML_ParserReset clears the handlers). */
static void
setup_parser(struct fs_xmlstream *xs)
{
	XML_Parser p = xs->p;

	XML_SetUserData(p, xs);
	XML_SetReturnNSTriplet(p, XML_TRUE);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	XML_SetNamespaceDeclHandler(p, on_nsdecl, NULL);
	XML_SetXmlDeclHandler(p, on_xmldecl);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetEntityDeclHandler(p, on_entity);
	XML_SetProcessingInstructionHandler(p, on_pi);
	XML_SetCommentHandler(p, on_comment);
	XML_SetDefaultHandlerExpand(p, on_default);
	/* No external entity handler is set, and parameter entities are never parsed: nothing is ever loaded. */
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
#ifdef XML_DTD
	/* Defence in depth only: no DTD gets past on_doctype, so no entity can expand. */
	XML_SetBillionLaughsAttackProtectionMaximumAmplification(p, 10.0f);
	XML_SetBillionLaughsAttackProtectionActivationThreshold(p, 1024 * 1024);
#endif
	if (XML_SetReparseDeferralEnabled != NULL)
		XML_SetReparseDeferralEnabled(p, XML_FALSE);
}

/* --- the public API --- */

int
fs_xmlstream_new(const struct fs_xml_limits *limits, const struct fs_xml_callbacks *cb, void *ud,
    struct fs_xmlstream **out)
{
	struct fs_xmlstream *xs;

	*out = NULL;
	if ((xs = calloc(1, sizeof(*xs))) == NULL)
		return -1;
	if (limits != NULL)
		xs->lim = *limits;
	else
		fs_xml_limits_default(&xs->lim);
	if (cb != NULL)
		xs->cb = *cb;
	xs->ud = ud;
	if (fs_arena_init(&xs->arena) != 0)
		goto out;
	/* "UTF-8" here makes expat ignore the declared encoding (on_xmldecl refuses any other). */
	if ((xs->p = XML_ParserCreateNS("UTF-8", NS_SEP)) == NULL)
		goto out;
	setup_parser(xs);
	*out = xs;
	return 0;
out:
	fs_xmlstream_free(xs);
	return -1;
}

void
fs_xmlstream_free(struct fs_xmlstream *xs)
{
	if (xs == NULL)
		return;
	if (xs->p != NULL)
		XML_ParserFree(xs->p);
	fs_arena_free(&xs->arena);
	free(xs->tbuf);
	free(xs->lv);
	free(xs);
}

static void
expat_error(struct fs_xmlstream *xs)
{
	enum XML_Error code = XML_GetErrorCode(xs->p);

	fail(xs, "invalid XML at line %lu column %lu: %s", (unsigned long)XML_GetCurrentLineNumber(xs->p),
	    (unsigned long)XML_GetCurrentColumnNumber(xs->p) + 1, XML_ErrorString(code));
}

/* Parse n more bytes, or resume after a pause when buf is NULL. 0, or -1 on a fatal error. */
static int
run_expat(struct fs_xmlstream *xs, const char *buf, size_t n)
{
	enum XML_Status st;

	xs->pause_req = false;
	xs->in_parse = true;
	if (buf != NULL) {
		xs->fed += n;
		st = XML_Parse(xs->p, buf, (int)n, XML_FALSE);
	} else
		st = XML_ResumeParser(xs->p);
	xs->in_parse = false;
	if (xs->failed)
		return -1;
	if (st == XML_STATUS_ERROR) {
		expat_error(xs);
		return -1;
	}
	if (st == XML_STATUS_SUSPENDED) {
		if (!xs->pause_req) {
			fail(xs, "expat suspended without a pause");
			return -1;
		}
		xs->paused = true;
	}
	/* The running check: whatever expat still holds unfinished counts against the element limit. */
	if (xs->fed - xs->mark > xs->lim.max_element_bytes) {
		if (!xs->opened)
			fail(xs, "stream header exceeds %zu bytes", xs->lim.max_element_bytes);
		else
			fail(xs, "element exceeds %zu bytes", xs->lim.max_element_bytes);
		return -1;
	}
	return 0;
}

int
fs_xmlstream_feed(struct fs_xmlstream *xs, const char *buf, size_t len, size_t *consumed)
{
	size_t start = xs->pos, done, n, room, used;

	*consumed = 0;
	if (xs->in_cb) {
		fail(xs, "fs_xmlstream_feed() called from a callback");
		return -1;
	}
	if (xs->failed)
		return -1;
	/* Bytes [pos, fed) are already inside expat (left over by a pause): the caller must be re-feeding them. */
	n = xs->fed - xs->pos;
	if (n > len)
		n = len;
	if (n > 0 && memcmp(buf, xs->held + (xs->pos - xs->held_base), n) != 0) {
		fail(xs, "bytes fed after a pause differ from the unparsed remainder");
		return -1;
	}
	if (xs->paused) {
		if (xs->pos == xs->pause_at) {
			/* The caller goes on past the pause point: let expat parse what it holds. */
			xs->paused = false;
			if (run_expat(xs, NULL, 0) == -1)
				return -1;
		}
		if (xs->paused)
			goto out;
	}
	xs->pos += n;
	done = n;
	while (done < len) {
		n = len - done < SLICE ? len - done : SLICE;
		used = xs->total_before + xs->fed;
		room = used < xs->lim.max_stream_bytes ? xs->lim.max_stream_bytes - used : 0;
		if (room == 0) {
			fail(xs, "stream exceeds %zu bytes", xs->lim.max_stream_bytes);
			return -1;
		}
		if (n > room)
			n = room;
		if (run_expat(xs, buf + done, n) == -1)
			return -1;
		if (xs->paused) {
			/* Expat needs no lookahead after '>', so the pausing token ended inside this slice. */
			if (xs->fed - xs->pause_at > n) {
				fail(xs, "pause point outside the bytes just parsed");
				return -1;
			}
			/* Keep what expat holds past the pause point, to recognise it if it is fed again. */
			xs->held_base = xs->pause_at;
			memcpy(xs->held, buf + done + n - (xs->fed - xs->pause_at), xs->fed - xs->pause_at);
			goto out;
		}
		xs->pos += n;
		done += n;
	}
	*consumed = done;
	return 0;
out:
	/* pause_at >= start always; it is beyond this buffer only if the caller re-feeds in small pieces. */
	n = xs->pause_at - start;
	if (n > len)
		n = len;
	xs->pos = start + n;
	*consumed = n;
	return 0;
}

void
fs_xmlstream_pause(struct fs_xmlstream *xs)
{
	if (xs == NULL || !xs->in_cb || !xs->in_parse || xs->failed || xs->pause_req)
		return;
	xs->pause_req = true;
	xs->pause_at = xs->ev_end;
	XML_StopParser(xs->p, XML_TRUE);
}

int
fs_xmlstream_reset(struct fs_xmlstream *xs)
{
	if (xs->in_cb || xs->in_parse)
		return -1;
	if (XML_ParserReset(xs->p, "UTF-8") != XML_TRUE) {
		fail(xs, "expat could not reset the parser");
		return -1;
	}
	setup_parser(xs);
	/* Bytes held past a pause are dropped with the old stream: not consumed, not counted. */
	xs->total_before += xs->pos;
	xs->fed = xs->pos = xs->mark = 0;
	xs->elem_start = xs->ev_start = xs->ev_end = 0;
	xs->pause_req = xs->paused = false;
	xs->pause_at = xs->held_base = 0;
	xs->depth = 0;
	xs->opened = false;
	xs->text_total = xs->tlen = 0;
	xs->decl_count = 0;
	xs->decls = NULL;
	xs->ndecls = xs->cdecls = 0;
	fs_arena_reset(&xs->arena);
	xs->failed = false;
	xs->err[0] = '\0';
	return 0;
}

const char *
fs_xmlstream_error(const struct fs_xmlstream *xs)
{
	return xs->failed ? xs->err : NULL;
}

size_t
fs_xmlstream_bytes(const struct fs_xmlstream *xs)
{
	return xs->total_before + xs->pos;
}

size_t
fs_xmlstream_memory(const struct fs_xmlstream *xs)
{
	return sizeof(*xs) + xs->arena.bytes + xs->tcap + (size_t)xs->nlv * sizeof(*xs->lv);
}

const struct fs_xml_elem *
fs_xml_child(const struct fs_xml_elem *el, const char *ns, const char *name)
{
	const struct fs_xml_elem *c;

	if (el == NULL)
		return NULL;
	for (c = el->children; c != NULL; c = c->next)
		if ((ns == NULL || strcmp(c->ns, ns) == 0) && (name == NULL || strcmp(c->name, name) == 0))
			return c;
	return NULL;
}

const char *
fs_xml_attr(const struct fs_xml_elem *el, const char *ns, const char *name)
{
	unsigned i;

	if (el == NULL)
		return NULL;
	for (i = 0; i < el->nattrs; i++)
		if ((ns == NULL || strcmp(el->attrs[i].ns, ns) == 0) && strcmp(el->attrs[i].name, name) == 0)
			return el->attrs[i].value;
	return NULL;
}
