/* stream.h: XMPP s2s stream vocabulary shared by the probes: namespaces, headers, features, errors. */
#ifndef FEDSCAN_PROBES_STREAM_H
#define FEDSCAN_PROBES_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "fedscan/evidence.h"
#include "fedscan/xmlstream.h"

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_SERVER "jabber:server"
#define NS_CLIENT "jabber:client"
#define NS_DIALBACK "jabber:server:dialback"
#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_STANZA_ERRORS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_FEAT_DIALBACK "urn:xmpp:features:dialback"
#define NS_FEAT_BIDI "urn:xmpp:features:bidi"

/* Write our stream header for from/to into buf; returns its length, or 0 if it does not fit. */
size_t fs_stream_header(char *buf, size_t size, const char *from, const char *to);

/*
 * Record a received stream header into ev. Returns NULL if it is an acceptable
 * jabber:server stream, else a reason (wrong element, jabber:client, ...).
 */
const char *fs_stream_record_header(const struct fs_xml_stream_header *hdr, struct fs_stream_ev *ev);

/* Record a <stream:features/> element into ev. */
void fs_stream_record_features(const struct fs_xml_elem *el, struct fs_stream_ev *ev);

/* Whether el is a <stream:error/>; if so fill condition and text (truncated). */
bool fs_stream_parse_error(const struct fs_xml_elem *el, char *cond, size_t condsize, char *text, size_t textsize,
    char *other_host, size_t hostsize);

/* Whether el is in namespace ns with local name name. */
bool fs_xml_is(const struct fs_xml_elem *el, const char *ns, const char *name);

/* XML-escape src into dst (attribute-safe); returns 0, or -1 if it does not fit. */
int fs_xml_escape(char *dst, size_t size, const char *src);

#endif
