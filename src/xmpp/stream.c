/* stream.c: XMPP s2s stream vocabulary shared by the probes: headers, features, stream errors. */
#include <stdio.h>
#include <string.h>

#include "xmpp/stream.h"

bool
fs_xml_is(const struct fs_xml_elem *el, const char *ns, const char *name)
{
	return el != NULL && strcmp(el->ns, ns) == 0 && strcmp(el->name, name) == 0;
}

int
fs_xml_escape(char *dst, size_t size, const char *src)
{
	size_t o = 0;
	const char *rep;

	for (; *src != '\0'; src++) {
		switch (*src) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '\'': rep = "&apos;"; break;
		case '"': rep = "&quot;"; break;
		default: rep = NULL; break;
		}
		if (rep != NULL) {
			size_t l = strlen(rep);
			if (o + l >= size)
				return -1;
			memcpy(dst + o, rep, l);
			o += l;
		} else {
			if (o + 1 >= size)
				return -1;
			dst[o++] = *src;
		}
	}
	if (o >= size)
		return -1;
	dst[o] = '\0';
	return 0;
}

size_t
fs_stream_header(char *buf, size_t size, const char *from, const char *to)
{
	char f[FS_EV_TEXT * 2], t[FS_EV_TEXT * 2];
	int n;

	if (fs_xml_escape(f, sizeof(f), from) != 0 || fs_xml_escape(t, sizeof(t), to) != 0)
		return 0;
	/* One write, as RFC 6120 §4.2 shows; xmlns:db because XEP-0220 needs it declared. */
	n = snprintf(buf, size,
	    "<?xml version='1.0'?><stream:stream xmlns='" NS_SERVER "' xmlns:stream='" NS_STREAMS "'"
	    " xmlns:db='" NS_DIALBACK "' from='%s' to='%s' version='1.0' xml:lang='en'>", f, t);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

const char *
fs_stream_record_header(const struct fs_xml_stream_header *hdr, struct fs_stream_ev *ev)
{
	const struct fs_xml_elem *el = hdr->elem;
	const char *v, *defns = NULL;
	unsigned i;

	ev->header = true;
	for (i = 0; i < hdr->nnsdecls; i++) {
		if (hdr->nsdecls[i].prefix[0] == '\0')
			defns = hdr->nsdecls[i].uri;
		else if (strcmp(hdr->nsdecls[i].prefix, "db") == 0 &&
		    strcmp(hdr->nsdecls[i].uri, NS_DIALBACK) == 0)
			ev->db_ns = true;
	}
	if ((v = fs_xml_attr(el, "", "version")) != NULL) {
		FS_EV_SET(ev->version, v);
		/* RFC 6120 §4.7.5: major version 1 is what we speak; a higher one still parses as 1.x here. */
		ev->version1 = v[0] >= '1' && v[0] <= '9';
	}
	if ((v = fs_xml_attr(el, "", "id")) != NULL)
		FS_EV_SET(ev->id, v);
	if ((v = fs_xml_attr(el, "", "from")) != NULL)
		FS_EV_SET(ev->from, v);
	if ((v = fs_xml_attr(el, "", "to")) != NULL)
		FS_EV_SET(ev->to, v);
	/* RFC 6120 §4.8.2 and §4.8.4: a server-to-server stream is <stream:stream> with the jabber:server namespace. */
	ev->not_server = true;
	if (!fs_xml_is(el, NS_STREAMS, "stream"))
		return "the peer's first element is not <stream:stream> in " NS_STREAMS;
	if (defns != NULL && strcmp(defns, NS_CLIENT) == 0)
		return "the peer opened a jabber:client stream on the server-to-server port";
	if (defns == NULL || strcmp(defns, NS_SERVER) != 0)
		return "the peer's stream does not declare the jabber:server namespace";
	ev->not_server = false;
	return NULL;
}

void
fs_stream_record_features(const struct fs_xml_elem *el, struct fs_stream_ev *ev)
{
	const struct fs_xml_elem *c, *m;
	unsigned n = 0;
	char word[FS_EV_TEXT];

	ev->features = true;
	for (c = el->children; c != NULL; c = c->next) {
		n++;
		if (fs_xml_is(c, NS_TLS, "starttls")) {
			ev->starttls = true;
			if (fs_xml_child(c, NS_TLS, "required") != NULL)
				ev->starttls_required = true;
		} else if (fs_xml_is(c, NS_FEAT_DIALBACK, "dialback")) {
			ev->dialback = true;
			if (fs_xml_child(c, NS_FEAT_DIALBACK, "errors") != NULL)
				ev->dialback_errors = true;
		} else if (fs_xml_is(c, NS_FEAT_BIDI, "bidi")) {
			ev->bidi = true;
		} else if (fs_xml_is(c, NS_SASL, "mechanisms")) {
			ev->mechanisms = true;
			for (m = c->children; m != NULL; m = m->next)
				if (fs_xml_is(m, NS_SASL, "mechanism") && m->text[0] != '\0')
					FS_EV_APPEND(ev->mechanism_list, m->text);
		} else {
			snprintf(word, sizeof(word), "%s#%s", c->ns, c->name);
			FS_EV_APPEND(ev->other, word);
		}
	}
	ev->only_starttls = ev->starttls && n == 1;
}

bool
fs_stream_parse_error(const struct fs_xml_elem *el, char *cond, size_t condsize, char *text, size_t textsize,
    char *other_host, size_t hostsize)
{
	const struct fs_xml_elem *c;

	if (!fs_xml_is(el, NS_STREAMS, "error"))
		return false;
	fs_ev_set(cond, condsize, "undefined-condition");
	for (c = el->children; c != NULL; c = c->next) {
		if (strcmp(c->ns, NS_STREAM_ERRORS) != 0)
			continue;
		if (strcmp(c->name, "text") == 0) {
			fs_ev_set(text, textsize, c->text);
		} else {
			fs_ev_set(cond, condsize, c->name);
			if (strcmp(c->name, "see-other-host") == 0)
				fs_ev_set(other_host, hostsize, c->text);
		}
	}
	return true;
}
