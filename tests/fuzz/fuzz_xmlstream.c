/*
 * fuzz_xmlstream.c: libFuzzer target for src/xmlstream.c.
 *
 * Input: 4 control bytes, then the stream.
 *   c[0], c[1]  chunk sizes: the stream is fed in pieces of 1 + (c[0] or c[1]) % 64, alternating,
 *               or 1 + c[0] * 61 bytes when c[3] bit 2 is set (big pieces, several internal slices)
 *   c[2]        pause after the n-th element when bit n % 8 is set
 *   c[3]        bit 0: small limits; bit 1: after a pause, reset (else feed the rest again);
 *               bit 3: reset after a fatal error and go on with the following bytes
 * The stream is reset after every </stream:stream>, which pauses there like an engine would.
 * Invariants are checked with abort(): consumed <= len; consumed < len only after a pause;
 * an error string exactly when feed fails; the byte count never goes down.
 */
#include "fedscan/xmlstream.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fz {
	struct fs_xmlstream *xs;
	uint8_t pause_mask;
	unsigned nel;
	bool paused;	/* a callback paused during this feed */
	bool owed;	/* a pause whose point a feed has not reached yet */
	bool closed;
	size_t sink;
};

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* Read every string of the tree, so that ASan sees any dangling or unterminated one. */
static void
touch(struct fz *f, const struct fs_xml_elem *el, unsigned depth)
{
	const struct fs_xml_elem *c;
	unsigned i;

	CHECK(depth < 64);
	f->sink += strlen(el->ns) + strlen(el->name) + strlen(el->prefix) + strlen(el->text);
	for (i = 0; i < el->nattrs; i++) {
		f->sink += strlen(el->attrs[i].ns) + strlen(el->attrs[i].name) + strlen(el->attrs[i].value);
		CHECK(fs_xml_attr(el, el->attrs[i].ns, el->attrs[i].name) != NULL);
	}
	for (c = el->children; c != NULL; c = c->next) {
		CHECK(fs_xml_child(el, c->ns, c->name) != NULL);
		touch(f, c, depth + 1);
	}
}

static void
cb_open(void *ud, const struct fs_xml_stream_header *h)
{
	struct fz *f = ud;
	unsigned i;

	touch(f, h->elem, 0);
	CHECK(h->elem->children == NULL);
	for (i = 0; i < h->nnsdecls; i++)
		f->sink += strlen(h->nsdecls[i].prefix) + strlen(h->nsdecls[i].uri);
}

static void
cb_elem(void *ud, const struct fs_xml_elem *el)
{
	struct fz *f = ud;

	touch(f, el, 0);
	if (f->pause_mask & (1u << (f->nel++ % 8))) {
		fs_xmlstream_pause(f->xs);
		f->paused = true;
	}
}

static void
cb_close(void *ud)
{
	struct fz *f = ud;

	fs_xmlstream_pause(f->xs);
	f->paused = true;
	f->closed = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fs_xml_callbacks cbs = { cb_open, cb_elem, cb_close };
	struct fs_xml_limits lim;
	struct fz f;
	uint8_t c[4];
	size_t off, n, used, bytes = 0, turns;
	int rc;

	if (size < 4)
		return 0;
	memcpy(c, data, 4);
	data += 4;
	size -= 4;
	memset(&f, 0, sizeof(f));
	f.pause_mask = c[2];
	fs_xml_limits_default(&lim);
	if (c[3] & 1) {
		/* Small limits, so that the fuzzer reaches every refusal with short inputs. */
		lim.max_element_bytes = 512;
		lim.max_depth = 4;
		lim.max_attrs = 4;
		lim.max_text_bytes = 64;
		lim.max_stream_bytes = 1024;
	}
	if (fs_xmlstream_new(&lim, &cbs, &f, &f.xs) != 0)
		return 0;
	for (off = 0, turns = 0; off < size && turns < 4 * size + 16; turns++) {
		if (c[3] & 4)
			n = 1 + (size_t)c[0] * 61;
		else
			n = 1 + (size_t)c[turns % 2] % 64;
		if (n > size - off)
			n = size - off;
		f.paused = f.closed = false;
		rc = fs_xmlstream_feed(f.xs, (const char *)data + off, n, &used);
		CHECK(used <= n);
		CHECK(fs_xmlstream_bytes(f.xs) >= bytes);
		bytes = fs_xmlstream_bytes(f.xs);
		if (rc != 0) {
			CHECK(rc == -1 && fs_xmlstream_error(f.xs) != NULL);
			if (!(c[3] & 8))
				break;
			CHECK(fs_xmlstream_reset(f.xs) == 0);
			f.owed = false;
			off += n;
			continue;
		}
		CHECK(fs_xmlstream_error(f.xs) == NULL);
		/* A short count only at a pause point: one of this feed, or one an earlier feed did not reach. */
		CHECK(used == n || f.paused || f.owed);
		f.owed = (f.owed || f.paused) && used == n;
		off += used;
		/* After </stream:stream>, or after a pause when asked to: the rest starts a new stream. */
		if (f.closed || (f.paused && (c[3] & 2))) {
			CHECK(fs_xmlstream_reset(f.xs) == 0);
			f.owed = false;
		}
	}
	fs_xmlstream_free(f.xs);
	return 0;
}
