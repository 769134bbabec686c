#!/usr/bin/env python3
"""responder.py: a configurable, also hostile, XMPP s2s peer for fedscan's tests.

It listens on a loopback address and plays one --mode on every connection it
accepts: a minimal well-behaved receiving server (the control case) or one of
many hostile peers (DOCTYPE bombs, endless elements, STARTTLS injection, ...).
Standard library only (asyncio, ssl, pyexpat).  Loopback only: it refuses to
listen anywhere else.

    responder.py --listen 127.0.0.90:0 --mode doctype --cert c.pem --key k.pem
    -> prints "LISTENING 127.0.0.90 PORT" on stdout once it accepts connections,
       then one line per connection event on stderr.
"""

import argparse
import asyncio
import ipaddress
import itertools
import os
import random
import signal
import socket
import ssl
import struct
import sys
import time
import xml.parsers.expat
from collections import deque
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

NS_STREAM = 'http://etherx.jabber.org/streams'
NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls'
NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
NS_DB = 'jabber:server:dialback'
NS_STREAMS_ERR = 'urn:ietf:params:xml:ns:xmpp-streams'
NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas'

MiB = 1024 * 1024
CHUNK = 64 * 1024

# ---------------------------------------------------------------------------
# Incoming XML: a tiny stream parser on pyexpat (depth 1 = stream header,
# depth 2 = top-level elements, returned as small trees).


class Elem:
    __slots__ = ('ns', 'name', 'attrs', 'children', 'text')

    def __init__(self, ns, name, attrs):
        self.ns, self.name, self.attrs = ns, name, attrs
        self.children, self.text = [], ''

    def __repr__(self):
        return '<{%s}%s %r>' % (self.ns, self.name, self.attrs)


def _split(qname):
    ns, _, local = qname.rpartition(' ')
    return ns, local


class XmlIn:
    """Feed bytes, get events: ('header', attrs) | ('elem', Elem) | ('end',) | ('error', msg)."""

    def __init__(self):
        self.reset()

    def reset(self):
        p = xml.parsers.expat.ParserCreate(namespace_separator=' ')
        p.buffer_text = True
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._text
        self.p, self.depth, self.stack, self.out, self.dead = p, 0, [], [], False

    def _start(self, qname, attrs):
        self.depth += 1
        ns, local = _split(qname)
        if self.depth == 1:
            self.out.append(('header', dict((_split(k)[1], v) for k, v in attrs.items()), ns, local))
            return
        e = Elem(ns, local, {_split(k)[1]: v for k, v in attrs.items()})
        if self.stack:
            self.stack[-1].children.append(e)
        self.stack.append(e)

    def _end(self, qname):
        self.depth -= 1
        if self.depth == 0:
            self.out.append(('end',))
            return
        e = self.stack.pop()
        if not self.stack:
            self.out.append(('elem', e))

    def _text(self, data):
        if self.stack:
            self.stack[-1].text += data

    def feed(self, data):
        if not self.dead:
            try:
                self.p.Parse(data, False)
            except xml.parsers.expat.ExpatError as ex:
                self.dead = True
                self.out.append(('error', str(ex)))
        out, self.out = self.out, []
        return out


# ---------------------------------------------------------------------------
# Outgoing XML helpers.

def q(s):
    """An XML attribute value, quoted, as bytes."""
    return quoteattr(s).encode('utf-8')


def stream_header(c, ns='jabber:server', declare_db=True, sid=None, extra=b'',
                  prolog=b"<?xml version='1.0'?>"):
    """Our response header: from = the initiator's 'to', to = its 'from'."""
    if sid is None:
        sid = q(c.new_stream_id())
    h = [prolog, b"<stream:stream xmlns=", q(ns), b" xmlns:stream='", NS_STREAM.encode(), b"'"]
    if declare_db:
        h.append(b" xmlns:db='jabber:server:dialback'")
    h += [b' id=', sid, b' from=', q(c.peer_to)]
    if c.peer_from:
        h += [b' to=', q(c.peer_from)]
    h += [b" version='1.0' xml:lang='en'", extra, b'>']
    return b''.join(h)


F_STARTTLS = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
F_STARTTLS_REQ = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
F_DIALBACK = b"<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
F_CLIENT_MECHS = (b"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                  b"<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>")
F_FAKE_EXTERNAL = (b"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                   b"<mechanism>EXTERNAL</mechanism></mechanisms>")
PROCEED = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
TLS_FAILURE = b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"


def features(*items):
    return b'<stream:features>' + b''.join(items) + b'</stream:features>'


def stream_error(cond, text=None):
    t = b''
    if text:
        t = (b"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>" + escape(text).encode() + b'</text>')
    return (b'<stream:error><' + cond.encode() + b" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" + t
            + b'</stream:error>')


def dialback_error(req, cond='remote-server-not-found'):
    """XEP-0220 dialback error for a <db:result from=FROM to=TARGET> request."""
    return (b'<db:result from=' + q(req.attrs.get('to', '')) + b' to=' + q(req.attrs.get('from', ''))
            + b" type='error'><error type='cancel'><" + cond.encode()
            + b" xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></db:result>")


def billion_laughs():
    ents = [b'<!ENTITY lol "lol">']
    prev = b'lol'
    for i in range(1, 10):
        ents.append(b'<!ENTITY lol%d "%s">' % (i, b''.join(b'&%s;' % prev for _ in range(10))))
        prev = b'lol%d' % i
    return b'<!DOCTYPE lolz [' + b''.join(ents) + b']>'


# ---------------------------------------------------------------------------
# One connection.

class PeerGone(Exception):
    pass


class Conn:
    ids = itertools.count(1)

    def __init__(self, srv, reader, writer):
        self.srv, self.args = srv, srv.args
        self.reader, self.writer = reader, writer
        self.cid = next(Conn.ids)
        self.xml = XmlIn()
        self.pending = deque()
        self.sent = self.received = 0
        self.peer_from = ''
        self.peer_to = 'hostile.test'
        self.header_seen = False
        self.aborted = False
        self.eof = asyncio.Event()
        self.nstreams = 0
        peer = writer.get_extra_info('peername') or ('?', 0)
        self.peer = '%s:%s' % peer[:2]

    def log(self, msg):
        self.srv.log('conn %d: %s' % (self.cid, msg))

    def new_stream_id(self):
        self.nstreams += 1
        return 'resp-%d-%d-%s' % (self.cid, self.nstreams, os.urandom(6).hex())

    # -- output
    async def send(self, data):
        if self.eof.is_set() or self.writer.is_closing():
            raise PeerGone('peer closed')
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), self.args.io_timeout)
        except (ConnectionError, OSError, asyncio.TimeoutError) as ex:
            raise PeerGone('%s while sending' % type(ex).__name__) from None
        self.sent += len(data)

    def send_nowait(self, data):
        """Write without yielding to the event loop (before start_tls)."""
        if self.eof.is_set() or self.writer.is_closing():
            raise PeerGone('peer closed')
        self.writer.write(data)
        self.sent += len(data)

    async def send_chunks(self, chunks):
        for c in chunks:
            await self.send(c)

    # -- input
    async def _read(self, timeout):
        try:
            data = await asyncio.wait_for(self.reader.read(CHUNK), timeout)
        except asyncio.TimeoutError:
            return None
        except (ConnectionError, OSError):
            data = b''
        if not data:
            self.eof.set()
        self.received += len(data)
        return data

    async def event(self, timeout=None):
        """The next XML event from the peer: also ('eof',) and ('timeout',)."""
        timeout = self.args.io_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return ('timeout',)
            data = await self._read(left)
            if data is None:
                return ('timeout',)
            if not data:
                return ('eof',)
            self.pending.extend(self.xml.feed(data))
        return self.pending.popleft()

    async def read_header(self, timeout=None):
        """Wait for the initiator's stream header; remember its from/to."""
        while True:
            ev = await self.event(timeout)
            if ev[0] == 'header':
                attrs = ev[1]
                self.peer_from = attrs.get('from', '')
                self.peer_to = attrs.get('to', '') or 'hostile.test'
                self.header_seen = True
                self.log('peer header ns=%s to=%r from=%r' % (ev[2], self.peer_to, self.peer_from))
                return True
            if ev[0] in ('eof', 'timeout', 'error'):
                self.log('no peer header (%s)' % ' '.join(map(str, ev)))
                return False

    async def hold(self, limit=None):
        """Read and discard until the peer closes, the connection times out or `limit` bytes."""
        limit = self.args.max_recv if limit is None else limit
        while not self.eof.is_set() and self.received < limit:
            data = await self._read(self.args.conn_timeout)
            if data is None:
                break

    def watch_eof(self):
        """Background reader: drain input and set self.eof when the peer closes."""
        async def run():
            while not self.eof.is_set():
                data = await self._read(self.args.conn_timeout)
                if data is None:
                    break
        return asyncio.ensure_future(run())

    async def start_tls(self):
        if self.srv.sslctx is None:
            raise RuntimeError('this mode needs --cert and --key')
        try:
            await self.writer.start_tls(self.srv.sslctx, ssl_handshake_timeout=self.args.io_timeout)
        except (ssl.SSLError, ConnectionError, OSError, asyncio.TimeoutError) as ex:
            self.log('TLS handshake failed: %r' % (ex,))
            raise PeerGone('TLS handshake failed') from None
        obj = self.writer.get_extra_info('ssl_object')
        self.log('TLS up %s %s' % (obj.version(), obj.cipher()[0]))
        self.xml.reset()
        self.pending.clear()

    def reset_rst(self):
        """Close with RST: SO_LINGER on, 0 seconds, then close."""
        sock = self.writer.get_extra_info('socket')
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.writer.transport.abort()
        self.aborted = True


# ---------------------------------------------------------------------------
# The well-behaved server, with knobs the hostile variants turn.

@dataclass
class Profile:
    ns: str = 'jabber:server'
    declare_db: bool = True
    prolog: bytes = b"<?xml version='1.0'?>"  # everything before <stream:stream
    sid: object = None                        # raw id attribute (bytes, quoted) or None
    header_extra: object = b''                # bytes, or a callable yielding chunks (huge headers)
    sid_chunks: object = None                 # callable yielding the id value in chunks (huge-attr)
    after_header: bytes = b''                 # between the header and the features
    features_pre: bytes = features(F_STARTTLS, F_DIALBACK)
    features_post: bytes = features(F_DIALBACK)
    on_starttls: str = 'proceed'              # proceed | inject | failure | garbage | stall
    inject: bytes = b''                       # for on_starttls == 'inject'
    plain_db: str = 'dialback-error'          # reply to a plain db:result: dialback-error | policy-violation
    tls_db: str = 'dialback-error'            # reply to a db:result over TLS: dialback-error | not-authorized
    need_tls: bool = True                     # advertise STARTTLS only with a certificate
    db_delay: float = 0.0                     # seconds before answering a db:result (a slow refusal)
    after_tls: str = 'header'                 # after the TLS handshake: header (normal) | silence (read, never answer)


async def send_header(c, p):
    if p.sid_chunks is None and not callable(p.header_extra):
        await c.send(stream_header(c, p.ns, p.declare_db, p.sid, p.header_extra, p.prolog))
        return
    # Streamed header (huge attributes): never held in one piece.
    head = stream_header(c, p.ns, p.declare_db, b'@SID@', b'@EXTRA@', p.prolog)
    before, rest = head.split(b'@SID@')
    mid, after = rest.split(b'@EXTRA@')
    await c.send(before)
    if p.sid_chunks is not None:
        await c.send(b"'")
        await c.send_chunks(p.sid_chunks())
        await c.send(b"'")
    else:
        await c.send(q(c.new_stream_id()))
    await c.send(mid)
    if callable(p.header_extra):
        await c.send_chunks(p.header_extra())
    else:
        await c.send(p.header_extra)
    await c.send(after)


async def serve_profile(c, p):
    if not await c.read_header():
        return
    tls = False
    await send_header(c, p)
    if p.after_header:
        await c.send(p.after_header)
    pre = p.features_pre
    if c.srv.sslctx is None and p.need_tls:
        pre = pre.replace(F_STARTTLS, b'').replace(F_STARTTLS_REQ, b'')
    await c.send(pre)
    while True:
        ev = await c.event(c.args.conn_timeout)
        kind = ev[0]
        if kind in ('eof', 'timeout'):
            c.log('peer %s' % kind)
            return
        if kind == 'error':
            c.log('peer sent bad XML: %s' % ev[1])
            await c.send(stream_error('not-well-formed') + b'</stream:stream>')
            return
        if kind == 'end':
            c.log('peer closed the stream')
            await c.send(b'</stream:stream>')
            return
        if kind == 'header':  # cannot happen at depth 1 after the first; ignore
            continue
        e = ev[1]
        c.log('peer element {%s}%s %s' % (e.ns, e.name, e.attrs))
        if e.ns == NS_TLS and e.name == 'starttls' and not tls:
            if await on_starttls(c, p):
                tls = True
                if p.after_tls == 'silence':
                    c.log('TLS is up; saying nothing more')
                    await c.hold()
                    return
                if not await c.read_header():
                    return
                await c.send(stream_header(c, p.ns, p.declare_db, None, b'', b"<?xml version='1.0'?>"))
                await c.send(p.features_post)
                continue
            return
        if e.ns == NS_DB and e.name == 'result':
            if p.db_delay:
                await asyncio.sleep(p.db_delay)
            how = p.tls_db if tls else p.plain_db
            if how == 'policy-violation':
                await c.send(stream_error('policy-violation', 'Use of STARTTLS required') + b'</stream:stream>')
                return
            if how == 'not-authorized':
                await c.send(stream_error('not-authorized') + b'</stream:stream>')
                return
            await c.send(dialback_error(e))
            continue
        if e.ns == NS_SASL and e.name == 'auth':
            await c.send(b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>")
            continue
        await c.send(stream_error('unsupported-stanza-type') + b'</stream:stream>')
        return


async def on_starttls(c, p):
    """Answer <starttls/>; True when TLS is up and the stream restarts."""
    how = p.on_starttls
    if how == 'failure':
        await c.send(TLS_FAILURE + b'</stream:stream>')
        return False
    if how in ('proceed', 'inject'):
        # No await between the write and start_tls(): the ClientHello must not reach
        # the plaintext StreamReader first.
        if how == 'inject':
            # One write: <proceed/> and, before any TLS, a fake post-TLS header and features.
            c.send_nowait(PROCEED + p.inject)
            c.log('sent <proceed/> + %d injected plaintext bytes' % len(p.inject))
        else:
            c.send_nowait(PROCEED)
        await c.start_tls()
        return True
    await c.send(PROCEED)
    hello = await c._read(c.args.io_timeout)  # the ClientHello (or nothing)
    c.log('after <proceed/>: %s bytes from peer' % (len(hello) if hello is not None else 'no'))
    if how == 'garbage':
        rnd = random.Random(c.args.seed + c.cid)
        junk = bytearray(rnd.randbytes(c.args.garbage_bytes))
        junk[0] = 0x99  # not a TLS content type: fail fast, do not wait for a record
        await c.send(bytes(junk))
    await c.hold()
    return False


# ---------------------------------------------------------------------------
# Hostile modes that are not a profile.

async def m_endless_element(c):
    await c.read_header(5)
    await c.send(stream_header(c) + b'<stream:features><x>')
    c.watch_eof()
    chunk = b'A' * CHUNK
    while c.sent < c.args.endless_bytes and not c.eof.is_set():
        await c.send(chunk)
    c.log('endless element stopped after %d bytes (eof=%s)' % (c.sent, c.eof.is_set()))


async def m_deep_nesting(c):
    await c.read_header(5)
    n = c.args.count or 100000
    # 100000 opening tags then as many closing ones, inside features that never end:
    # the features are incomplete (so no correct probe can succeed) while a complete
    # 100000-deep subtree sits in them (so a recursive tree walk/free would blow up).
    await c.send(stream_header(c) + b'<stream:features>')
    await c.send_chunks(_repeat(b'<a>', n))
    await c.send_chunks(_repeat(b'</a>', n))
    await c.hold()


def _repeat(unit, n):
    per = max(1, CHUNK // len(unit))
    while n > 0:
        k = min(per, n)
        yield unit * k
        n -= k


async def m_many_mechanisms(c):
    await c.read_header(5)
    n = c.args.count or 5000
    await c.send(stream_header(c) + b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>")
    await c.send_chunks(_gen_mechs(n))
    # The mechanism list is complete, the features never end: hold.
    await c.send(b'</mechanisms>')
    await c.hold()


def _gen_mechs(n):
    buf = []
    for i in range(n):
        buf.append(b'<mechanism>X-HOSTILE-%05d</mechanism>' % i)
        if len(buf) == 1000:
            yield b''.join(buf)
            buf = []
    if buf:
        yield b''.join(buf)


async def m_garbage(c):
    await c.read_header(5)
    rnd = random.Random(c.args.seed + c.cid)
    await c.send(rnd.randbytes(c.args.garbage_bytes))
    await c.hold()


async def m_silence(c):
    await c.hold()


async def m_slowloris(c):
    await c.read_header(5)
    data = stream_header(c) + features(F_STARTTLS, F_DIALBACK)
    c.watch_eof()
    for i in range(len(data)):
        await c.send(data[i:i + 1])
        try:
            await asyncio.wait_for(c.eof.wait(), c.args.slow_interval)
            break
        except asyncio.TimeoutError:
            pass
    c.log('slowloris stopped after %d of %d bytes' % (c.sent, len(data)))


async def m_reset(c):
    c.reset_rst()


async def m_stream_error_flood(c):
    await c.read_header(5)
    await c.send(stream_header(c))
    n = c.args.count or 10000
    conds = ['undefined-condition', 'policy-violation', 'host-unknown', 'not-authorized',
             'resource-constraint', 'internal-server-error', 'see-other-host', 'conflict']
    buf = []
    for i in range(n):
        buf.append(stream_error(conds[i % len(conds)], 'hostile stream error %d of %d' % (i + 1, n)))
        if len(buf) == 500:
            await c.send(b''.join(buf))
            buf = []
    if buf:
        await c.send(b''.join(buf))
    await c.hold()


async def m_see_other_host_self(c):
    await c.read_header(5)
    host, port = c.srv.addr
    where = '[%s]:%d' % (host, port) if ':' in host else '%s:%d' % (host, port)
    await c.send(stream_header(c) + b"<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>"
                 + escape(where).encode() + b'</see-other-host></stream:error></stream:stream>')
    c.log('redirected to %s (itself)' % where)


# Text that steers a terminal: C1 CSI (U+009B, legal in XML 1.0), a right-to-left override, a bidi isolate and
# a right-to-left mark; the raw variant adds ESC (0x1B, not an XML character: the stream is not well-formed).
EVIL_TEXT = '\u009b31m\u202eevil\u2066\u200f'


async def m_terminal_escapes(c, raw=False):
    await c.read_header(5)
    evil = EVIL_TEXT.encode()
    if raw:
        evil = b'\x1b[31m\x1b]0;title\x07' + evil
    await c.send(b"<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='" + NS_STREAM.encode()
                 + b"' xmlns:db='jabber:server:dialback' id='id-" + evil + b"' from='" + evil + q(c.peer_to)[1:-1]
                 + b"' version='1.0'><stream:error><undefined-condition xmlns='" + NS_STREAMS_ERR.encode()
                 + b"'/><text xmlns='" + NS_STREAMS_ERR.encode() + b"'>" + evil + b'RED</text></stream:error>'
                 + b'</stream:stream>')


# ---------------------------------------------------------------------------
# The mode table: name -> (coroutine(conn), one-line description).

def _profile(**kw):
    p = Profile(**kw)
    return lambda c: serve_profile(c, p)


def _many_attrs(n):
    def gen():
        buf = []
        for i in range(n):
            buf.append(b" a%d='x'" % i)
            if len(buf) == 4096:
                yield b''.join(buf)
                buf = []
        if buf:
            yield b''.join(buf)
    return gen


def _huge_value(size):
    def gen():
        left = size
        while left > 0:
            k = min(CHUNK, left)
            yield b'A' * k
            left -= k
    return gen


REQUIRED_ONLY = features(F_STARTTLS_REQ)
FAKE_RESTART = (b"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'"
                b" xmlns:db='jabber:server:dialback' id='injected-fake-stream' from='hostile.test'"
                b" version='1.0'><stream:features>" + F_FAKE_EXTERNAL + b'</stream:features>')

MODES = {
    'normal-tls-optional': (
        _profile(),
        'control: well-behaved server, STARTTLS optional + dialback; db:result -> dialback error remote-server-not-found'),
    'slow-dialback-error': (
        _profile(db_delay=1.0),
        'the control, but it answers each db:result with its dialback error only after 1 s'),
    'doctype': (
        _profile(prolog=b"<?xml version='1.0'?>" + billion_laughs(),
                 features_pre=b'<stream:features>&lol9;' + F_STARTTLS + F_DIALBACK + b'</stream:features>'),
        'billion-laughs <!DOCTYPE> before the stream header, &lol9; in the features, then normal'),
    'entity-in-stream': (
        _profile(after_header=b'<stream:features>&xxe;&lol;' + F_STARTTLS + F_DIALBACK + b'</stream:features>',
                 features_pre=b''),
        'undeclared entity references (&xxe; &lol;) inside the features after the header, then normal'),
    'pi': (
        _profile(after_header=b"<?xmpp-hostile payload='processing instruction'?>"),
        'a processing instruction right after the stream header, then normal'),
    'endless-element': (
        m_endless_element,
        "header, <stream:features><x> then 'A' text at full speed until --endless-bytes (64 MiB) or the peer leaves"),
    'deep-nesting': (
        m_deep_nesting,
        'features holding 100000 nested <a> (opened and closed), features never end'),
    'many-attrs': (
        _profile(header_extra=_many_attrs(100000)),
        'stream header with 100000 attributes, then normal'),
    'huge-attr': (
        _profile(sid_chunks=_huge_value(16 * MiB)),
        'stream header whose id attribute is 16 MiB long, then normal'),
    'garbage': (
        m_garbage,
        'random binary bytes (--garbage-bytes) instead of a stream header, then hold'),
    'silence': (
        m_silence,
        'accept and never send anything'),
    'slowloris': (
        m_slowloris,
        'send the header and features one byte every --slow-interval (2 s)'),
    'reset': (
        m_reset,
        'accept and close at once with a TCP RST (SO_LINGER 0)'),
    'starttls-injection': (
        _profile(on_starttls='inject', inject=FAKE_RESTART, features_post=features(F_DIALBACK)),
        '<proceed/> + fake plaintext header/features offering EXTERNAL in one write, then real TLS without SASL'),
    'starttls-failure': (
        _profile(features_pre=REQUIRED_ONLY, on_starttls='failure', plain_db='policy-violation', need_tls=False),
        'STARTTLS required, <starttls/> -> <failure/> and close'),
    'tls-garbage': (
        _profile(features_pre=REQUIRED_ONLY, on_starttls='garbage', plain_db='policy-violation', need_tls=False),
        'STARTTLS required, <proceed/>, then random bytes instead of a ServerHello'),
    'tls-stall': (
        _profile(features_pre=REQUIRED_ONLY, on_starttls='stall', plain_db='policy-violation', need_tls=False),
        'STARTTLS required, <proceed/>, then never answer the ClientHello'),
    'silent-after-tls': (
        _profile(features_pre=REQUIRED_ONLY, plain_db='policy-violation', after_tls='silence'),
        'STARTTLS required, <proceed/>, a completed TLS handshake, then never a stream header'),
    'stream-error-flood': (
        m_stream_error_flood,
        'header then 10000 <stream:error> elements without closing the stream, then hold'),
    'many-mechanisms': (
        m_many_mechanisms,
        'features with 5000 <mechanism> elements, features never end'),
    'jabber-client': (
        _profile(ns='jabber:client', declare_db=False, features_pre=features(F_STARTTLS, F_CLIENT_MECHS),
                 features_post=features(F_CLIENT_MECHS), plain_db='not-authorized', tls_db='not-authorized'),
        "a client-to-server stream (xmlns='jabber:client', SASL PLAIN, no dialback) on the s2s port"),
    'invalid-utf8': (
        _profile(sid=b"'bad-\xc0\xaf-\xff\xfe-\xed\xa0\x80-\xe2\x82'"),
        'invalid UTF-8 (overlong, 0xFF, surrogate, truncated) in the stream id, then normal'),
    'nul-byte': (
        _profile(sid=b"'nul-\x00-byte'", after_header=b'\x00'),
        'NUL bytes in the stream id and after the header, then normal'),
    'see-other-host-self': (
        m_see_other_host_self,
        '<see-other-host> pointing to the responder itself, on every connection'),
    'terminal-escapes': (
        m_terminal_escapes,
        'stream id, from and stream error text with C1 CSI (U+009B), U+202E, U+2066 and U+200F, then close'),
    'terminal-escapes-raw': (
        lambda c: m_terminal_escapes(c, raw=True),
        'the same with raw ESC sequences (CSI, OSC) in the header: not well-formed XML'),
}


# ---------------------------------------------------------------------------
# Server.

class Server:
    def __init__(self, args):
        self.args = args
        self.mode, _ = MODES[args.mode]
        self.sslctx = None
        if args.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key or args.cert)
            self.sslctx = ctx
        self.nconn = 0
        self.active = set()

    def log(self, msg):
        if not self.args.quiet:
            sys.stderr.write('responder[%s] %.3f %s\n' % (self.args.mode, time.monotonic() - T0, msg))
            sys.stderr.flush()

    async def handle(self, reader, writer):
        self.nconn += 1
        c = Conn(self, reader, writer)
        c.log('accepted from %s (connection #%d)' % (c.peer, self.nconn))
        task = asyncio.current_task()
        self.active.add(task)
        why = 'done'
        try:
            await asyncio.wait_for(self.mode(c), self.args.conn_timeout)
        except PeerGone as ex:
            why = 'peer gone: %s' % ex
        except asyncio.TimeoutError:
            why = 'connection timeout'
        except asyncio.CancelledError:  # shutting down: end quietly
            why = 'cancelled'
        except Exception as ex:  # a responder bug: say so, keep serving
            why = 'responder error: %r' % (ex,)
        finally:
            if not c.aborted:
                try:
                    writer.close()
                except Exception:
                    pass
            c.log('closed (%s) sent=%d received=%d' % (why, c.sent, c.received))
            self.active.discard(task)

    async def run(self):
        host, port = self.args.host, self.args.port
        srv = await asyncio.start_server(self.handle, host, port, limit=CHUNK, backlog=64)
        sock = srv.sockets[0]
        self.addr = sock.getsockname()[:2]
        sys.stdout.write('LISTENING %s %d\n' % self.addr)
        sys.stdout.flush()
        self.log('listening on %s:%d, mode %s' % (self.addr[0], self.addr[1], self.args.mode))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, stop.set)
        try:
            if self.args.lifetime > 0:
                await asyncio.wait_for(stop.wait(), self.args.lifetime)
            else:
                await stop.wait()
        except asyncio.TimeoutError:
            self.log('lifetime over')
        srv.close()
        tasks = list(self.active)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)
        self.log('exit after %d connection(s)' % self.nconn)


def parse_args(argv):
    ap = argparse.ArgumentParser(description='A configurable, also hostile, XMPP s2s peer for fedscan tests.')
    ap.add_argument('--listen', default='127.0.0.1:0', metavar='HOST[:PORT]',
                    help='loopback address to listen on (default 127.0.0.1:0; port 0 = any free port)')
    ap.add_argument('--port', type=int, default=None, help='port, overrides the one in --listen (0 = any free)')
    ap.add_argument('--mode', default='normal-tls-optional', help='behaviour, see --list-modes')
    ap.add_argument('--list-modes', action='store_true', help='print the modes and exit')
    ap.add_argument('--cert', help='PEM certificate for STARTTLS')
    ap.add_argument('--key', help='PEM private key (default: in --cert)')
    ap.add_argument('--lifetime', type=float, default=0, help='exit after this many seconds (0 = on SIGTERM only)')
    ap.add_argument('--conn-timeout', type=float, default=60, help='hard limit per connection, seconds')
    ap.add_argument('--io-timeout', type=float, default=20, help='limit per read/write wait, seconds')
    ap.add_argument('--max-recv', type=int, default=16 * MiB, help='stop reading a connection after this many bytes')
    ap.add_argument('--endless-bytes', type=int, default=64 * MiB, help='endless-element: bytes to send at most')
    ap.add_argument('--garbage-bytes', type=int, default=256 * 1024, help='garbage/tls-garbage: bytes to send')
    ap.add_argument('--slow-interval', type=float, default=2.0, help='slowloris: seconds between bytes')
    ap.add_argument('--count', type=int, default=0, help='element/attribute count for the flood modes (0 = default)')
    ap.add_argument('--seed', type=int, default=5269, help='seed for the random bytes')
    ap.add_argument('-q', '--quiet', action='store_true', help='no log on stderr')
    args = ap.parse_args(argv)
    if args.list_modes:
        w = max(map(len, MODES))
        for name, (_, desc) in MODES.items():
            print('%-*s  %s' % (w, name, desc))
        sys.exit(0)
    if args.mode not in MODES:
        ap.error('unknown mode %r (see --list-modes)' % args.mode)
    host, port = args.listen, 0
    if host.startswith('['):
        host, _, rest = host[1:].partition(']')
        port = int(rest[1:]) if rest.startswith(':') else 0
    elif host.count(':') == 1:
        host, p = host.split(':')
        port = int(p)
    if args.port is not None:
        port = args.port
    try:
        if not ipaddress.ip_address(host).is_loopback:
            ap.error('refusing to listen on %s: loopback addresses only' % host)
    except ValueError:
        ap.error('--listen needs a literal loopback address, not %r' % host)
    args.host, args.port = host, port
    if args.key and not args.cert:
        ap.error('--key needs --cert')
    return args


T0 = time.monotonic()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        asyncio.run(Server(args).run())
    except OSError as ex:
        sys.stderr.write('responder: %s\n' % ex)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
