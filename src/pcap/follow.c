/*
 * follow.c: follow one captured s2s stream in both directions the way a probe
 * reads its own connection: the plaintext through fs_xmlstream and the probes'
 * stream vocabulary (xmpp/stream.h), switching to the TLS sniffer (tls_sniff.c)
 * where <proceed/> or a direct-TLS ClientHello says the bytes turn to TLS
 * (RFC 6120 §5.4.3.3), and restarting the parser after SASL success (§6.4.6).
 */
#include <stdio.h>
#include <string.h>

#include "fedscan/xmlstream.h"
#include "pcap/passive_int.h"
#include "xmpp/stream.h"

/* The first bytes of an XMPP stream: optional BOM and blanks, then "<?xml" or "<stream:stream" / "<stream". */
bool
fs_pv_looks_xmpp(const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
		i = 3;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	if (n - i >= 5 && memcmp(b + i, "<?xml", 5) == 0)
		return true;
	return n - i >= 7 && memcmp(b + i, "<stream", 7) == 0;
}

/* ---- the XML side ---- */

static void
record_db_error(const struct fs_xml_elem *el, struct fs_dialback_ev *db)
{
	const struct fs_xml_elem *e = fs_xml_child(el, NULL, "error"), *c;

	FS_EV_SET(db->condition, "undefined-condition");
	if (e == NULL)
		return;
	for (c = e->children; c != NULL; c = c->next) {
		if (strcmp(c->ns, NS_STANZA_ERRORS) != 0)
			continue;
		if (strcmp(c->name, "text") == 0)
			FS_EV_SET(db->text, c->text);
		else
			FS_EV_SET(db->condition, c->name);
	}
}

static void
on_open(void *ud, const struct fs_xml_stream_header *hdr)
{
	struct pdir *d = ud;
	struct pstream *s = d->s;
	const char *why;
	unsigned i;

	if (d->role == INI) {
		if (!s->ini.hdr.header) {
			fs_stream_record_header(hdr, &s->ini.hdr);
			for (i = 0; i < hdr->nnsdecls; i++)
				if (hdr->nsdecls[i].prefix[0] == '\0' && strcmp(hdr->nsdecls[i].uri, NS_CLIENT) == 0)
					s->ini.client_ns = true;
		}
		return;
	}
	if (s->sasl_restart) {
		fs_stream_record_header(hdr, &s->ev.post_sasl);
		return;
	}
	if (s->ev.pre.header)
		return;
	if ((why = fs_stream_record_header(hdr, &s->ev.pre)) != NULL) {
		FS_EV_SET(s->ev.close_reason, why);
		s->learned = true;
	}
}

static void
on_close(void *ud)
{
	struct pdir *d = ud;

	if (d->role == RCV && d->s->ev.close_reason[0] == '\0')
		FS_EV_SET(d->s->ev.close_reason, "the receiving server closed the stream (</stream:stream>)");
}

static void
rcv_element(struct pstream *s, const struct fs_xml_elem *el)
{
	struct fs_conn_ev *ev = &s->ev;
	const char *type;

	if (fs_stream_parse_error(el, ev->stream_error, sizeof(ev->stream_error), ev->stream_error_text,
	    sizeof(ev->stream_error_text), ev->see_other_host, sizeof(ev->see_other_host))) {
		FS_EV_SET(ev->stream_error_stage, s->db_pending ? "dialback" : s->sasl_restart ? "post-sasl" :
		    "pre-tls");
		if (s->db_pending) {
			ev->dialback.result = FS_DB_STREAM_ERROR;
			FS_EV_SET(ev->dialback.condition, ev->stream_error);
			FS_EV_SET(ev->dialback.text, ev->stream_error_text);
			ev->dialback.wait_ms = (long)((s->last_us - s->db_sent_us) / 1000);
			s->db_pending = false;
		}
		s->learned = true;
	} else if (fs_xml_is(el, NS_STREAMS, "features")) {
		if (s->sasl_restart) {
			fs_stream_record_features(el, &ev->post_sasl);
			s->learned = true;
		} else if (!ev->pre.features) {
			fs_stream_record_features(el, &ev->pre);
		}
	} else if (fs_xml_is(el, NS_TLS, "proceed")) {
		ev->starttls = FS_STARTTLS_PROCEED;
		s->d[RCV].mode = M_SNIFF;
		fs_xmlstream_pause(s->d[RCV].xs);
	} else if (fs_xml_is(el, NS_TLS, "failure")) {
		ev->starttls = FS_STARTTLS_FAILURE;
		s->learned = true;
	} else if (fs_xml_is(el, NS_SASL, "success")) {
		ev->sasl.result = FS_SASL_SUCCESS;
		s->sasl_restart = true;
		s->d[RCV].reset = true;
		fs_xmlstream_pause(s->d[RCV].xs);
	} else if (fs_xml_is(el, NS_SASL, "failure")) {
		ev->sasl.result = FS_SASL_FAILURE;
		if (el->children != NULL) {
			const struct fs_xml_elem *c;
			for (c = el->children; c != NULL; c = c->next)
				if (strcmp(c->name, "text") == 0)
					FS_EV_SET(ev->sasl.text, c->text);
				else if (ev->sasl.condition[0] == '\0')
					FS_EV_SET(ev->sasl.condition, c->name);
		}
	} else if (fs_xml_is(el, NS_DIALBACK, "result") && (type = fs_xml_attr(el, "", "type")) != NULL) {
		if (strcmp(type, "valid") == 0)
			ev->dialback.result = FS_DB_VALID;
		else if (strcmp(type, "invalid") == 0)
			ev->dialback.result = FS_DB_INVALID;
		else {
			ev->dialback.result = FS_DB_ERROR;
			record_db_error(el, &ev->dialback);
		}
		if (s->db_pending)
			ev->dialback.wait_ms = (long)((s->last_us - s->db_sent_us) / 1000);
		s->db_pending = false;
		s->learned = true;
	}
}

static void
ini_element(struct pstream *s, const struct fs_xml_elem *el)
{
	struct fs_conn_ev *ev = &s->ev;
	const char *v;

	if (fs_xml_is(el, NS_TLS, "starttls")) {
		ev->starttls = FS_STARTTLS_NO_ANSWER;
		ev->kind = FS_CONN_STARTTLS;
		s->kind_set = true;
		s->d[INI].mode = M_SNIFF;
		fs_xmlstream_pause(s->d[INI].xs);
	} else if (fs_xml_is(el, NS_SASL, "auth")) {
		ev->sasl.tries++;
		ev->sasl.result = FS_SASL_NO_ANSWER;
		if ((v = fs_xml_attr(el, "", "mechanism")) != NULL)
			FS_EV_SET(s->ini.sasl_mech, v);
		s->d[INI].mode = M_RESTART;
		fs_xmlstream_pause(s->d[INI].xs);
	} else if (fs_xml_is(el, NS_DIALBACK, "result") && fs_xml_attr(el, "", "type") == NULL) {
		if (ev->dialback.result == FS_DB_NOT_SENT) {
			ev->dialback.result = FS_DB_TIMEOUT;   /* no answer yet */
			ev->dialback.over_tls = false;
			s->db_pending = true;
			s->db_sent_us = s->last_us;
		}
		s->ini.dialback = true;
		if ((v = fs_xml_attr(el, "", "from")) != NULL && s->ini.db_from[0] == '\0')
			FS_EV_SET(s->ini.db_from, v);
		if ((v = fs_xml_attr(el, "", "to")) != NULL && s->ini.db_to[0] == '\0')
			FS_EV_SET(s->ini.db_to, v);
	} else if (fs_xml_is(el, NS_DIALBACK, "verify") && fs_xml_attr(el, "", "type") == NULL) {
		s->ini.verify_sent++;
	}
}

static void
on_element(void *ud, const struct fs_xml_elem *el)
{
	struct pdir *d = ud;

	if (d->role == RCV)
		rcv_element(d->s, el);
	else
		ini_element(d->s, el);
}

static const struct fs_xml_callbacks xml_cbs = { on_open, on_element, on_close };

/* Feed plaintext to a direction's parser; returns the bytes used (fewer when it paused to switch modes). */
static size_t
xml_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n)
{
	size_t used = 0;

	if (d->xml_bytes + n > FS_PASSIVE_MAX_XML_BYTES) {
		/* Stanzas after authentication tell nothing about the settings: stop here. */
		d->mode = M_DONE;
		return n;
	}
	if (d->xs == NULL && fs_xmlstream_new(NULL, &xml_cbs, d, &d->xs) != 0) {
		d->mode = M_DONE;
		return n;
	}
	if (d->reset) {
		d->reset = false;
		if (fs_xmlstream_reset(d->xs) != 0) {
			d->mode = M_DONE;
			return n;
		}
	}
	if (fs_xmlstream_feed(d->xs, (const char *)b, n, &used) != 0) {
		const char *why = fs_xmlstream_error(d->xs);
		if (d->role == RCV) {
			s->ev.xml_error = true;
			if (s->ev.close_reason[0] == '\0') {
				char buf[FS_EV_TEXT];
				snprintf(buf, sizeof(buf), "the receiving server broke XML: %s", why != NULL ? why : "?");
				FS_EV_SET(s->ev.close_reason, buf);
			}
		} else {
			s->ini.xml_error = true;
		}
		d->mode = M_DONE;
		return n;
	}
	d->xml_bytes += used;
	if (used < n && d->mode == M_XML && !d->reset) {
		/* Paused without a mode change: go on feeding from the first unused byte. */
		return used;
	}
	return used;
}

void
fs_pv_dir_bytes(struct pstream *s, struct pdir *d, const uint8_t *b, size_t n)
{
	size_t used;

	while (n > 0 && !s->learned) {
		switch (d->mode) {
		case M_SNIFF:
			if (b[0] == 0x16) {
				d->mode = M_TLS;
				if (!d->started && d->role == INI) {
					s->ev.kind = FS_CONN_DIRECT_TLS;
					s->kind_set = true;
				}
				/* The XML parser has nothing more to do in this direction. */
				fs_xmlstream_free(d->xs);
				d->xs = NULL;
				if (d->role == INI && !s->ev.tls.attempted)
					s->ev.tls.attempted = true;
			} else {
				if (d->role == RCV && s->ev.starttls == FS_STARTTLS_PROCEED && !s->ev.tls.attempted)
					s->ev.tls.injected_bytes += (long)n;
				d->mode = M_XML;
			}
			d->started = true;
			continue;
		case M_RESTART:
			d->mode = M_XML;
			if (fs_pv_looks_xmpp(b, n))
				d->reset = true;
			continue;
		case M_XML:
			d->started = true;
			used = xml_bytes(s, d, b, n);
			if (used == 0 && d->mode == M_XML && !d->reset)
				return;         /* a pause with nothing used cannot happen twice; be safe */
			b += used;
			n -= used;
			break;
		case M_TLS:
			fs_pv_tls_bytes(s, d, b, n);
			return;
		case M_DONE:
			return;
		}
	}
}
