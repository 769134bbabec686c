/* xmlstream.h: an XMPP stream parser on expat that hands out whole top-level elements, with hard limits. */
#ifndef FEDSCAN_XMLSTREAM_H
#define FEDSCAN_XMLSTREAM_H

#include <stddef.h>
#include <stdbool.h>

/* Hard limits for one stream; see fs_xml_limits_default(). */
struct fs_xml_limits {
	size_t max_element_bytes;  /* bytes of one top-level element (from its '<' to its end) */
	unsigned max_depth;        /* nesting depth below the stream element */
	unsigned max_attrs;        /* attributes (incl. namespace declarations) on one element */
	size_t max_text_bytes;     /* character data kept per top-level element, descendants included; more is refused */
	size_t max_stream_bytes;   /* bytes fed over the life of the parser (all restarts) */
};

struct fs_xml_attr {
	const char *ns;     /* namespace URI or "" */
	const char *name;   /* local name */
	const char *value;
};

/* One parsed element; valid only during the callback that hands it out. */
struct fs_xml_elem {
	const char *ns;              /* namespace URI or "" */
	const char *name;            /* local name */
	const char *prefix;          /* prefix as written, or "" */
	const struct fs_xml_attr *attrs;
	unsigned nattrs;
	const char *text;            /* concatenated character data directly inside, "" if none */
	struct fs_xml_elem *children;  /* first child */
	struct fs_xml_elem *next;      /* next sibling */
};

/* A namespace declaration seen on the stream header. */
struct fs_xml_nsdecl {
	const char *prefix;  /* "" for the default namespace */
	const char *uri;
};

/* The stream header: the opening <stream:stream> tag. */
struct fs_xml_stream_header {
	const struct fs_xml_elem *elem;         /* ns/name/attrs of the opening tag, no children */
	const struct fs_xml_nsdecl *nsdecls;    /* declarations on that tag */
	unsigned nnsdecls;
};

struct fs_xml_callbacks {
	/* The opening tag at depth 0; its name and namespace are not checked here. */
	void (*stream_open)(void *ud, const struct fs_xml_stream_header *hdr);
	/* A complete element at depth 1 (a stanza, features, a stream error ...). */
	void (*element)(void *ud, const struct fs_xml_elem *el);
	/* The closing </stream:stream>. */
	void (*stream_close)(void *ud);
};

struct fs_xmlstream;

/* The documented defaults: 64 KiB elements, depth 16, 64 attributes, 16 KiB text, 1 MiB per stream. */
void fs_xml_limits_default(struct fs_xml_limits *out);

/* A new parser; limits may be NULL for the defaults. Returns 0 and fills *out, or -1 on out-of-memory. */
int fs_xmlstream_new(const struct fs_xml_limits *limits, const struct fs_xml_callbacks *cb, void *ud,
    struct fs_xmlstream **out);

/* Free a parser; NULL is allowed. Never call from inside a callback. */
void fs_xmlstream_free(struct fs_xmlstream *xs);

/*
 * Feed bytes. Returns 0 when all is well (*consumed = len, or fewer if a callback
 * called fs_xmlstream_pause()), -1 on a fatal error: the stream is then dead and
 * fs_xmlstream_error() says why (e.g. "DOCTYPE refused (RFC 6120 §11.1)").
 * After a pause, either call fs_xmlstream_reset() (the unconsumed bytes are then
 * never parsed), or feed again starting at the first unconsumed byte, in pieces
 * of any size: the stream then goes on as if it had not paused.
 */
int fs_xmlstream_feed(struct fs_xmlstream *xs, const char *buf, size_t len, size_t *consumed);

/* From a callback: stop right after the current element (or tag); feed() reports how many bytes were used. */
void fs_xmlstream_pause(struct fs_xmlstream *xs);

/* Start a new stream on the same parser (after STARTTLS or SASL, or after an error); only outside callbacks. 0 or -1. */
int fs_xmlstream_reset(struct fs_xmlstream *xs);

/* The reason for the last fatal error, or NULL. */
const char *fs_xmlstream_error(const struct fs_xmlstream *xs);

/* Bytes consumed so far, over all restarts (bytes a pause left unconsumed are not counted). */
size_t fs_xmlstream_bytes(const struct fs_xmlstream *xs);

/* Bytes of memory held by the parser's own buffers (expat's excluded), for tests and diagnostics. */
size_t fs_xmlstream_memory(const struct fs_xmlstream *xs);

/* Helpers on parsed elements. */
/* The first child with this namespace and local name (ns NULL = any), or NULL. */
const struct fs_xml_elem *fs_xml_child(const struct fs_xml_elem *el, const char *ns, const char *name);
/* The value of an attribute with this namespace ("" for none) and local name, or NULL. */
const char *fs_xml_attr(const struct fs_xml_elem *el, const char *ns, const char *name);

#endif
