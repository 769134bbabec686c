#!/usr/bin/env python3
"""fslib: the integration-test harness of fedscan (Python 3, stdlib only).

It starts REAL Prosody 0.12 servers (and dnsmasq) on loopback, runs the fedscan binary against them and prints TAP.
Nothing here sends a packet outside 127.0.0.0/8: Prosody's resolver (libunbound) forwards to a dnsmasq on loopback
that has no upstream, so even its dialback connect-back to our FROM (scanner.test) never leaves the machine.

Verified by hand on Debian 12 (prosody 0.12.3-1+deb12u1, lua-unbound 1.0.0, OpenSSL 3.0), with `Prosody.probe()`
below (raw XML over a socket, Python's ssl module for STARTTLS) and `openssl s_client -starttls xmpp-server
-xmpphost D -connect 127.0.0.x:P`; the same facts are re-checked by every test as "fixture:" lines, so a change in
Prosody shows up as a fixture failure and not as a fedscan failure:
- Config: one file per instance; `s2s_interfaces`/`s2s_ports` on 127.0.x.y, `c2s_ports = {}` (no c2s listener),
  `daemonize = false`, `run_as_root = true`, pidfile/data_path/log in the test's temporary directory,
  `certificates` pointed at an empty directory and per-host `ssl = { certificate = ..., key = ... }`.
- The CA for peers' certificates: `s2s_ssl = { cafile = CA }` (global) is enough for SASL EXTERNAL in 0.12:
  mod_tls builds the s2sin context from host `ssl` + global/host `s2s_ssl` (create_context merges them), and
  mod_s2s_auth_certs checks the chain with it. With the cafile, a scanner.test client certificate (DNS-ID only, no
  xmppAddr) gets `<mechanism>EXTERNAL</mechanism>` after STARTTLS and `<success/>` to `<auth mechanism='EXTERNAL'>=`.
  Without a client certificate EXTERNAL is not offered (but a CertificateRequest is still sent), as doc/protocol.md#prosody says.
- `unbound = { resolvconf = false, hoststxt = false, forward = "ADDR@PORT", options = { ["local-zone:"] =
  "test. transparent" } }`: lua-unbound accepts "addr@port" for `forward`; scanner.test then fails at once
  (NXDOMAIN from our dnsmasq, `--local=/test/`; its log shows Prosody's A/AAAA/SRV queries and nothing else) and
  the pending dialback ends with `<connection-timeout/>` after `s2s_timeout` seconds, counted from the start of the
  TCP connection (mod_s2s sets the timer when the session is created), both on plain and on TLS streams.
- require_encryption=true: pre-TLS `<starttls><required/></starttls>` + `<dialback xmlns='urn:xmpp:features:dialback'/>`
  (no `<errors/>`); require_encryption=false: `<starttls/>` without `<required/>`, and a plain `db:result` is silent
  until `<connection-timeout/>` (the connect-back fails).
- secure_auth=true with a valid client certificate: EXTERNAL offered and succeeds; without one: the restarted
  stream gets `<not-authorized/>` "Your server's certificate could not be validated" (doc/protocol.md#prosody agrees).
- modules_disabled = {"dialback"}: no dialback feature and no xmlns:db; `db:result` -> `<unsupported-stanza-type/>`
  (plain, and over TLS after EXTERNAL was offered). Not in doc/protocol.md#prosody: with require_encryption = true,
  secure_auth = false and no dialback, a peer WITHOUT a client certificate gets, at the restarted post-TLS header,
  `<undefined-condition/>` "No stream features to offer" (nothing it could authenticate with).
- mod_tls disabled: pre-TLS features are `<dialback/>` only; no CertificateRequest can happen (no TLS at all).
- Every STARTTLS handshake carries a CertificateRequest (`openssl s_client -msg -starttls xmpp-server` shows it in
  TLS 1.3 and with -tls1_2). With `s2s_ssl.cafile` set, Prosody also sends the CA certificate in its chain (OpenSSL
  builds the chain from the trust store); the leaf file holds only the leaf.
- Expired and name-mismatched certificates are served without complaint (checked with Python's ssl module:
  "certificate has expired" / "Hostname mismatch").
- One Prosody can listen on two addresses (s2s_interfaces) and host several VirtualHosts with their own certificates;
  the STARTTLS certificate is the one of the stream's `to` host.
Nothing observed contradicts doc/protocol.md#prosody.

Usage from a test:
    import fslib
    T = fslib.Tap()
    env = fslib.Env("127.0.31")          # unique 127.0.N.x block per test file
    srv = env.prosody("example.test", require_encryption=True)
    r = env.fedscan_check("example.test", srv, client_cert=True)
    ...
    sys.exit(T.done())

`python3 fslib.py demo [FEDSCAN ARGS...]` is the demo of tests/demo.sh.
"""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

import timescale

HERE = os.path.dirname(os.path.abspath(__file__))
PROSODY = os.environ.get("PROSODY", "/usr/bin/prosody")
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
DNSMASQ = os.environ.get("DNSMASQ", "/usr/sbin/dnsmasq")
SCANNER = "scanner.test"  # our stream `from`; nobody serves it, so Prosody's connect-back fails at once

# --------------------------------------------------------------------------------------------------------------------
# Process bookkeeping: every process we start is the leader of its own process group and is killed on every exit path.

_procs = []           # Popen objects
_tmpdirs = []         # (path, keep_on_failure)
_lock = threading.Lock()
_cleaned = False
_failed = False       # set by Tap on a failure: keep the temporary directories for inspection


def _kill_group(p, grace=3.0):
    if p.poll() is not None:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass


def spawn(argv, **kw):
    """Popen in a new session (own process group), registered for cleanup."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    with _lock:
        _procs.append(p)
    return p


def cleanup():
    global _cleaned
    with _lock:
        if _cleaned:
            return
        _cleaned = True
        procs = list(_procs)
    for p in reversed(procs):
        _kill_group(p)
    for path, keep in _tmpdirs:
        if (keep and _failed) or os.environ.get("FEDSCAN_KEEP_TMP"):
            sys.stdout.write("# kept %s for inspection\n" % path)
            sys.stdout.flush()
        else:
            shutil.rmtree(path, ignore_errors=True)


def _on_signal(signum, frame):
    global _failed
    _failed = True       # keep the temporary directory (configs, logs) of an interrupted or hung test
    sys.stdout.write("Bail out! %s\n" % ("hard timeout" if signum == signal.SIGALRM else "signal %d" % signum))
    sys.stdout.flush()
    cleanup()
    os._exit(1 if signum == signal.SIGALRM else 128 + signum)


atexit.register(cleanup)


def hang_limit(seconds):
    """A time limit that only guards against a hang, scaled for a sanitizer build of fedscan (timescale.py)."""
    return seconds * timescale.scale(fedscan_binary())


def install_guards(hard_timeout=240):
    """Signal handlers + a hard timeout for the whole test file."""
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, _on_signal)
    signal.alarm(int(hang_limit(hard_timeout)))


def mkdtemp(prefix="fedscan-it-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append((d, True))
    return d


def run(argv, timeout=30, check=True, **kw):
    """A short helper command with a hard timeout (its process group is killed on timeout)."""
    timeout = hang_limit(timeout)
    p = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(p, grace=1)
        out, err = p.communicate()
        raise RuntimeError("timed out after %ss: %s" % (timeout, " ".join(argv)))
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%s): %s" % (" ".join(argv), p.returncode, err.decode(errors="replace")))
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


# --------------------------------------------------------------------------------------------------------------------
# TAP

class Tap:
    """Minimal TAP producer. The plan is printed at the end unless plan() was called first."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.planned = None
        sys.stdout.flush()

    def _out(self, s):
        sys.stdout.write(s + "\n")
        sys.stdout.flush()

    def plan(self, n):
        self.planned = n
        self._out("1..%d" % n)

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            self._out("# " + line)

    def ok(self, cond, name, ctx=None):
        global _failed
        self.n += 1
        name = re.sub(r"\s+", " ", str(name)).replace("#", "\\#")
        self._out("%s %d - %s" % ("ok" if cond else "not ok", self.n, name))
        if not cond:
            self.failed += 1
            _failed = True
            if ctx is not None:
                self.diag(ctx if isinstance(ctx, str) else _ctx_text(ctx))
        return bool(cond)

    def is_(self, got, expected, name, ctx=None):
        good = got == expected
        if not good:
            extra = "     got: %s\nexpected: %s" % (json.dumps(got), json.dumps(expected))
            if ctx is not None:
                extra += "\n" + (ctx if isinstance(ctx, str) else _ctx_text(ctx))
            return self.ok(False, name, extra)
        return self.ok(True, name)

    def like(self, got, regex, name, ctx=None):
        good = isinstance(got, str) and re.search(regex, got) is not None
        if not good:
            extra = "     got: %s\n    like: /%s/" % (json.dumps(got), regex)
            if ctx is not None:
                extra += "\n" + (ctx if isinstance(ctx, str) else _ctx_text(ctx))
            return self.ok(False, name, extra)
        return self.ok(True, name)

    def skip(self, name, reason):
        self.n += 1
        self._out("ok %d - %s # SKIP %s" % (self.n, name, reason))

    def bail(self, reason):
        self._out("Bail out! %s" % reason)
        cleanup()
        sys.exit(1)

    def done(self):
        if self.planned is None:
            self._out("1..%d" % self.n)
        elif self.planned != self.n:
            self.diag("planned %d tests but ran %d" % (self.planned, self.n))
            return 1
        return 1 if self.failed else 0


def skip_all(reason):
    sys.stdout.write("1..0 # SKIP %s\n" % reason)
    sys.stdout.flush()
    sys.exit(0)


def require_tools():
    """The only reasons to skip: no prosody or no openssl binary."""
    if not (os.path.isfile(PROSODY) and os.access(PROSODY, os.X_OK)):
        skip_all("prosody not installed (%s)" % PROSODY)
    if not shutil.which("openssl"):
        skip_all("openssl not installed")


def _ctx_text(ctx):
    if hasattr(ctx, "diag_text"):
        if getattr(ctx, "shown", False):        # the whole run was printed at its first failure
            return "(fedscan run #%d, printed above)" % ctx.seq
        ctx.shown = True
        return "fedscan run #%d\n%s" % (ctx.seq, ctx.diag_text())
    try:
        return json.dumps(ctx, indent=2, sort_keys=True)
    except (TypeError, ValueError):
        return str(ctx)


# --------------------------------------------------------------------------------------------------------------------
# Addresses and ports

def port_is_free(addr, port, udp=False):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    try:
        if not udp:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(addr, udp=False, avoid=()):
    """A port free on addr (TCP, or UDP+TCP for DNS), chosen by the kernel, checked again."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
        s.bind((addr, 0))
        port = s.getsockname()[1]
        s.close()
        if port in avoid:
            continue
        if port_is_free(addr, port) and (not udp or port_is_free(addr, port, udp=True)):
            return port
    raise RuntimeError("no free port on %s" % addr)


def wait_tcp(addr, port, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((addr, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# --------------------------------------------------------------------------------------------------------------------
# Certificates (openssl CLI, EC P-256)

class CA:
    def __init__(self, dir, name="fedscan test CA"):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)
        self.key = os.path.join(dir, "ca.key")
        self.cert = os.path.join(dir, "ca.crt")
        self._serial = int(time.time()) % 100000 * 1000
        self._genkey(self.key)
        run([OPENSSL, "req", "-x509", "-new", "-key", self.key, "-out", self.cert, "-days", "3650", "-sha256",
             "-subj", "/O=fedscan tests/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    @staticmethod
    def _genkey(path):
        run([OPENSSL, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path])
        os.chmod(path, 0o600)

    def _csr(self, stem, cn):
        key = os.path.join(self.dir, stem + ".key")
        csr = os.path.join(self.dir, stem + ".csr")
        self._genkey(key)
        run([OPENSSL, "req", "-new", "-key", key, "-out", csr, "-subj", "/CN=" + cn])
        return key, csr

    def _ext(self, stem, dns_names, eku):
        ext = os.path.join(self.dir, stem + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=%s\n"
                    "subjectAltName=%s\n" % (eku, ",".join("DNS:" + n for n in dns_names)))
        return ext

    def issue(self, stem, dns_names, expired=False, eku="serverAuth,clientAuth"):
        """A certificate with DNS-IDs only (no xmppAddr, no SRV-ID). Returns (cert, key)."""
        key, csr = self._csr(stem, dns_names[0])
        ext = self._ext(stem, dns_names, eku)
        crt = os.path.join(self.dir, stem + ".crt")
        if not expired:
            self._serial += 1
            run([OPENSSL, "x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key, "-set_serial",
                 str(self._serial), "-days", "30", "-sha256", "-extfile", ext, "-out", crt])
        else:
            # OpenSSL 3.0's x509/req cannot set a past validity; `openssl ca` can (-startdate/-enddate),
            # in a throwaway CA directory that reuses our CA key and certificate.
            cadir = os.path.join(self.dir, stem + ".cadir")
            os.makedirs(os.path.join(cadir, "new"), exist_ok=True)
            open(os.path.join(cadir, "index.txt"), "w").close()
            self._serial += 1
            with open(os.path.join(cadir, "serial"), "w") as f:
                f.write("%X\n" % self._serial if len("%X" % self._serial) % 2 == 0 else "0%X\n" % self._serial)
            cnf = os.path.join(cadir, "ca.cnf")
            with open(cnf, "w") as f:
                f.write("[ca]\ndefault_ca=tca\n[tca]\ndir=%s\ndatabase=$dir/index.txt\nserial=$dir/serial\n"
                        "new_certs_dir=$dir/new\ncertificate=%s\nprivate_key=%s\ndefault_md=sha256\n"
                        "policy=pol\nunique_subject=no\ncopy_extensions=none\n[pol]\ncommonName=supplied\n"
                        % (cadir, self.cert, self.key))
            run([OPENSSL, "ca", "-batch", "-notext", "-config", cnf, "-in", csr, "-out", crt, "-extfile", ext,
                 "-startdate", "20200101000000Z", "-enddate", "20200201000000Z"])
        return crt, key

    def client(self, domain=SCANNER):
        return self.issue("client-" + domain, [domain], eku="clientAuth,serverAuth")


# --------------------------------------------------------------------------------------------------------------------
# dnsmasq

def _dns_query(name, qtype=33, txid=0x4242):
    q = struct.pack(">HHHHHH", txid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", qtype, 1)


def dns_rcode(addr, port, name, qtype=33, timeout=1.0):
    """rcode and answer count of one UDP query, or None on timeout."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(_dns_query(name, qtype), (addr, port))
        data, _ = s.recvfrom(4096)
        flags, _, ancount = struct.unpack(">HHH", data[2:8])
        return flags & 0xF, ancount
    except OSError:
        return None
    finally:
        s.close()


class Dnsmasq:
    """An authoritative-only DNS server on loopback (no upstream, no /etc/hosts): what it does not know fails at once."""

    def __init__(self, env, addr, srv=(), hosts=()):
        self.addr = addr
        self.port = free_port(addr, udp=True)
        self.log = os.path.join(env.dir, "dnsmasq-%s.log" % addr)
        argv = [DNSMASQ, "--no-daemon", "--port=%d" % self.port, "--listen-address=" + addr, "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--log-queries", "--log-facility=-",
                "--pid-file=", "--local=/test/"]      # names under test. that we do not define: NXDOMAIN
        for (name, target, port, prio, weight) in srv:
            argv.append("--srv-host=%s,%s,%d,%d,%d" % (name, target, port, prio, weight))
        for (name, a) in hosts:
            argv.append("--host-record=%s,%s" % (name, a))
        self.argv = argv
        self.proc = spawn(argv, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dnsmasq exited: %s" % _tail(self.log))
            if dns_rcode(addr, self.port, "probe.invalid", 1, 0.2) is not None:
                break
        else:
            raise RuntimeError("dnsmasq did not answer: %s" % _tail(self.log))

    @property
    def spec(self):
        return "%s:%d" % (self.addr, self.port)

    def stop(self):
        _kill_group(self.proc)


def _tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError as e:
        return str(e)


# --------------------------------------------------------------------------------------------------------------------
# Prosody

def _lua(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, (list, tuple)):
        return "{ " + ", ".join(_lua(x) for x in v) + " }"
    if isinstance(v, dict):
        return "{ " + ", ".join("[%s] = %s" % (_lua(k), _lua(x)) for k, x in v.items()) + " }"
    raise TypeError(v)


class Prosody:
    """One Prosody 0.12 instance, s2s only.

    hosts: {domain: (certificate, key)} -- each VirtualHost with its own certificate.
    addrs: the 127.0.x.y addresses to listen on (one port for all).
    require_encryption / secure_auth: s2s_require_encryption / s2s_secure_auth.
    dialback=False: modules_disabled = {"dialback"}; tls=False: modules_disabled = {"tls"}.
    cafile: trusted for peers' (fedscan's) client certificates, via global s2s_ssl.
    resolver: "ADDR@PORT" for libunbound (our dnsmasq), so nothing leaves loopback.
    extra: {option: value} global options written after the others, such as per-peer policies
           (s2s_insecure_domains, s2s_secure_domains: lists of peer domains).
    """

    def __init__(self, env, name, hosts, addrs, require_encryption=True, secure_auth=False, dialback=True,
                 tls=True, cafile=None, resolver=None, s2s_timeout=4, port=None, extra=None):
        self.env = env
        self.name = name
        self.hosts = hosts
        self.addrs = list(addrs)
        self.addr = self.addrs[0]
        self.dir = os.path.join(env.dir, "prosody-" + name)
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "certs"), exist_ok=True)
        self.cfg_path = os.path.join(self.dir, "prosody.cfg.lua")
        self.log = os.path.join(self.dir, "prosody.log")
        self.opts = dict(require_encryption=require_encryption, secure_auth=secure_auth, dialback=dialback, tls=tls,
                         cafile=cafile, resolver=resolver, s2s_timeout=s2s_timeout, extra=dict(extra or {}))
        self.proc = None
        self.port = port
        self._start()

    def config(self):
        o = self.opts
        disabled = []
        if not o["dialback"]:
            disabled.append("dialback")
        if not o["tls"]:
            disabled.append("tls")
        enabled = ["saslauth"] + (["tls"] if o["tls"] else []) + (["dialback"] if o["dialback"] else [])
        unbound = {"resolvconf": False, "hoststxt": False, "options": {"local-zone:": "test. transparent"}}
        if o["resolver"]:
            unbound["forward"] = o["resolver"]
        lines = [
            "-- written by tests/integration/fslib.py",
            "daemonize = false",
            "run_as_root = true",
            "pidfile = %s" % _lua(os.path.join(self.dir, "prosody.pid")),
            "data_path = %s" % _lua(os.path.join(self.dir, "data")),
            "certificates = %s" % _lua(os.path.join(self.dir, "certs")),
            "log = { debug = %s }" % _lua(self.log),
            "interfaces = %s" % _lua(self.addrs),
            "s2s_interfaces = %s" % _lua(self.addrs),
            "s2s_ports = { %d }" % self.port,
            "c2s_ports = { }",
            "c2s_direct_tls_ports = { }",
            "s2s_direct_tls_ports = { }",
            "http_ports = { }",
            "https_ports = { }",
            "component_ports = { }",
            "modules_enabled = %s" % _lua(enabled),
            "modules_disabled = %s" % _lua(disabled),
            "s2s_require_encryption = %s" % _lua(o["require_encryption"]),
            "s2s_secure_auth = %s" % _lua(o["secure_auth"]),
            "s2s_timeout = %d" % o["s2s_timeout"],
            "authentication = \"internal_hashed\"",
            "storage = \"internal\"",
            "unbound = %s" % _lua(unbound),
        ]
        if o["cafile"]:
            lines.append("s2s_ssl = { cafile = %s }" % _lua(o["cafile"]))
        for k, v in o["extra"].items():
            lines.append("%s = %s" % (k, _lua(v)))
        for domain, (crt, key) in self.hosts.items():
            lines.append("VirtualHost %s" % _lua(domain))
            lines.append("  ssl = { certificate = %s, key = %s }" % (_lua(crt), _lua(key)))
        return "\n".join(lines) + "\n"

    def _start(self, attempts=4):
        if self.port is not None:     # a port given by the test (e.g. already published in SRV records): no retry
            attempts = 1
        for attempt in range(attempts):
            if self.port is None or attempt > 0:
                self.port = free_port(self.addr)
            if not all(port_is_free(a, self.port) for a in self.addrs):
                continue
            with open(self.cfg_path, "w") as f:
                f.write(self.config())
            out = open(os.path.join(self.dir, "stdout.log"), "ab")
            self.proc = spawn([PROSODY, "--config", self.cfg_path], stdout=out, stderr=subprocess.STDOUT,
                              cwd=self.dir)
            if all(wait_tcp(a, self.port, 15, self.proc) for a in self.addrs) and self.proc.poll() is None \
                    and "Failed to open server port" not in _tail(self.log, 200):
                return
            _kill_group(self.proc)
        raise RuntimeError("prosody %s did not start:\n%s\n%s" % (
            self.name, _tail(self.log), _tail(os.path.join(self.dir, "stdout.log"))))

    @property
    def connect(self):
        return "%s:%d" % (self.addr, self.port)

    def stop(self):
        if self.proc:
            _kill_group(self.proc)

    def log_tail(self, n=40):
        return _tail(self.log, n)

    def probe(self, to, frm=SCANNER, **kw):
        return probe(self.addr, self.port, to, frm, **kw)


# --------------------------------------------------------------------------------------------------------------------
# A tiny s2s client, to check that each Prosody fixture behaves as the test assumes (independently of fedscan).

NS_STREAM = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_DB = "jabber:server:dialback"
NS_DBF = "urn:xmpp:features:dialback"


class _Stream:
    def __init__(self, sock, to, frm, timeout):
        self.sock = sock
        self.to, self.frm = to, frm
        self.sock.settimeout(timeout)
        self.raw = b""

    def open(self):
        self.parser = ET.XMLPullParser(events=("start", "end", "start-ns"))
        self.depth = 0
        self.header = None
        self.nsdecl = []
        self.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                  "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
                  "from='%s' to='%s' version='1.0'>" % (self.frm, self.to))

    def send(self, s):
        self.sock.sendall(s.encode())

    def next(self):
        """Next top-level child element of the stream, or ('closed', None)."""
        while True:
            for ev, el in self.parser.read_events():
                if ev == "start-ns":
                    if self.header is None:
                        self.nsdecl.append(el)
                    continue
                if ev == "start":
                    self.depth += 1
                    if self.depth == 1:
                        self.header = dict(el.attrib)
                elif ev == "end":
                    self.depth -= 1
                    if self.depth == 1:
                        return el
                    if self.depth == 0:
                        return None
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return "timeout"
            except (ssl.SSLError, OSError):
                return None
            if not data:
                return None
            self.raw += data
            self.parser.feed(data)


def _tag(el):
    return el.tag if isinstance(el, ET.Element) else str(el)


def _describe(el):
    if not isinstance(el, ET.Element):
        return str(el)
    return ET.tostring(el, encoding="unicode")


def probe(addr, port, to, frm=SCANNER, cafile=None, cert=None, key=None, starttls=True, external=True,
          dialback=False, plain_dialback=False, timeout=8.0):
    """Speak s2s to one endpoint and report what was seen: a dict of plain facts."""
    r = {"features0": [], "features1": [], "dialback_ns": False, "required": False,
         "tls_error": None, "after_tls": None, "external_offered": False, "auth": None, "dialback": None}
    sock = socket.create_connection((addr, port), timeout=timeout)
    try:
        st = _Stream(sock, to, frm, timeout)
        st.open()
        f = st.next()
        r["dialback_ns"] = ("db", NS_DB) in st.nsdecl
        if _tag(f) != "{%s}features" % NS_STREAM:
            r["after_header"] = _describe(f)
            return r
        r["features0"] = [c.tag for c in f]
        tls_el = f.find("{%s}starttls" % NS_TLS)
        r["required"] = tls_el is not None and tls_el.find("{%s}required" % NS_TLS) is not None
        if plain_dialback or not starttls or tls_el is None:
            if plain_dialback:
                st.send("<db:result from='%s' to='%s'>%s</db:result>" % (frm, to, "ab" * 32))
                r["dialback"] = _describe(st.next())
            return r
        st.send("<starttls xmlns='%s'/>" % NS_TLS)
        if _tag(st.next()) != "{%s}proceed" % NS_TLS:
            r["tls_error"] = "no proceed"
            return r
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = bool(cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED if cafile else ssl.CERT_NONE
        if cafile:
            ctx.load_verify_locations(cafile)
        if cert:
            ctx.load_cert_chain(cert, key)
        try:
            tls = ctx.wrap_socket(sock, server_hostname=to)
        except ssl.SSLError as e:
            r["tls_error"] = getattr(e, "verify_message", None) or str(e)
            return r
        r["tls_version"] = tls.version()
        sock = tls
        st.sock = tls
        st.open()
        f = st.next()
        if _tag(f) != "{%s}features" % NS_STREAM:
            r["after_tls"] = _describe(f)
            return r
        r["features1"] = [c.tag for c in f]
        mechs = [m.text for m in f.iter("{%s}mechanism" % NS_SASL)]
        r["external_offered"] = "EXTERNAL" in mechs
        if external and r["external_offered"]:
            st.send("<auth xmlns='%s' mechanism='EXTERNAL'>=</auth>" % NS_SASL)
            r["auth"] = _tag(st.next()).split("}")[-1]
        elif dialback:
            st.send("<db:result from='%s' to='%s'>%s</db:result>" % (frm, to, "ab" * 32))
            r["dialback"] = _describe(st.next())
        return r
    finally:
        try:
            sock.sendall(b"</stream:stream>")
        except OSError:
            pass
        sock.close()


# --------------------------------------------------------------------------------------------------------------------
# fedscan

def fedscan_binary():
    b = os.environ.get("FEDSCAN")
    if b:
        return os.path.abspath(b)
    if os.path.isfile(os.path.join("src", "fedscan")):          # `make check` runs tests in the build directory
        return os.path.abspath(os.path.join("src", "fedscan"))
    srcdir = os.environ.get("srcdir")
    if srcdir and os.path.isfile(os.path.join(srcdir, "src", "fedscan")):
        return os.path.abspath(os.path.join(srcdir, "src", "fedscan"))
    return os.path.normpath(os.path.join(HERE, "..", "..", "src", "fedscan"))


class FedscanRun(tuple):
    """(rc, json, stdout, stderr, secs) plus the command line, for diagnostics."""

    _count = 0

    def __new__(cls, rc, js, out, err, secs, argv):
        self = tuple.__new__(cls, (rc, js, out, err, secs))
        self.argv = argv
        self.shown = False
        with _lock:
            FedscanRun._count += 1
            self.seq = FedscanRun._count
        return self

    rc = property(lambda s: s[0])
    json = property(lambda s: s[1])
    stdout = property(lambda s: s[2])
    stderr = property(lambda s: s[3])
    secs = property(lambda s: s[4])

    def partner(self, domain=None):
        ps = (self.json or {}).get("partners") or []
        for p in ps:
            if domain is None or p.get("domain") == domain:
                return p
        return {}

    def reasons_text(self, domain=None):
        p = self.partner(domain)
        eff = p.get("effective") or {}
        return "\n".join([str(x) for x in (p.get("reasons") or [])] + [str(x) for x in (eff.get("evidence") or [])])

    def diag_text(self):
        lines = ["command: " + " ".join(self.argv), "exit: %s   wall: %.1fs" % (self.rc, self.secs)]
        if self.json is not None:
            lines.append("json:")
            lines.extend("  " + l for l in json.dumps(self.json, indent=2).splitlines())
        else:
            lines.append("stdout:")
            lines.extend("  " + l for l in self.stdout.splitlines()[-60:])
        if self.stderr.strip():
            lines.append("stderr:")
            lines.extend("  " + l for l in self.stderr.splitlines()[-40:])
        return "\n".join(lines)


def run_fedscan(args, timeout=60, env=None):
    """Run fedscan with a hard timeout. Returns FedscanRun (rc, parsed JSON or None, stdout, stderr, wall seconds);
    rc is None when it had to be killed. timeout only guards against a hang: scaled for a sanitizer build."""
    argv = [fedscan_binary()] + list(args)
    timeout = hang_limit(timeout)
    e = dict(os.environ)
    e.setdefault("XDG_DATA_HOME", _xdg_sandbox())
    if env:
        e.update(env)
    t0 = time.monotonic()
    try:
        p = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
    except OSError as ex:
        return FedscanRun(None, None, "", "cannot run %s: %s" % (argv[0], ex), 0.0, argv)
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        _kill_group(p, grace=1)
        out, err = p.communicate()
        rc = None
        err += b"\n[fslib: killed after %ds]" % timeout
    secs = time.monotonic() - t0
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    try:
        js = json.loads(out)
    except ValueError:
        js = None
    r = FedscanRun(rc, js, out, err, secs, argv)
    if os.environ.get("FEDSCAN_IT_VERBOSE"):
        with _lock:
            sys.stdout.write("".join("# " + l + "\n" for l in r.diag_text().splitlines()))
            sys.stdout.flush()
    return r


_xdg = []


def _xdg_sandbox():
    """XDG_DATA_HOME for fedscan runs, so that no run ever touches the user's default database."""
    with _lock:
        if not _xdg:
            d = tempfile.mkdtemp(prefix="fedscan-it-xdg-")
            _tmpdirs.append((d, False))
            _xdg.append(d)
        return _xdg[0]


def run_parallel(calls):
    """Run several run_fedscan(**kw) at once; results in order."""
    res = [None] * len(calls)

    def one(i, kw):
        res[i] = run_fedscan(**kw)
    ts = [threading.Thread(target=one, args=(i, kw)) for i, kw in enumerate(calls)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return res


# --------------------------------------------------------------------------------------------------------------------
# Env: one per test file

class Env:
    """A test file's world: temporary directory, CA, loopback block 127.0.N.x, a DNS server, Prosody instances."""

    def __init__(self, block, hard_timeout=240):
        require_tools()
        install_guards(hard_timeout)
        b = fedscan_binary()
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            sys.stdout.write("Bail out! no executable fedscan at %s (run make, or set FEDSCAN)\n" % b)
            sys.stdout.flush()
            sys.exit(1)
        self.block = block                      # e.g. "127.0.31"
        self.dir = mkdtemp()
        self.ca = CA(os.path.join(self.dir, "ca"))
        self._client = None
        self.dns = None
        self.servers = []
        self.nruns = 0

    def addr(self, n):
        return "%s.%d" % (self.block, n)

    def start_dns(self, srv=(), hosts=(), addr_n=1):
        if self.dns:
            self.dns.stop()
        self.dns = Dnsmasq(self, self.addr(addr_n), srv=srv, hosts=hosts)
        return self.dns

    @property
    def client(self):
        if self._client is None:
            self._client = self.ca.client(SCANNER)
        return self._client

    def cert(self, domain, names=None, expired=False):
        stem = "srv-" + domain + ("-expired" if expired else "") + ("-other" if names else "")
        return self.ca.issue(stem, names or [domain], expired=expired)

    def prosody(self, domains, addrs=(2,), name=None, certs=None, **kw):
        """Start Prosody serving `domains` (str or list) on 127.0.N.<addrs>. certs: {domain: (crt, key)}."""
        if isinstance(domains, str):
            domains = [domains]
        hosts = {}
        for d in domains:
            hosts[d] = (certs or {}).get(d) or self.cert(d)
        if self.dns is None:
            self.start_dns()
        kw.setdefault("cafile", self.ca.cert)
        kw.setdefault("resolver", "%s@%d" % (self.dns.addr, self.dns.port))
        srv = Prosody(self, name or domains[0], hosts, [self.addr(a) for a in addrs], **kw)
        self.servers.append(srv)
        return srv

    def check_args(self, domains, server=None, client_cert=False, extra=(), db=None, connect=None):
        """`check DOMAIN --connect ADDR:PORT --ca-file CA --from scanner.test --timeout 8 --json --db TMP/...`"""
        if isinstance(domains, str):
            domains = [domains]
        self.nruns += 1
        args = ["check"] + domains
        if connect or server is not None:
            args += ["--connect", connect or server.connect]
        args += ["--ca-file", self.ca.cert, "--from", SCANNER, "--timeout", "8", "--json",
                 "--db", db or os.path.join(self.dir, "fedscan-%d.db" % self.nruns)]
        if client_cert:
            crt, key = self.client
            args += ["--client-cert", crt, "--client-key", key]
        return args + list(extra)

    def fedscan_check(self, domains, server=None, client_cert=False, extra=(), timeout=60, db=None, connect=None):
        return run_fedscan(self.check_args(domains, server, client_cert, extra, db, connect), timeout=timeout)

    def server_logs(self):
        return "\n".join("--- prosody %s (%s) ---\n%s" % (s.name, s.connect, s.log_tail(30)) for s in self.servers)


# --------------------------------------------------------------------------------------------------------------------
# Common assertions

def common(T, r, what, bound=30):
    """Every check: it ended by itself within `bound` seconds and printed exactly one JSON document."""
    T.ok(r.rc is not None and r.secs < bound, "%s: finished in %.1fs (< %ds)" % (what, r.secs, bound), r)
    T.ok(r.json is not None and isinstance(r.json, dict), "%s: stdout is one JSON document" % what, r)
    T.ok(isinstance(r.json, dict) and isinstance(r.json.get("partners"), list) and len(r.json["partners"]) >= 1,
         "%s: JSON has partners[]" % what, r)


def expect_effective(T, r, what, domain=None, **want):
    """effective.tls / .sasl / .dialback of the partner, each its own assertion."""
    eff = r.partner(domain).get("effective") or {}
    for field in ("tls", "sasl", "dialback"):
        if field in want:
            T.is_(eff.get(field), want[field], "%s: effective.%s is %s" % (what, field, want[field]), r)


def mentions(text, *words):
    t = (text or "").lower()
    return any(w.lower() in t for w in words)


def db_domains(path):
    """Rows of the `domains` table as dicts (the schema is fedscan's; we read what is there)."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM domains")]
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------------------------
# Demo (tests/demo.sh)

def demo(argv):
    if not (os.path.isfile(PROSODY) and shutil.which("openssl")):
        sys.stderr.write("demo: needs prosody and openssl\n")
        return 3
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)
    d = mkdtemp("fedscan-demo-")
    ca = CA(os.path.join(d, "ca"))
    dom = "demo.fedscan.test"
    crt, key = ca.issue("demo", [dom])
    # A certificate for our stream 'from', signed by a CA the demo partner trusts: without one, SASL EXTERNAL
    # stays hidden (Prosody offers it only to a peer with a valid certificate) and SASL would be Unknown.
    ccrt, ckey = ca.client()

    class _E:
        dir = d
    # "--listen" without an address: the demo's listener on a free port of 127.0.0.1, published as scanner.test's
    # SRV target so that Prosody connects back to it (authoritative mode: the session proof's answers arrive there).
    srv_rr, hosts = [], []
    argv = list(argv)
    if "--listen" in argv:
        i = argv.index("--listen")
        if i + 1 == len(argv) or argv[i + 1].startswith("-"):
            lport = free_port("127.0.0.1")
            argv.insert(i + 1, "127.0.0.1:%d" % lport)
            srv_rr = [("_xmpp-server._tcp." + SCANNER, "listener." + SCANNER, lport, 0, 5)]
            hosts = [("listener." + SCANNER, "127.0.0.1")]
    dns = Dnsmasq(_E, "127.0.0.1", srv=srv_rr, hosts=hosts)
    srv = Prosody(_E, "demo", {dom: (crt, key)}, ["127.0.0.1"], require_encryption=True, secure_auth=False,
                  dialback=True, cafile=ca.cert, resolver="%s@%d" % (dns.addr, dns.port))
    binary = fedscan_binary()
    cmd = [binary, "check", dom, "--connect", srv.connect, "--ca-file", ca.cert, "--from", SCANNER,
           "--client-cert", ccrt, "--client-key", ckey, "--no-db"] + argv
    sys.stderr.write("demo: Prosody 0.12 serving %s on %s (TLS required, dialback on)\n$ %s\n"
                     % (dom, srv.connect, " ".join(cmd)))
    sys.stderr.flush()
    try:
        p = spawn(cmd, stdin=None)
        try:
            rc = p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            _kill_group(p)
            sys.stderr.write("demo: fedscan did not finish in 120 s\n")
            rc = 3
    except OSError as e:
        sys.stderr.write("demo: cannot run %s: %s (build it with make)\n" % (binary, e))
        rc = 3
    return rc


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "demo":
        code = demo(sys.argv[2:])
        cleanup()
        sys.exit(code)
    sys.stderr.write("usage: fslib.py demo [FEDSCAN-ARGS...]\n")
    sys.exit(64)
