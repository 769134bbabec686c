#!/usr/bin/env python3
"""bench/run.py: the benchmarks of fedscan (issue 9). Python 3, stdlib only; needs root (network namespaces).

    python3 bench/run.py one   [--reps 5]                   one Prosody domain: fedscan vs nmap xmpp-info vs testssl.sh
    python3 bench/run.py many  [N] [--instances 4] [--concurrency 256] [--perf]
                                                            N virtual hosts found through SRV records of a local dnsmasq
    python3 bench/run.py tarpit [N] [--timeout 3] [--concurrency 256]
                                                            N domains, mostly NXDOMAIN, tarpitted or blackholed
    python3 bench/run.py clean                              remove a network namespace left by a killed run

Every subcommand runs inside a network namespace that this script creates (`fsbench`), with only its own loopback
(and, for `tarpit`, a veth pair whose far end swallows packets): no packet can leave the machine, not even the stray
DNS lookups of the reference tools (testssl.sh's PTR/CAA queries find no route). Servers and clients come from
tests/integration/fslib.py (Prosody 0.12 with the test configuration, the test CA, dnsmasq). Every process started is
stopped at the end, every run is bounded in time, and the namespace is deleted. Not part of `make check`.

Measurements: wall time (monotonic clock around fork/exec .. wait4), CPU = user+sys from wait4() (children the tool
waits for are included: testssl.sh's openssl processes), peak RSS = ru_maxrss as /usr/bin/time -f %M reports it.
See bench/README.md for what each benchmark measures and the results.
"""

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import fslib  # noqa: E402

NETNS = "fsbench"
IP = shutil.which("ip") or "/usr/sbin/ip"
NMAP = shutil.which("nmap") or "/usr/bin/nmap"
TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh") or "/usr/bin/testssl"
OPENSSL = fslib.OPENSSL
DNS_ADDR = "127.0.0.53"                  # dnsmasq inside the namespace (port 53 is ours there)
FROM = "scanner.test"                    # NXDOMAIN: a partner's connect-back for it goes nowhere (the sink mode)
FROM_AUTH = "auth.test"                  # resolves to fedscan's --listen address (authoritative mode, issue 7)
HARD_TIMEOUT = {"one": 420, "many": 420, "tarpit": 420}
BLACKHOLE_GW = "10.98.0.1"               # a static neighbour on a veth whose peer has no address: packets vanish
BLACKHOLE_NET = "10.99.0.0/16"


def supports_listen():
    r = subprocess.run([fslib.fedscan_binary(), "--help"], capture_output=True, text=True)
    return "--listen" in (r.stdout + r.stderr)


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------------------------------------
# Measuring one process

class Result(dict):
    __getattr__ = dict.get


TIME = "/usr/bin/time"


def measure(argv, timeout, stdout_path=None, env=None, rlimit_nofile=None, sampler=None):
    """Run argv to completion (killed after `timeout`). wall: monotonic clock around it; CPU: user+sys from wait4()
    (the process and the children it waited for, plus ~1 ms for /usr/bin/time); peak RSS: ru_maxrss as reported by
    /usr/bin/time -f %M for its child. The detour through /usr/bin/time is needed because ru_maxrss of a process
    forked from this Python interpreter starts at the interpreter's RSS (it survives exec). stdout goes to
    stdout_path (or a temporary file that is read back), stderr is read back."""
    tmp = tempfile.mkdtemp(prefix="fsbench-m-")
    out_path = stdout_path or os.path.join(tmp, "out")
    err_path = os.path.join(tmp, "err")
    rss_path = os.path.join(tmp, "rss")
    fo, fe = open(out_path, "wb"), open(err_path, "wb")

    def pre():
        if rlimit_nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (rlimit_nofile, rlimit_nofile))
    res = Result()
    t0 = time.monotonic()
    p = fslib.spawn([TIME, "-q", "-f", "%M", "-o", rss_path] + list(argv), stdout=fo, stderr=fe, env=env,
                    preexec_fn=pre if rlimit_nofile else None)
    fo.close()
    fe.close()

    def waiter():
        _, status, ru = os.wait4(p.pid, 0)
        res["t1"] = time.monotonic()
        p.returncode = os.waitstatus_to_exitcode(status)     # so that fslib's cleanup does not wait for it again
        res["ru"] = ru
    th = threading.Thread(target=waiter, daemon=True)
    th.start()
    if sampler:
        sampler.start(p.pid)
    th.join(timeout)
    killed = False
    if th.is_alive():
        killed = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        th.join(10)
    if sampler:
        sampler.stop()
    ru = res.get("ru")
    rss = 0
    try:
        with open(rss_path) as f:
            rss = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        pass
    res.update(rc=None if killed else p.returncode, killed=killed, wall=res.get("t1", time.monotonic()) - t0,
               cpu=(ru.ru_utime + ru.ru_stime) if ru else float("nan"),
               user=ru.ru_utime if ru else float("nan"), sys=ru.ru_stime if ru else float("nan"),
               rss_kib=rss, argv=argv)
    with open(err_path, "rb") as f:
        res["stderr"] = f.read().decode(errors="replace")
    if stdout_path is None:
        with open(out_path, "rb") as f:
            res["stdout"] = f.read().decode(errors="replace")
    shutil.rmtree(tmp, ignore_errors=True)
    return res


def med(rs, key):
    return statistics.median(r[key] for r in rs)


class Sampler:
    """While a process runs (10 Hz): its open fds and RSS, and TCP sockets per remote address in this namespace."""

    def __init__(self, watch_ports=(5269,), interval=0.1):
        self.watch_ports = set(watch_ports)
        self.interval = interval
        self.max_fds = 0
        self.max_rss_kib = 0
        self.max_per_remote = {}      # "ip:port" -> max simultaneous client sockets (SYN_SENT or ESTABLISHED)
        self.max_conns = 0            # max client sockets to watched ports at once
        self.samples = 0

    def start(self, pid):
        self.pid = pid                # /usr/bin/time; the measured process is its child
        self.parent = pid
        self._stop = threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def stop(self):
        self._stop.set()
        self.th.join(5)

    @staticmethod
    def _hexaddr(h):
        a, p = h.split(":")
        ip = socket.inet_ntoa(bytes.fromhex(a)[::-1])
        return ip, int(p, 16)

    def _run(self):
        while not self._stop.is_set():
            if self.pid == self.parent:
                try:
                    with open("/proc/%d/task/%d/children" % (self.parent, self.parent)) as f:
                        kids = f.read().split()
                    if kids:
                        self.pid = int(kids[0])
                except (OSError, ValueError):
                    pass
            try:
                self.max_fds = max(self.max_fds, len(os.listdir("/proc/%d/fd" % self.pid)))
                with open("/proc/%d/status" % self.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.max_rss_kib = max(self.max_rss_kib, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            counts = {}
            try:
                # One large read: the kernel walks the table once, in one call, instead of page by page
                # between which connections come and go (a paged read saw up to 72 at a 64 limit).
                fd = os.open("/proc/net/tcp", os.O_RDONLY)
                try:
                    chunks = []
                    while True:
                        b = os.read(fd, 1 << 22)
                        if not b:
                            break
                        chunks.append(b)
                finally:
                    os.close(fd)
                text = b"".join(chunks).decode(errors="replace")
                for line in text.splitlines()[1:]:
                    parts = line.split()
                    st = parts[3]
                    if st not in ("01", "02"):            # ESTABLISHED, SYN_SENT
                        continue
                    ip, port = self._hexaddr(parts[2])
                    if port in self.watch_ports:
                        k = "%s:%d" % (ip, port)
                        counts[k] = counts.get(k, 0) + 1
            except OSError:
                pass
            total = 0
            for k, v in counts.items():
                self.max_per_remote[k] = max(self.max_per_remote.get(k, 0), v)
                total += v
            self.max_conns = max(self.max_conns, total)
            self.samples += 1
            self._stop.wait(self.interval)


def proc_cpu(pid):
    """user+sys seconds of a running process (e.g. a Prosody instance)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def proc_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------------------------------------------------
# Scene: Prosody (quieter log than the tests' debug log), dnsmasq from a config file, a TCP tarpit

class BenchProsody(fslib.Prosody):
    """fslib's Prosody with log level "warn" (the tests log at debug level, which costs Prosody CPU on 2 cores)."""

    def config(self):
        c = super().config()
        return re.sub(r"^log = \{ debug = (.*) \}$", r"log = { warn = \1 }", c, flags=re.M)

    def _start(self, attempts=1):
        # Many VirtualHosts take a few seconds to load: wait longer than fslib's 15 s.
        with open(self.cfg_path, "w") as f:
            f.write(self.config())
        out = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = fslib.spawn([fslib.PROSODY, "--config", self.cfg_path], stdout=out, stderr=subprocess.STDOUT,
                                cwd=self.dir)
        if not (fslib.wait_tcp(self.addr, self.port, 90, self.proc) and self.proc.poll() is None):
            raise RuntimeError("prosody %s did not start:\n%s\n%s" % (
                self.name, fslib._tail(self.log), fslib._tail(os.path.join(self.dir, "stdout.log"))))


class Scene:
    def __init__(self, dir):
        self.dir = dir


def start_dnsmasq(scene, srv=(), hosts=(), log_queries=False):
    """dnsmasq on 127.0.0.53:53 in the namespace, records from a config file (thousands do not fit an argv);
    names under .bench and .test that it does not define get NXDOMAIN at once."""
    conf = os.path.join(scene.dir, "dnsmasq.conf")
    logf = os.path.join(scene.dir, "dnsmasq.log")
    with open(conf, "w") as f:
        f.write("no-resolv\nno-hosts\nbind-interfaces\nlisten-address=%s\nport=53\nlocal=/bench/\nlocal=/test/\n"
                "cache-size=0\n" % DNS_ADDR)
        if log_queries:
            f.write("log-queries\n")
        for (name, target, port, prio, weight) in srv:
            f.write("srv-host=%s,%s,%d,%d,%d\n" % (name, target, port, prio, weight))
        for (name, a) in hosts:
            f.write("host-record=%s,%s\n" % (name, a))
    p = fslib.spawn([fslib.DNSMASQ, "--no-daemon", "--conf-file=" + conf, "--log-facility=" + logf, "--pid-file="],
                    stdout=open(os.path.join(scene.dir, "dnsmasq.out"), "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError("dnsmasq exited: " + fslib._tail(os.path.join(scene.dir, "dnsmasq.out")))
        if fslib.dns_rcode(DNS_ADDR, 53, "probe.bench", 1, 0.2) is not None:
            return p, logf
    raise RuntimeError("dnsmasq did not answer")


TARPIT_CODE = r"""
import selectors, socket, sys
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2]))); ls.listen(4096); ls.setblocking(False)
sel = selectors.DefaultSelector(); sel.register(ls, selectors.EVENT_READ)
accepted = 0
while True:
    for key, _ in sel.select():
        if key.fileobj is ls:
            try:
                c, _ = ls.accept()
            except OSError:
                continue
            accepted += 1
            c.setblocking(False); sel.register(c, selectors.EVENT_READ)
        else:
            try:
                d = key.fileobj.recv(65536)          # read and discard; never answer
            except OSError:
                d = b""
            if not d:
                sel.unregister(key.fileobj); key.fileobj.close()
"""


def start_tarpit(addr, port):
    """A listener that accepts every connection and never sends a byte (a separate process, so its CPU is not ours)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    p = fslib.spawn([sys.executable, "-c", TARPIT_CODE, addr, str(port)],
                    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)))
    if not fslib.wait_tcp(addr, port, 10, p):
        raise RuntimeError("tarpit did not start")
    return p


# ---------------------------------------------------------------------------------------------------------------------
# Reference tools: command lines and what they found

def nmap_argv(addr, port, domain):
    # The issue's command; -n only stops nmap's reverse lookup (there is no DNS it could reach anyway).
    return [NMAP, "-Pn", "-n", "-p", str(port), "--script", "xmpp-info",
            "--script-args", "xmpp-info.server_name=" + domain, addr]


def nmap_found(out):
    """The xmpp-info block, compacted: its leaf lines, prefixed with pre_tls/post_tls where they come from there."""
    m = re.search(r"\| xmpp-info:[ \t]*\n((?:\|.*\n?)*)", out)
    if not m:
        return "no xmpp-info output (port state: %s)" % (
            (re.search(r"^\d+/tcp\s+(\S+)", out, re.M) or [None, "?"])[1])
    keep, section = [], ""
    for raw in m.group(1).splitlines():
        body = raw[1:] if raw[:1] == "|" else raw
        body = body[1:] if body[:1] == "_" else body
        indent = len(body) - len(body.lstrip(" "))
        l = body.strip()
        if not l:
            continue
        if indent <= 3 and l.endswith(":"):
            section = l[:-1] if l[:-1] in ("pre_tls", "post_tls") else ""
            continue
        if l.endswith(":"):
            continue
        keep.append((section + " " if section else "") + l)
    return "; ".join(keep)


def nmap_feature_set(out):
    t = out.lower()
    return {k for k, pat in (("starttls", "starttls"), ("tls_required", "tls"), ("dialback", "dialback"),
                             ("sasl", "sasl"), ("external", "external")) if pat in t}


def testssl_found(jsonfile, out):
    try:
        with open(jsonfile) as f:
            items = json.load(f)
    except (OSError, ValueError):
        items = []
    if not items:
        m = re.findall(r"(?:Fatal error|unrecognized|ERROR|Oops)[^\n]*", re.sub(r"\x1b\[[0-9;]*m", "", out))
        return "no findings: " + ("; ".join(x.strip() for x in m[:2]) if m else out.strip()[-160:])
    by = {}
    for it in items:
        by.setdefault(it.get("id"), it.get("finding"))
    protos = [p for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3")
              if (by.get(p) or "").startswith("offered")]
    cert = by.get("cert_commonName") or "?"
    san = by.get("cert_subjectAltName") or ""
    trust = by.get("cert_chain_of_trust") or ""
    return "protocols %s; cert CN=%s SAN=%s; chain: %s; %d findings" % (
        ",".join(protos) or "none", cert, san[:40], trust[:50], len(items))


def fedscan_found(js):
    try:
        p = js["partners"][0]
    except (TypeError, KeyError, IndexError):
        return "no JSON"
    eff = p.get("effective") or {}
    ep = (p.get("endpoints") or [{}])[0]
    tls = "?"
    for c in ep.get("connections") or []:
        t = c.get("tls") or {}
        if t.get("version"):
            tls = t.get("version")
            break
    return "TLS %s / SASL %s / Dialback %s; negotiated %s; %s; %s" % (
        eff.get("tls"), eff.get("sasl"), eff.get("dialback"), p.get("negotiated"), p.get("verdict"), tls)


def fedscan_probe_times(js):
    try:
        conns = js["partners"][0]["endpoints"][0]["connections"]
    except (TypeError, KeyError, IndexError):
        return ""
    return ", ".join("%s %s ms (%s)" % (c.get("kind"), c.get("duration_ms"), c.get("close_reason")) for c in conns)


# ---------------------------------------------------------------------------------------------------------------------
# Table printing

def fmt_s(x):
    if x != x:
        return "-"
    return "%.3f s" % x if x < 1 else "%.2f s" % x if x < 100 else "%.0f s" % x


def fmt_mib(kib):
    return "%.1f MiB" % (kib / 1024.0)


def print_table(headers, rows, out=sys.stdout):
    w = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    out.write("| " + " | ".join(str(h).ljust(w[i]) for i, h in enumerate(headers)) + " |\n")
    out.write("|" + "|".join("-" * (x + 2) for x in w) + "|\n")
    for r in rows:
        out.write("| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |\n")
    out.flush()


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        mem = 0
    ver = subprocess.run([fslib.fedscan_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    ver += " (%s)" % os.environ.get("FSBENCH_SOURCE", "?")
    pv = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "prosody"], capture_output=True, text=True).stdout
    return "%d cores (nproc), %s, %d MiB RAM; %s; prosody %s; %s" % (
        os.cpu_count(), model, mem, ver, pv, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def goal(ok, text):
    return "%s %s" % ("MET    " if ok else "NOT MET", text)


# ---------------------------------------------------------------------------------------------------------------------
# one: a single domain on a local Prosody

def bench_one(a):
    fslib.install_guards(HARD_TIMEOUT["one"])
    d = fslib.mkdtemp("fsbench-one-")
    scene = Scene(d)
    ca = fslib.CA(os.path.join(d, "ca"))
    ccrt, ckey = ca.client(FROM)
    acrt, akey = ca.client(FROM_AUTH)
    listen_addr = "127.0.92.10"
    # Prosody's connect-back to scanner.test: NXDOMAIN at once; to auth.test: fedscan's --listen address
    start_dnsmasq(scene, hosts=[(FROM_AUTH, listen_addr)])
    D = "one.test"
    auth = supports_listen()
    crt, key = ca.issue("one", [D])
    servers = []
    for n, (tmo, addr) in enumerate(((4, "127.0.92.2"), (90, "127.0.92.3"))):
        servers.append(BenchProsody(scene, "s2s_timeout-%d" % tmo, {D: (crt, key)}, [addr], require_encryption=True,
                                    secure_auth=False, dialback=True, cafile=ca.cert,
                                    resolver="%s@53" % DNS_ADDR, s2s_timeout=tmo, port=5269))
    fed = fslib.fedscan_binary()
    xdg = fslib._xdg_sandbox()
    env = dict(os.environ, XDG_DATA_HOME=xdg, NO_COLOR="1")
    rows, notes = [], []
    summary = {"machine": machine(), "reps": a.reps, "servers": []}
    for si, srv in enumerate(servers):
        tmo = srv.opts["s2s_timeout"]
        log("server %d: Prosody (TLS required, dialback on, s2s_timeout %d) on %s" % (si + 1, tmo, srv.connect))
        fargv = [fed, "check", D, "--connect", srv.connect, "--ca-file", ca.cert, "--from", FROM,
                 "--client-cert", ccrt, "--client-key", ckey, "--no-db", "--json"]
        tools = [("fedscan", fargv)]
        if a.short_timeout:
            # The same audit with a short --timeout: what the dialback wait costs, and what is lost without it.
            tools.append(("fedscan --timeout %g" % a.short_timeout, fargv + ["--timeout", str(a.short_timeout)]))
        if auth:
            tools.append(("fedscan --listen (authoritative)",
                          [fed, "check", D, "--connect", srv.connect, "--ca-file", ca.cert, "--from", FROM_AUTH,
                           "--client-cert", acrt, "--client-key", akey, "--listen", listen_addr + ":5269",
                           "--no-db", "--json"]))
        tools.append(("nmap xmpp-info", nmap_argv(srv.addr, srv.port, D)))
        tsjson = os.path.join(d, "testssl-%d.json" % si)
        if si == 0 or a.testssl_all:
            # As the brief writes it: Debian's testssl.sh 3.0.8 has no xmpp-server STARTTLS; recorded as is.
            tools.append(("testssl --starttls xmpp-server", [TESTSSL, "--quiet", "--color", "0", "--nodns", "none",
                                                             "--starttls", "xmpp-server", "--xmpphost", D,
                                                             srv.connect]))
            # What 3.0.8 can do: -t xmpp (a jabber:client stream; Prosody 0.12 still offers STARTTLS on 5269).
            tools.append(("testssl -t xmpp", [TESTSSL, "--quiet", "--color", "0", "--nodns", "none", "--warnings",
                                              "off", "--add-ca", ca.cert, "--jsonfile", tsjson, "-t", "xmpp", "--xmpphost",
                                              D, srv.connect]))
        res = {name: [] for name, _ in tools}
        for rep in range(a.reps):
            for name, argv in tools:
                if name == "testssl -t xmpp" and rep >= a.testssl_reps:
                    continue                 # 40-60 s per run: fewer repetitions keep `one` near 5 minutes
                if name == "testssl -t xmpp" and os.path.exists(tsjson):
                    os.unlink(tsjson)
                r = measure(argv, timeout=300 if name.startswith("testssl") else 120, env=env)
                res[name].append(r)
                log("  rep %d %-32s wall %6.2f s  cpu %6.2f s  rss %6.1f MiB  rc %s" % (
                    rep + 1, name, r.wall, r.cpu, r.rss_kib / 1024, r.rc))
        fw = med(res["fedscan"], "wall")
        fc = med(res["fedscan"], "cpu")
        srow = {"s2s_timeout": tmo, "tools": {}}
        for name, _ in tools:
            rs = res[name]
            last = rs[-1]
            if name.startswith("fedscan"):
                try:
                    js = json.loads(last.stdout)
                except ValueError:
                    js = None
                found = fedscan_found(js)
                notes.append("s2s_timeout %d: %s probes: %s" % (tmo, name, fedscan_probe_times(js)))
                if js:
                    eff = js["partners"][0].get("effective") or {}
                    notes.append("s2s_timeout %d: %s confidence %s; evidence: %s" % (
                        tmo, name, json.dumps(eff.get("confidence")), " | ".join(eff.get("evidence") or [])))
            elif name.startswith("nmap"):
                found = nmap_found(last.stdout)
            elif name == "testssl -t xmpp":
                found = testssl_found(tsjson, last.stdout + last.stderr)
            else:
                found = "exit %s: %s" % (last.rc, testssl_found("/nonexistent", last.stdout + last.stderr))
            w, c, m = med(rs, "wall"), med(rs, "cpu"), med(rs, "rss_kib")
            rows.append([name, tmo, fmt_s(w), fmt_s(c), fmt_mib(m), "%.2f" % (w / fw), "%.2f" % (c / fc if fc else 0),
                         found])
            srow["tools"][name] = {"wall": w, "cpu": c, "rss_kib": m, "walls": [r.wall for r in rs],
                                   "rc": [r.rc for r in rs], "found": found}
        summary["servers"].append(srow)
        if si == 0:
            nm = srow["tools"]["nmap xmpp-info"]["wall"]
            summary["goal_one"] = fw / nm
        srv.stop()
    print("\n## one: a single domain on a local Prosody (medians of %d runs; testssl -t xmpp: %d)\n"
          % (a.reps, min(a.reps, a.testssl_reps)))
    print("machine: " + summary["machine"])
    print("fedscan: check D --connect ADDR:5269 --ca-file CA --from %s --client-cert C --client-key K --no-db --json"
          % FROM)
    print("wall ratio and CPU ratio are tool / fedscan on the same server\n")
    print_table(["tool", "s2s_timeout", "wall", "CPU", "peak RSS", "wall/fedscan", "CPU/fedscan", "found"], rows)
    print()
    for n in notes:
        print("- " + n)
    print()
    for s in summary["servers"]:
        nm = s["tools"]["nmap xmpp-info"]["wall"]
        for name, t in s["tools"].items():
            if not name.startswith("fedscan"):
                continue
            f = t["wall"]
            print(goal(f <= 1.5 * nm, "s2s_timeout %d: %s wall %.3f s <= 1.5 x nmap %.3f s = %.3f s (ratio %.2f)"
                       % (s["s2s_timeout"], name, f, nm, 1.5 * nm, f / nm)))
    save(a, summary)


# ---------------------------------------------------------------------------------------------------------------------
# TLS handshake cost, measured in this run

HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
          "xmlns:db='jabber:server:dialback' from='%s' to='%s' version='1.0'>")


def _read_until(sock, marker, limit=65536):
    buf = b""
    while marker not in buf:
        d = sock.recv(4096)
        if not d:
            raise RuntimeError("closed before %r: %r" % (marker, buf[-200:]))
        buf += d
        if len(buf) > limit:
            raise RuntimeError("no %r" % marker)
    return buf


def handshake_loop(addr, port, domain, ca, crt, key, n):
    """n STARTTLS handshakes like fedscan's starttls probe (client certificate, chain and name verified).
    Returns client CPU per handshake (thread CPU time spent inside the TLS handshake only) and per iteration
    (process CPU of the whole connect, stream header, STARTTLS, handshake, close)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.load_cert_chain(crt, key)
    hs = []
    p0 = time.process_time()
    w0 = time.monotonic()
    for _ in range(n):
        s = socket.create_connection((addr, port), timeout=10)
        try:
            s.sendall((HEADER % (FROM, domain)).encode())
            _read_until(s, b"</stream:features>")
            s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            b = _read_until(s, b"<proceed")
            if not b.rstrip().endswith(b"/>"):
                _read_until(s, b"/>")
            c0 = time.thread_time()
            t = ctx.wrap_socket(s, server_hostname=domain)
            hs.append(time.thread_time() - c0)
            t.close()
        finally:
            s.close()
    return {"n": n, "hs_cpu": statistics.mean(hs), "hs_cpu_median": statistics.median(hs),
            "iter_cpu": (time.process_time() - p0) / n, "iter_wall": (time.monotonic() - w0) / n}


def s_client_loop(addr, port, domain, ca, crt, key, n):
    rs = []
    for _ in range(n):
        rs.append(measure([OPENSSL, "s_client", "-connect", "%s:%d" % (addr, port), "-starttls", "xmpp-server",
                           "-xmpphost", domain, "-servername", domain, "-CAfile", ca, "-cert", crt, "-key", key,
                           "-verify_return_error", "-brief"], timeout=20))
    ok = sum(1 for r in rs if r.rc == 0)
    base = [measure([OPENSSL, "version"], timeout=10) for _ in range(20)]
    return {"n": n, "ok": ok, "cpu": statistics.mean(r.cpu for r in rs), "wall": statistics.mean(r.wall for r in rs),
            "rss_kib": statistics.median(r.rss_kib for r in rs), "startup_cpu": statistics.mean(r.cpu for r in base)}


# ---------------------------------------------------------------------------------------------------------------------
# many: N virtual hosts behind SRV records

def tls_per_domain(js):
    """TLS handshakes attempted and connections opened, per domain, from the JSON evidence."""
    hs = conns = n = 0
    for p in (js or {}).get("partners") or []:
        n += 1
        for ep in p.get("endpoints") or []:
            for c in ep.get("connections") or []:
                if c.get("attempted"):
                    conns += 1
                if (c.get("tls") or {}).get("attempted"):
                    hs += 1
    return (hs / float(n), conns / float(n)) if n else (0.0, 0.0)


def verdict_counts(js):
    counts, tuples, durs = {}, {}, []
    for p in (js or {}).get("partners") or []:
        counts[p.get("verdict")] = counts.get(p.get("verdict"), 0) + 1
        e = p.get("effective") or {}
        t = "%s/%s/%s" % (e.get("tls"), e.get("sasl"), e.get("dialback"))
        tuples[t] = tuples.get(t, 0) + 1
        if isinstance(p.get("duration_ms"), (int, float)):
            durs.append(p["duration_ms"])
    return counts, tuples, durs


def problem_reasons(js):
    """For the domains that are not compatible: verdict and the first reason (or DNS error), counted."""
    c = {}
    for p in (js or {}).get("partners") or []:
        if p.get("verdict") == "compatible":
            continue
        why = ((p.get("dns") or {}).get("error") or "") if isinstance(p.get("dns"), dict) else ""
        if not why:
            rs = p.get("reasons") or []
            why = str(rs[0]) if rs else ""
        if not why:
            for ep in p.get("endpoints") or []:
                if ep.get("error"):
                    why = ep["error"]
                    break
        why = re.sub(r"\d+\.\d+\.\d+\.\d+(:\d+)?|\[[^]]*\]:\d+|\bt?d?\d+\.(fed\.)?bench\b", "X", why)[:90]
        kk = "%s: %s" % (p.get("verdict"), why)
        c[kk] = c.get(kk, 0) + 1
    return c


def fmt_counts(c):
    return ", ".join("%s %d" % (k, v) for k, v in sorted(c.items(), key=lambda kv: -kv[1]))


def fedscan_many_argv(domains, ca, ccrt, ckey, a, extra):
    argv = [fslib.fedscan_binary(), "check"] + domains + ["--resolver", "%s:53" % DNS_ADDR, "--ca-file", ca,
                                                          "--from", FROM, "--concurrency", str(a.concurrency),
                                                          "--json"]
    if not a.no_client_cert:
        argv += ["--client-cert", ccrt, "--client-key", ckey]
    if a.timeout:
        argv += ["--timeout", str(a.timeout)]
    return argv + extra


def udp_drops(port=53):
    """Datagrams dropped by the UDP sockets bound to `port` in this namespace (full receive buffers)."""
    n = 0
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if int(parts[1].split(":")[1], 16) == port:
                    n += int(parts[-1])
    except (OSError, ValueError, IndexError):
        pass
    return n


def run_fedscan_measured(argv, d, tag, prosodies=(), watch=(5269,), rlimit_nofile=None, timeout=300, env=None):
    out = os.path.join(d, "fedscan-%s.json" % tag)
    s = Sampler(watch)
    cpu0 = {p.name: proc_cpu(p.proc.pid) for p in prosodies}
    drops0 = udp_drops()
    r = measure(argv, timeout, stdout_path=out, env=env, sampler=s, rlimit_nofile=rlimit_nofile)
    r["dns_drops"] = udp_drops() - drops0
    r["prosody_cpu"] = sum(proc_cpu(p.proc.pid) - cpu0[p.name] for p in prosodies)
    r["sampler"] = s
    try:
        with open(out) as f:
            r["json"] = json.load(f)
    except (OSError, ValueError) as e:
        r["json"] = None
        r["json_error"] = str(e)
    return r


def perf_profile(argv, d, env, timeout):
    """perf record (cpu-clock, call graphs) of one fedscan run; the top symbols by self time."""
    perf = shutil.which("perf")
    if not perf:
        return "perf not installed"
    data = os.path.join(d, "perf.data")
    r = measure([perf, "record", "-e", "cpu-clock", "-F", "999", "-g", "-o", data, "--"] + argv, timeout,
                stdout_path=os.path.join(d, "perf-fedscan.out"), env=env)
    if not os.path.exists(data):
        return "perf record failed: " + r.stderr[-300:]
    rep = subprocess.run([perf, "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,sym",
                          "--percent-limit", "1.5", "-g", "none"], capture_output=True, text=True, timeout=120)
    lines = [l for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
    dso = subprocess.run([perf, "report", "-i", data, "--stdio", "--no-children", "--sort", "dso", "-g", "none"],
                         capture_output=True, text=True, timeout=120)
    dlines = [l for l in dso.stdout.splitlines() if l.strip() and not l.startswith("#")]
    # Inclusive time of fedscan's and the libraries' entry points: which part of the audit the crypto serves.
    inc = subprocess.run([perf, "report", "-i", data, "--stdio", "--children", "--sort", "sym", "-g", "none",
                          "--percent-limit", "2"], capture_output=True, text=True, timeout=120)
    ilines = [l for l in inc.stdout.splitlines() if l.strip() and not l.startswith("#")]
    keep = os.environ.get("FSBENCH_KEEP_PERF")
    if keep:
        shutil.copy(data, keep)
    return ("by library:\n" + "\n".join(dlines[:10]) + "\n\nby symbol (>= 1.5 %% self):\n" + "\n".join(lines[:30]) +
            "\n\ninclusive (children, >= 2 %%):\n" + "\n".join(ilines[:45]))


def wait_vhost(addr, port, domain, deadline):
    """Until Prosody answers a stream for `domain` with features (it listens before all VirtualHosts are loaded)."""
    last = ""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((addr, port), timeout=5) as s:
                s.sendall((HEADER % (FROM, domain)).encode())
                buf = b""
                while b"</stream:features>" not in buf and b"</stream:stream>" not in buf:
                    d = s.recv(4096)
                    if not d:
                        break
                    buf += d
                if b"</stream:features>" in buf:
                    return
                last = buf.decode(errors="replace")[-200:]
        except OSError as e:
            last = str(e)
        time.sleep(0.5)
    raise RuntimeError("Prosody at %s:%d does not serve %s: %s" % (addr, port, domain, last))


def bench_many(a):
    fslib.install_guards(HARD_TIMEOUT["many"])
    N, k = a.N, a.instances
    d = fslib.mkdtemp("fsbench-many-")
    scene = Scene(d)
    log("CA and %d certificates (%s)" % (k, "%d SANs each" % ((N + k - 1) // k) if a.sans else "*.fed.bench"))
    ca = fslib.CA(os.path.join(d, "ca"))
    ccrt, ckey = ca.client(FROM)
    zone = "bench" if a.sans else "fed.bench"       # *.bench would not be a valid wildcard (RFC 6125 needs 2 labels)
    domains = ["d%d.%s" % (i, zone) for i in range(1, N + 1)]
    inst_of = {dom: i % k for i, dom in enumerate(domains)}
    addrs = ["127.0.1.%d" % (i + 1) for i in range(k)]
    srv = [("_xmpp-server._tcp." + dom, "inst%d.bench" % (inst_of[dom] + 1), 5269, 0, 0) for dom in domains]
    hosts = [("inst%d.bench" % (i + 1), addrs[i]) for i in range(k)]
    listen_addr = "127.0.5.1"
    hosts.append((FROM_AUTH, listen_addr))
    dns, dnslog = start_dnsmasq(scene, srv, hosts, log_queries=True)
    prosodies = []
    t0 = time.monotonic()
    for i in range(k):
        names = [dom for dom in domains if inst_of[dom] == i]
        crt, key = ca.issue("inst%d" % (i + 1), names if a.sans else ["*.fed.bench"])
        prosodies.append(BenchProsody(scene, "inst%d" % (i + 1), {n: (crt, key) for n in names}, [addrs[i]],
                                      require_encryption=True, secure_auth=False, dialback=True, cafile=ca.cert,
                                      resolver="%s@53" % DNS_ADDR, s2s_timeout=a.s2s_timeout, port=5269))
    for i in range(k):
        names = [dom for dom in domains if inst_of[dom] == i]
        wait_vhost(addrs[i], 5269, names[-1], time.monotonic() + 180)
    log("%d Prosody instances with %d VirtualHosts up in %.1f s; Prosody RSS %s" % (
        k, N, time.monotonic() - t0, ", ".join(fmt_mib(proc_rss_kib(p.proc.pid)) for p in prosodies)))
    env = dict(os.environ, XDG_DATA_HOME=fslib._xdg_sandbox(), NO_COLOR="1")
    summary = {"machine": machine(), "N": N, "instances": k, "concurrency": a.concurrency,
               "s2s_timeout": a.s2s_timeout}

    # Handshake cost against instance 1, before the scan
    log("handshake loops (%d)" % a.handshakes)
    hs = handshake_loop(addrs[0], 5269, domains[0], ca.cert, ccrt, ckey, a.handshakes)
    sc = s_client_loop(addrs[0], 5269, domains[0], ca.cert, ccrt, ckey, a.handshakes)
    summary["handshake"] = hs
    summary["s_client"] = sc

    # One domain alone: the baseline RSS
    log("fedscan, 1 domain (baseline)")
    r1 = run_fedscan_measured(fedscan_many_argv(domains[:1], ca.cert, ccrt, ckey, a, ["--no-db"]), d, "one",
                              prosodies, env=env)

    with open(dnslog, "w"):
        pass                                           # count the queries of the big run only
    log("fedscan, %d domains, --no-db, --concurrency %d" % (N, a.concurrency))
    rn = run_fedscan_measured(fedscan_many_argv(domains, ca.cert, ccrt, ckey, a, ["--no-db"]), d, "nodb",
                              prosodies, env=env)
    dnsq = dns_query_counts(dnslog)
    runs = [("fedscan --no-db", rn)]
    # Memory: what grows with the domains in flight (bounded by --concurrency) and what grows with the domains done.
    # The same --concurrency on only C domains (one wave) separates the two.
    rw = None
    if a.concurrency < N:
        log("fedscan, %d domains (one wave), --no-db" % a.concurrency)
        rw = run_fedscan_measured(fedscan_many_argv(domains[:a.concurrency], ca.cert, ccrt, ckey, a, ["--no-db"]), d,
                                  "wave", prosodies, env=env)
        runs.append(("fedscan --no-db, %d domains" % a.concurrency, rw))
    if not a.skip_db:
        dbf = os.path.join(d, "bench.db")
        log("fedscan, %d domains, --db" % N)
        rd = run_fedscan_measured(fedscan_many_argv(domains, ca.cert, ccrt, ckey, a, ["--db", dbf]), d, "db",
                                  prosodies, env=env)
        rd["db_size"] = sum(os.path.getsize(dbf + s) for s in ("", "-wal") if os.path.exists(dbf + s))
        runs.append(("fedscan --db", rd))
    if not a.skip_listen and supports_listen():
        acrt, akey = ca.client(FROM_AUTH)
        log("fedscan, %d domains, --no-db --listen %s:5269 (authoritative mode)" % (N, listen_addr))
        argv = fedscan_many_argv(domains, ca.cert, acrt, akey, a, ["--no-db", "--listen", listen_addr + ":5269"])
        argv[argv.index("--from") + 1] = FROM_AUTH
        if a.no_client_cert:
            argv += ["--client-cert", acrt, "--client-key", akey]
        ral = run_fedscan_measured(argv, d, "listen", prosodies, env=env)
        runs.append(("fedscan --no-db --listen (authoritative)", ral))
    prof = None
    if a.perf:
        log("perf record of the --no-db run")
        prof = perf_profile(fedscan_many_argv(domains, ca.cert, ccrt, ckey, a, ["--no-db"]), d, env, 300)

    # nmap on a sample
    sample = domains[::max(1, N // a.nmap_sample)][:a.nmap_sample]
    log("nmap xmpp-info on %d sampled domains" % len(sample))
    nr = []
    for dom in sample:
        nr.append(measure(nmap_argv(addrs[inst_of[dom]], 5269, dom), 120))
    nmap_ok = sum(1 for r in nr if "TLS" in nmap_found(r.stdout))

    # Report
    rows = []
    for name, r in runs:
        counts, tuples, durs = verdict_counts(r.json)
        nd = len((r.json or {}).get("partners") or []) or (a.concurrency if r is rw else N)
        found = "%s; %s" % (fmt_counts(counts), fmt_counts(tuples)) if r.json else "exit %s (no output)" % r.rc
        rows.append([name, nd, fmt_s(r.wall), fmt_s(r.cpu), "%.2f ms" % (1000 * r.cpu / max(nd, 1)),
                     fmt_mib(r.rss_kib), "1.00" if name == "fedscan --no-db" else "%.2f" % (r.wall / rn.wall),
                     found])
        r["counts"], r["tuples"], r["durs"] = counts, tuples, durs
        r["problems"] = problem_reasons(r.json)
    nsw, nsc = sum(r.wall for r in nr), sum(r.cpu for r in nr)
    rows.append(["nmap xmpp-info (sample, sequential)", len(nr), fmt_s(nsw), fmt_s(nsc),
                 "%.2f ms" % (1000 * nsc / len(nr)), fmt_mib(statistics.median(r.rss_kib for r in nr)),
                 "%.2f" % (nsw / rn.wall), "%d/%d list TLS: %s" % (nmap_ok, len(nr), nmap_found(nr[-1].stdout))])
    rows.append(["nmap xmpp-info (extrapolated)", N, fmt_s(nsw * N / len(nr)), fmt_s(nsc * N / len(nr)),
                 "%.2f ms" % (1000 * nsc / len(nr)), "-", "%.2f" % (nsw * N / len(nr) / rn.wall),
                 "x %d/%d of the sample; /2 if run 2 at a time on 2 cores" % (N, len(nr))])
    rows.append(["TLS handshake, Python ssl (client CPU)", hs["n"], fmt_s(hs["iter_wall"] * hs["n"]),
                 fmt_s(hs["iter_cpu"] * hs["n"]), "%.2f ms/handshake" % (1000 * hs["hs_cpu"]), "-", "-",
                 "STARTTLS + TLS 1.3 + client cert; %.2f ms CPU per whole iteration" % (1000 * hs["iter_cpu"])])
    rows.append(["openssl s_client -starttls xmpp-server", sc["n"], fmt_s(sc["wall"] * sc["n"]),
                 fmt_s(sc["cpu"] * sc["n"]), "%.2f ms/process" % (1000 * sc["cpu"]), fmt_mib(sc["rss_kib"]), "-",
                 "%d/%d ok; process start alone (openssl version) %.2f ms CPU" % (sc["ok"], sc["n"],
                                                                               1000 * sc["startup_cpu"])])
    print("\n## many: %d domains, %d Prosody instances, SRV records from dnsmasq, in netns %s\n" % (N, k, NETNS))
    print("machine: " + summary["machine"])
    print("fedscan: check %s .. %s --resolver %s:53 --ca-file CA --from %s%s --concurrency %d%s --json"
          % (domains[0], domains[-1], DNS_ADDR, FROM, "" if a.no_client_cert else " --client-cert C --client-key K", a.concurrency,
             " --timeout %s" % a.timeout if a.timeout else ""))
    print("Prosody: TLS required, dialback on, s2s_timeout %d; ratio = wall / fedscan --no-db wall\n" % a.s2s_timeout)
    print_table(["tool", "domains", "wall", "CPU", "CPU/domain", "peak RSS", "ratio", "found"], rows)
    print()
    hs_ref = hs["hs_cpu"]
    hpd, cnpd = tls_per_domain(rn.json)
    cpd = rn.cpu / max(len((rn.json or {}).get("partners") or []), 1)
    s = rn.sampler
    byname = dict(runs)
    # RSS = base (1-domain run) + in flight (~ connections) + per finished domain x domains done
    # A domain in flight holds all its probes, open or waiting for a --per-address/--per-domain slot: the
    # probes in flight are concurrency x connections per domain, not the sockets open at one instant.
    if rw is not None:
        per_done = max(rn.rss_kib - rw.rss_kib, 0) / float(N - a.concurrency)
        in_flight = max(rw.rss_kib - r1.rss_kib - per_done * a.concurrency, 0)
        conns = max(int(round(min(a.concurrency, N) * max(cnpd, 1))), rw.sampler.max_conns, 1)
    else:
        per_done = 0.0
        in_flight = max(rn.rss_kib - r1.rss_kib, 0)
        conns = max(int(round(min(a.concurrency, N) * max(cnpd, 1))), s.max_conns, 1)
    per_probe = in_flight / conns
    print("- fedscan alone on 1 domain: wall %.2f s, CPU %.3f s, peak RSS %s" % (r1.wall, r1.cpu,
                                                                               fmt_mib(r1.rss_kib)))
    print("- fedscan --no-db: peak %d fds, peak %d probe connections in flight (10 Hz samples), most at once to "
          "one address: %s" % (s.max_fds, s.max_conns, ", ".join("%s %d" % kv for kv in sorted(
              s.max_per_remote.items()))))
    print("- RSS model from the 1-domain, %d-domain and %d-domain runs: %s base + %.1f KiB per finished domain "
          "(kept until the end) + %s for %d probes in flight (open or waiting for a slot) = %.1f KiB per probe in flight" % (
              a.concurrency, N, fmt_mib(r1.rss_kib), per_done, fmt_mib(in_flight), conns, per_probe))
    print("- JSON document: %d bytes for %d domains" % (os.path.getsize(os.path.join(d, "fedscan-nodb.json")), N))
    for name, r in runs:
        if r.problems:
            print("- %s: not compatible: %s" % (name, fmt_counts(r.problems)))
        print("- %s: DNS queries dropped by dnsmasq's UDP socket (receive buffer full): %d" % (name, r.dns_drops))
    print("- Prosody CPU during the --no-db run: %.1f s (all %d instances, same 2 cores)" % (rn.prosody_cpu, k))
    for name, r in runs:
        if r.durs:
            dd = sorted(r.durs)
            print("- %s: per-domain duration median %d ms, p90 %d ms, max %d ms" % (
                name, statistics.median(dd), dd[int(0.9 * (len(dd) - 1))], dd[-1]))
    print("- DNS queries seen by dnsmasq during the --no-db run: %s" % fmt_counts(dnsq))
    ra = byname.get("fedscan --no-db --listen (authoritative)")
    if ra is not None:
        print("- --listen: most connections at once to one address: %s; wall %.1f s vs %.1f s without" % (
            ", ".join("%s %d" % kv for kv in sorted(ra.sampler.max_per_remote.items())), ra.wall, rn.wall))
        if ra.problems:
            print("- --listen: not compatible: %s" % fmt_counts(ra.problems))
    rd = byname.get("fedscan --db")
    if rd is not None:
        print("- --db: %d bytes of SQLite (with WAL); CPU %+.2f s over --no-db" % (rd.db_size, rd.cpu - rn.cpu))
    if prof:
        print("\nperf profile of fedscan (--no-db run):\n" + prof)
    print()
    print(goal(rn.wall <= 60, "%d domains in %.1f s wall (goal <= 60 s on 2 cores)" % (N, rn.wall)))
    print(goal(rn.rss_kib <= 64 * 1024, "peak RSS %s (goal <= 64 MiB)" % fmt_mib(rn.rss_kib)))
    print(goal(per_probe <= 64, "%.1f KiB per probe in flight (goal <= 64 KiB)" % per_probe))
    print(goal(cpd <= 3 * hs_ref, "CPU per domain %.2f ms <= 3 handshakes = %.2f ms (Python ssl handshake %.2f ms); "
               "= %.1f handshakes' worth, for %.2f TLS handshakes and %.2f connections per domain"
               % (1000 * cpd, 3000 * hs_ref, 1000 * hs_ref, cpd / hs_ref, hpd, cnpd)))
    mx = max(s.max_per_remote.values() or [0])
    # /proc/net/tcp is a walk over the kernel's hash table, bucket by bucket, not a snapshot: when a wave of
    # connections closes and the next wave opens within the walk, both can be seen. tests/integration/politeness.test
    # counts exactly, at the listener.
    print("(politeness) at most %d connections at once to one address in 10 Hz samples of /proc/net/tcp (a walk of "
          "the hash table, not a snapshot: a closing and an opening wave can both be seen); --per-address default 64"
          % mx)
    summary.update(rows=rows, one_domain={"wall": r1.wall, "cpu": r1.cpu, "rss_kib": r1.rss_kib},
                   runs={name: {k2: r[k2] for k2 in ("wall", "cpu", "rss_kib", "rc", "prosody_cpu", "counts",
                                                        "tuples", "db_size", "problems", "dns_drops") if k2 in r}
                         for name, r in runs},
                   sampler={"max_fds": s.max_fds, "max_conns": s.max_conns, "per_remote": s.max_per_remote},
                   memory={"base_kib": r1.rss_kib, "per_done_kib": per_done, "in_flight_kib": in_flight,
                           "conns": conns, "per_probe_kib": per_probe},
                   tls_per_domain={"handshakes": hpd, "connections": cnpd}, dns_queries=dnsq, nmap={"n": len(nr), "wall": nsw, "cpu": nsc, "ok": nmap_ok}, perf=prof)
    save(a, summary)


def dns_query_counts(path):
    """Queries per kind in a dnsmasq log: SRV of the domains, A/AAAA of the SRV targets, other."""
    c = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.search(r"query\[(\w+)\] (\S+) from", line)
                if not m:
                    continue
                t, name = m.groups()
                if name.startswith("_xmpp-server."):
                    kk = "SRV _xmpp-server"
                elif name.startswith("_xmpps-server."):
                    kk = "SRV _xmpps-server"
                elif re.match(r"(inst|tp|bh|live)\d*\.bench$", name):
                    kk = "%s of SRV targets" % t
                elif name.endswith(".bench"):
                    kk = "%s of domains" % t
                else:
                    kk = "%s %s" % (t, name)
                c[kk] = c.get(kk, 0) + 1
    except OSError:
        pass
    return c


# ---------------------------------------------------------------------------------------------------------------------
# tarpit: many domains, mostly unreachable

def bench_tarpit(a):
    fslib.install_guards(HARD_TIMEOUT["tarpit"])
    N = a.N
    d = fslib.mkdtemp("fsbench-tarpit-")
    scene = Scene(d)
    ca = fslib.CA(os.path.join(d, "ca"))
    ccrt, ckey = ca.client(FROM)
    mix = dict(x.split("=") for x in a.mix.split(","))
    mix = {kk: float(v) for kk, v in mix.items()}
    tot = sum(mix.values())
    rng = random.Random(9)
    domains = ["t%d.bench" % i for i in range(1, N + 1)]
    kinds = {}
    order = list(domains)
    rng.shuffle(order)
    pos = 0
    for kind in ("tarpit", "blackhole", "refused", "live"):
        cnt = int(round(N * mix.get(kind, 0) / tot))
        for dom in order[pos:pos + cnt]:
            kinds[dom] = kind
        pos += cnt
    for dom in order[pos:]:
        kinds[dom] = "nxdomain"
    srv, hosts = [], []
    tp_addr = "127.0.2.1"
    for j in range(1, 9):
        hosts.append(("tp%d.bench" % j, tp_addr))
        hosts.append(("bh%d.bench" % j, "10.99.%d.1" % j))
    hosts.append(("refused.bench", "127.0.3.1"))                  # nothing listens there: RST at once
    hosts.append(("live.bench", "127.0.1.1"))
    live = [dom for dom in domains if kinds[dom] == "live"]
    for i, dom in enumerate(domains):
        kd = kinds[dom]
        if kd == "tarpit":
            srv.append(("_xmpp-server._tcp." + dom, "tp%d.bench" % (i % 8 + 1), 5269, 0, 0))
        elif kd == "blackhole":
            srv.append(("_xmpp-server._tcp." + dom, "bh%d.bench" % (i % 8 + 1), 5269, 0, 0))
        elif kd == "refused":
            srv.append(("_xmpp-server._tcp." + dom, "refused.bench", 5269, 0, 0))
        elif kd == "live":
            srv.append(("_xmpp-server._tcp." + dom, "live.bench", 5269, 0, 0))
    start_dnsmasq(scene, srv, hosts)
    tp = start_tarpit(tp_addr, 5269)
    prosodies = []
    if live:
        crt, key = ca.issue("live", live)
        prosodies.append(BenchProsody(scene, "live", {n: (crt, key) for n in live}, ["127.0.1.1"],
                                      require_encryption=True, secure_auth=False, dialback=True, cafile=ca.cert,
                                      resolver="%s@53" % DNS_ADDR, s2s_timeout=4, port=5269))
        wait_vhost("127.0.1.1", 5269, live[-1], time.monotonic() + 120)
    kc = {}
    for v in kinds.values():
        kc[v] = kc.get(v, 0) + 1
    log("scene: %s" % fmt_counts(kc))
    env = dict(os.environ, XDG_DATA_HOME=fslib._xdg_sandbox(), NO_COLOR="1")
    runs = []
    log("fedscan, %d domains, --timeout %s --concurrency %d (RLIMIT_NOFILE %d)" % (
        N, a.timeout, a.concurrency, resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
    r = run_fedscan_measured(fedscan_many_argv(domains, ca.cert, ccrt, ckey, a, ["--no-db"]), d, "big", prosodies,
                             timeout=400, env=env)
    runs.append(("fedscan, RLIMIT_NOFILE %d" % resource.getrlimit(resource.RLIMIT_NOFILE)[0], domains, r))
    small = None
    if a.low_nofile:
        n2 = min(N, a.low_nofile_domains)
        # Only slow domains (tarpit, blackhole): every domain in flight holds its sockets until the timeout, so
        # --concurrency x connections per domain exceeds the limit unless fedscan adapts.
        slow_domains = [dom for dom in domains if kinds[dom] in ("tarpit", "blackhole")][:n2]
        n2 = len(slow_domains)
        log("fedscan, %d slow domains, RLIMIT_NOFILE %d" % (n2, a.low_nofile))
        small = run_fedscan_measured(fedscan_many_argv(slow_domains, ca.cert, ccrt, ckey, a, ["--no-db"]), d,
                                     "lownofile", prosodies, rlimit_nofile=a.low_nofile, timeout=300, env=env)
        runs.append(("fedscan, RLIMIT_NOFILE %d, slow domains only" % a.low_nofile, slow_domains, small))

    print("\n## tarpit: %d domains, mostly unreachable, in netns %s\n" % (N, NETNS))
    print("machine: " + machine())
    print("scene: %s (tarpit = accepts, never answers; blackhole = SYNs vanish; refused = RST; live = Prosody)"
          % fmt_counts(kc))
    print("fedscan: check t1.bench .. t%d.bench --resolver %s:53 --timeout %s --concurrency %d --from %s%s --no-db "
          "--json\n" % (N, DNS_ADDR, a.timeout, a.concurrency, FROM,
                        "" if a.no_client_cert else " --client-cert C --client-key K"))
    rows = []
    summary = {"machine": machine(), "N": N, "mix": kc, "timeout": a.timeout, "concurrency": a.concurrency,
               "runs": {}}
    for name, doms, rr in runs:
        n = len(doms)
        # The concurrency fedscan really used: lowered (with a warning) when RLIMIT_NOFILE is small.
        m = re.search(r"--concurrency \d+ lowered to (\d+)", rr.stderr or "")
        conc = int(m.group(1)) if m else a.concurrency
        bound = n / conc * a.timeout
        slow = sum(1 for dom in doms if kinds[dom] in ("tarpit", "blackhole"))
        ideal = -(-slow // conc) * a.timeout
        counts, tuples, durs = verdict_counts(rr.json)
        err = rr.stderr
        emfile = len(re.findall(r"(?i)too many open files|EMFILE", err))
        jtext = json.dumps(rr.json) if rr.json else ""
        emfile_json = len(re.findall(r"(?i)too many open files", jtext))
        evwarn = len(re.findall(r"(?m)^\[warn\]", err))
        s = rr.sampler
        rows.append([name, n, fmt_s(rr.wall), fmt_s(bound), fmt_s(ideal), fmt_s(rr.cpu), fmt_mib(rr.rss_kib),
                     s.max_fds, "%d / %d" % (emfile, emfile_json), evwarn,
                     "exit %s; %s" % (rr.rc, fmt_counts(counts))])
        mxd = max(durs) if durs else 0
        summary["runs"][name] = {"n": n, "wall": rr.wall, "bound": bound, "ideal": ideal, "cpu": rr.cpu,
                                 "concurrency": conc,
                                 "rss_kib": rr.rss_kib, "max_fds": s.max_fds, "emfile_stderr": emfile,
                                 "emfile_json": emfile_json, "counts": counts, "rc": rr.rc, "max_domain_ms": mxd,
                                 "libevent_warnings": evwarn, "problems": problem_reasons(rr.json),
                                 "ok": rr.rc is not None and rr.rc < 64 and rr.json is not None,
                                 "dns_drops": rr.dns_drops,
                                 "stderr_tail": err[-600:]}
    print_table(["run", "domains", "wall", "bound N/C x T", "slow/C x T", "CPU", "peak RSS", "peak fds",
                 "EMFILE (stderr/json)", "libevent [warn]", "verdicts"], rows)
    print()
    for name, doms, rr in runs:
        sr = summary["runs"][name]
        if rr.rc is None or rr.rc >= 128 or rr.json is None:
            sig = rr.rc - 128 if rr.rc is not None and rr.rc > 128 else None
            print("- %s: CRASHED: exit %s%s, no JSON document (%s)" % (
                name, rr.rc, " = killed by signal %d (%s)" % (sig, signal.Signals(sig).name) if sig else "",
                rr.get("json_error", "")))
        else:
            print("- %s: %s" % (name, fmt_counts(sr["problems"])))
        print("- %s: DNS queries dropped by dnsmasq's UDP socket (receive buffer full): %d" % (name, rr.dns_drops))
        print("- %s: slowest domain %d ms (man: a domain never takes more than 2 x --timeout = %d ms)"
              % (name, sr["max_domain_ms"], 2000 * a.timeout))
        if sr["stderr_tail"].strip():
            print("  stderr (last line): " + sr["stderr_tail"].strip().splitlines()[-1][:300])
    big = summary["runs"][runs[0][0]]
    print("- peak RSS / domains: %.1f KiB per domain (every result is kept until the end of the run)"
          % (big["rss_kib"] / float(N)))
    print("- (politeness) most connections at once to one address: %s" % ", ".join(
        "%s %d" % kv for kv in sorted(r.sampler.max_per_remote.items(), key=lambda kv: -kv[1])[:4]))
    print()
    print(goal(big["wall"] <= big["bound"], "wall %.1f s <= domains/concurrency x timeout = %.1f s"
               % (big["wall"], big["bound"])))
    # A domain whose connections wait for a --per-address slot (hundreds of domains on one tarpit address) may
    # use its whole budget, 2 x --timeout: that is the bound fedscan(1) promises.
    print(goal(big["wall"] <= 2 * big["bound"], "wall %.1f s <= domains/concurrency x domain budget (2 x timeout) "
               "= %.1f s" % (big["wall"], 2 * big["bound"])))
    print(goal(big["max_domain_ms"] <= 2000 * a.timeout + 100,
               "no domain waited for the slowest partner: max %d ms <= 2 x --timeout (+100 ms timer slack)"
               % big["max_domain_ms"]))
    print(goal(big["ok"] and big["emfile_stderr"] == 0 and big["emfile_json"] == 0,
               "no file-descriptor exhaustion at RLIMIT_NOFILE %d (exit %s, peak %d fds)"
               % (resource.getrlimit(resource.RLIMIT_NOFILE)[0], big["rc"], big["max_fds"])))
    if small is not None:
        sr = summary["runs"][runs[1][0]]
        print(goal(sr["ok"] and sr["emfile_stderr"] == 0 and sr["emfile_json"] == 0,
                   "--concurrency %d adjusts to RLIMIT_NOFILE %d: %d (exit %s; EMFILE seen: %d in stderr, %d in JSON)"
                   % (a.concurrency, a.low_nofile, sr["concurrency"], sr["rc"], sr["emfile_stderr"],
                      sr["emfile_json"])))
        print(goal(sr["wall"] <= sr["bound"], "under RLIMIT_NOFILE %d: wall %.1f s <= domains/concurrency x timeout "
                   "= %.1f s" % (a.low_nofile, sr["wall"], sr["bound"])))
        print(goal(sr["wall"] <= 2 * sr["bound"], "under RLIMIT_NOFILE %d: wall %.1f s <= domains/concurrency x "
                   "domain budget (2 x timeout) = %.1f s" % (a.low_nofile, sr["wall"], 2 * sr["bound"])))
    tp_cpu = proc_cpu(tp.pid)
    print("(tarpit process CPU %.1f s)" % tp_cpu)
    save(a, summary)


def save(a, summary):
    if a.save:
        with open(a.save, "w") as f:
            json.dump(summary, f, indent=1, default=str)


# ---------------------------------------------------------------------------------------------------------------------
# Outside: the network namespace around the inner run

def sh(argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), r.stderr.strip()))
    return r


def netns_exists():
    return NETNS in sh([IP, "netns", "list"], check=False).stdout.split()


def netns_teardown():
    if not netns_exists():
        return
    # Every process still in the namespace was started by this benchmark: stop it (by pid), then drop the namespace.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [int(x) for x in sh([IP, "netns", "pids", NETNS], check=False).stdout.split() if x.isdigit()]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(1.0)
    sh([IP, "netns", "del", NETNS], check=False)


def netns_setup(sub):
    if netns_exists():
        raise SystemExit("network namespace %s exists (a run in progress, or a killed one: bench/run.py clean)"
                         % NETNS)
    sh([IP, "netns", "add", NETNS])
    sh([IP, "-n", NETNS, "link", "set", "lo", "up"])
    if sub == "tarpit":
        # A veth pair inside the namespace; the far end has no address, and a permanent neighbour entry sends
        # 10.99.0.0/16 to a MAC nobody has: SYNs vanish, connect() waits for fedscan's timeout.
        sh([IP, "-n", NETNS, "link", "add", "fsbh0", "type", "veth", "peer", "name", "fsbh1"])
        sh([IP, "-n", NETNS, "addr", "add", "10.98.0.254/24", "dev", "fsbh0"])
        sh([IP, "-n", NETNS, "link", "set", "fsbh0", "up"])
        sh([IP, "-n", NETNS, "link", "set", "fsbh1", "up"])
        sh([IP, "-n", NETNS, "neigh", "add", BLACKHOLE_GW, "lladdr", "02:00:00:00:be:ef", "dev", "fsbh0", "nud",
            "permanent"])
        sh([IP, "-n", NETNS, "route", "add", BLACKHOLE_NET, "via", BLACKHOLE_GW])


def outside(a, argv):
    if os.geteuid() != 0:
        raise SystemExit("bench/run.py needs root (ip netns)")
    b = fslib.fedscan_binary()
    # A private copy of the binary: others rebuild src/ while a benchmark runs.
    bindir = tempfile.mkdtemp(prefix="fsbench-bin-")
    for _ in range(60):
        try:
            if os.access(b, os.X_OK):
                shutil.copy2(b, os.path.join(bindir, "fedscan"))
                break
        except OSError:
            pass
        time.sleep(5)
    else:
        shutil.rmtree(bindir, ignore_errors=True)
        raise SystemExit("no fedscan binary at %s: cd %s && make -j2" % (b, ROOT))
    b = os.path.join(bindir, "fedscan")
    child = None
    # Which source the copy was built from (read-only git; --no-optional-locks: not even the index is refreshed).
    git = ["git", "--no-optional-locks", "-C", ROOT]
    head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(git + ["diff", "--quiet", "HEAD", "--", "src", "include"], capture_output=True).returncode
    with open(b, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    source = "commit %s%s, binary sha256 %s" % (head or "?", " + uncommitted src changes" if dirty else "", digest)

    def on_sig(signum, frame):
        if child is not None and child.poll() is None:
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        netns_teardown()
        shutil.rmtree(bindir, ignore_errors=True)
        os._exit(128 + signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_sig)
    netns_setup(a.cmd)
    try:
        env = dict(os.environ, FEDSCAN=b, FSBENCH_SOURCE=source)
        child = subprocess.Popen([IP, "netns", "exec", NETNS, sys.executable, os.path.abspath(__file__)] + argv +
                                 ["--inside"], start_new_session=True, env=env)
        try:
            rc = child.wait(timeout=HARD_TIMEOUT[a.cmd] + 30)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
            rc = 124
    finally:
        netns_teardown()
        shutil.rmtree(bindir, ignore_errors=True)
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    p1 = sp.add_parser("one", help="one domain: fedscan vs nmap xmpp-info vs testssl.sh")
    p1.add_argument("--reps", type=int, default=5)
    p1.add_argument("--testssl-all", action="store_true", help="run testssl against the s2s_timeout 90 server too")
    p1.add_argument("--testssl-reps", type=int, default=3,
                    help="repetitions of the full testssl -t xmpp run (default 3; it takes 40-60 s)")
    p1.add_argument("--short-timeout", type=float, default=1.0,
                    help="also run fedscan with this --timeout (0: skip)")
    p2 = sp.add_parser("many", help="N virtual hosts behind SRV records")
    p2.add_argument("N", type=int, nargs="?", default=1000)
    p2.add_argument("--instances", type=int, default=4, choices=(2, 3, 4))
    p2.add_argument("--concurrency", type=int, default=256)
    p2.add_argument("--timeout", type=float, default=None, help="fedscan --timeout (default: fedscan's)")
    p2.add_argument("--s2s-timeout", type=int, default=4, help="Prosody s2s_timeout (default 4, as in the tests)")
    p2.add_argument("--no-client-cert", action="store_true")
    p2.add_argument("--sans", action="store_true",
                    help="domains dI.bench and one certificate with N/k SANs per instance (default: dI.fed.bench, "
                         "a *.fed.bench certificate)")
    p2.add_argument("--skip-db", action="store_true", help="do not measure the --db run")
    p2.add_argument("--skip-listen", action="store_true", help="do not measure the --listen (authoritative) run")
    p2.add_argument("--handshakes", type=int, default=200)
    p2.add_argument("--nmap-sample", type=int, default=50)
    p2.add_argument("--perf", action="store_true", help="also profile one run with perf record")
    p3 = sp.add_parser("tarpit", help="N domains, mostly unreachable")
    p3.add_argument("N", type=int, nargs="?", default=10000)
    p3.add_argument("--timeout", type=float, default=3)
    p3.add_argument("--concurrency", type=int, default=256)
    p3.add_argument("--mix", default="nxdomain=80,tarpit=8,blackhole=8,refused=2,live=2")
    p3.add_argument("--no-client-cert", action="store_true")
    p3.add_argument("--low-nofile", type=int, default=256,
                    help="second run under this RLIMIT_NOFILE (0: skip)")
    p3.add_argument("--low-nofile-domains", type=int, default=600)
    sp.add_parser("clean", help="remove the %s namespace left by a killed run" % NETNS)
    for p in (p1, p2, p3):
        p.add_argument("--save", help="also write the results as JSON to this file")
        p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    argv = sys.argv[1:]
    a = ap.parse_args(argv)
    if a.cmd == "clean":
        netns_teardown()
        return 0
    if not a.inside:
        return outside(a, argv)
    if a.save:
        a.save = os.path.abspath(a.save)
    try:
        {"one": bench_one, "many": bench_many, "tarpit": bench_tarpit}[a.cmd](a)
    finally:
        fslib.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
