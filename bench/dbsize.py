#!/usr/bin/env python3
"""bench/dbsize.py: what fedscan's database costs per scan, with nothing changing and with a realistic rate of change.

    python3 bench/dbsize.py [--scans N] [--partners M] [--old REV | --old-binary FILE] [--out DIR] [--html]

M partner domains (default 10) are virtual hosts of real Prosody instances on 127.0.45.x; fedscan runs in
authoritative mode (--listen on 127.0.45.9, found by Prosody through a dnsmasq on 127.0.45.1), so a scan takes about a
second. For this fedscan and for the one built from REV (default: the commit before the content-addressed store,
built in a temporary git worktree under --out), two runs of N scans each (default 30):

- unchanged: nothing changes at any partner between scans;
- changing: every 10th scan one partner's certificate is renewed (a new key and certificate, Prosody restarted),
  and half way through the first partner's server flips a setting (s2s_require_encryption), which is more change
  than a real federation sees (certificates are renewed every 60 to 90 days).

Printed per run: the bytes the first scan adds per partner, then the bytes each later scan adds per partner (the
database's used pages, free pages not counted, after a WAL checkpoint), and the file size after retention: the
changing run's scans are dated one a night ending 100 days ago and one more scan runs, so the default retention
(fedscan(1), FILES) applies; a fedscan without retention keeps everything. Last, the projection of a year of nightly
scans of 1000 partners from those figures. --html also writes an HTML report of the last scan and its headless
Chromium screenshot when chromium is installed. Loopback only; everything it starts, it stops. Not run by make check.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import fslib  # noqa: E402

RENEW_EVERY = 10                         # scans between two certificate renewals (changing run)
YEAR_PARTNERS = 1000
KEPT_AFTER_A_YEAR = 90 + (365 - 90 + 6) // 7    # default retention: 90 nightly scans, then one a week


def sh(argv, cwd=None):
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_old(rev, out):
    """fedscan at rev, built in a temporary worktree under out (kept for the next run)."""
    rev = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.strip()
    tree = os.path.join(out, "old-" + rev[:12])
    binary = os.path.join(tree, "src", "fedscan")
    if os.path.exists(binary):
        return binary, rev
    if not os.path.isdir(tree):
        sh(["git", "worktree", "add", "--detach", tree, rev], cwd=ROOT)
    sys.stderr.write("building fedscan %s in %s\n" % (rev[:12], tree))
    sh(["./bootstrap"], cwd=tree)
    sh(["./configure", "-q"], cwd=tree)
    sh(["make", "-j2", "src/fedscan"], cwd=tree)
    return binary, rev


def used_bytes(db):
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (con.execute("PRAGMA %s" % p).fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
    finally:
        con.close()
    return (pages - free) * size


def file_bytes(db):
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return os.path.getsize(db)


class World:
    """dnsmasq, the listener's address, two Prosody instances: p0 alone (its setting flips), the others together."""

    def __init__(self, partners, out):
        self.env = fslib.Env("127.0.45", hard_timeout=7200)
        self.lhost = self.env.addr(9)
        self.lport = fslib.free_port(self.lhost)
        self.env.start_dns(srv=[("_xmpp-server._tcp." + fslib.SCANNER, "listener." + fslib.SCANNER, self.lport, 0,
                                 5)], hosts=[("listener." + fslib.SCANNER, self.lhost)])
        self.domains = ["p%d.test" % i for i in range(partners)]
        self.renewals = 0
        self.flipped = False
        self.first = self.env.prosody(self.domains[:1], addrs=(3,), name="p0", require_encryption=False,
                                      secure_auth=False, dialback=True)
        self.rest = self.env.prosody(self.domains[1:], addrs=(2,), name="rest", require_encryption=False,
                                     secure_auth=False, dialback=True)
        self.conf = os.path.join(out, "fedscan.conf")

    def write_conf(self):
        crt, key = self.env.client
        with open(self.conf, "w") as f:
            f.write("[local]\nfrom = %s\nclient-cert = %s\nclient-key = %s\nca-file = %s\nlisten = %s:%d\n"
                    "timeout = 8\n" % (fslib.SCANNER, crt, key, self.env.ca.cert, self.lhost, self.lport))
            for d in self.domains:
                srv = self.first if d == self.domains[0] else self.rest
                f.write("\n[partner %s]\nconnect = %s\n" % (d, srv.connect))

    @staticmethod
    def restart(srv):
        srv.stop()
        srv._start()

    def renew(self):
        """A new certificate (new key) for the next partner in turn, served after a restart."""
        self.renewals += 1
        d = self.domains[self.renewals % len(self.domains)]
        srv = self.first if d == self.domains[0] else self.rest
        srv.hosts[d] = self.env.ca.issue("renew%d-%s" % (self.renewals, d), [d])
        self.restart(srv)

    def flip(self):
        self.flipped = not self.flipped
        self.first.opts["require_encryption"] = self.flipped
        self.restart(self.first)

    def reset(self):
        if self.flipped:
            self.flip()


def scan(binary, conf, db):
    r = subprocess.run([binary, "scan", "--policy", conf, "--db", db, "-q"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    if r.returncode not in (0, 1, 2):
        raise RuntimeError("scan: exit %d\n%s" % (r.returncode, r.stderr.decode(errors="replace")))


def run(world, binary, n, changing, db):
    """n scans; the bytes after each. changing: a renewal every RENEW_EVERY scans, a flip half way."""
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    sizes = []
    for i in range(n):
        if changing and i > 0 and i % RENEW_EVERY == 0:
            world.renew()
        if changing and i == n // 2:
            world.flip()
        scan(binary, world.conf, db)
        sizes.append(used_bytes(db))
    world.reset()
    return sizes


def after_retention(binary, conf, db):
    """The scans dated one a night ending 100 days ago, then one more scan: the file size after its retention."""
    con = sqlite3.connect(db)
    with con:
        ids = [r[0] for r in con.execute("SELECT id FROM scans ORDER BY id DESC")]
        for k, sid in enumerate(ids):
            con.execute("UPDATE scans SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE id = ?",
                        ("-%d days" % (100 + k), sid))
    con.close()
    scan(binary, conf, db)
    con = sqlite3.connect(db)
    kept = con.execute("SELECT count(*) FROM scans").fetchone()[0]
    con.close()
    return file_bytes(db), kept


def figures(sizes, m):
    first = sizes[0] / m
    per = (sizes[-1] - sizes[0]) / ((len(sizes) - 1) * m)
    return first, per


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scans", type=int, default=30)
    ap.add_argument("--partners", type=int, default=10)
    ap.add_argument("--old", default="44c1771", help="the commit to compare with (default: the last before schema 4)")
    ap.add_argument("--old-binary", help="an fedscan binary to compare with instead of building --old")
    ap.add_argument("--out", default=os.path.join(os.getcwd(), "bench-dbsize"))
    ap.add_argument("--html", action="store_true", help="also an HTML report of the last scan and a screenshot")
    a = ap.parse_args()
    if a.scans < 2 or a.partners < 2:
        ap.error("--scans and --partners: at least 2")
    os.makedirs(a.out, exist_ok=True)
    if a.old_binary:
        old, rev = os.path.abspath(a.old_binary), "given"
    else:
        old, rev = build_old(a.old, a.out)
    world = World(a.partners, a.out)
    world.write_conf()
    rows = []
    t0 = time.monotonic()
    for name, binary in (("before (%s)" % rev[:12], old), ("this fedscan", fslib.fedscan_binary())):
        db = os.path.join(a.out, "fedscan.db")
        same = figures(run(world, binary, a.scans, False, db), a.partners)
        world.write_conf()              # the restarts may have moved a port
        sizes = run(world, binary, a.scans, True, db)
        world.write_conf()
        changing = figures(sizes, a.partners)
        before = file_bytes(db)
        size, kept = after_retention(binary, world.conf, db)
        rows.append((name, same, changing, before, size, kept))
    print("%d scans of %d partners (renewal every %d scans, one setting flip), %.0f s" % (
        a.scans, a.partners, RENEW_EVERY, time.monotonic() - t0))
    print("%-22s %12s %14s %14s %14s %20s" % ("", "first scan", "unchanged", "changing", "file", "after retention"))
    print("%-22s %12s %14s %14s %14s %20s" % ("", "B/partner", "B/partner/scan", "B/partner/scan", "bytes",
                                               "bytes (scans kept)"))
    for name, same, changing, before, size, kept in rows:
        print("%-22s %12.0f %14.0f %14.0f %14d %13d (%d)" % (name, same[0], same[1], changing[1], before, size,
                                                             kept))
    # A year of nightly scans of 1000 partners: the first scan, then each kept scan's share; the changes kept
    # are all of them (the weekly scans reach back over the whole year).
    print("a year of nightly scans of %d partners (projection from the figures above):" % YEAR_PARTNERS)
    for name, same, changing, before, size, kept in rows:
        retained = KEPT_AFTER_A_YEAR if name == "this fedscan" else 365
        extra = (changing[1] - same[1]) * 364   # what the changes added over the unchanged scans
        total = YEAR_PARTNERS * (same[0] + retained * same[1] + extra)
        print("  %-20s %4d scans kept, %8.1f MB" % (name, retained, total / 1e6))
    if a.html:
        html = os.path.join(a.out, "report.html")
        subprocess.run([fslib.fedscan_binary(), "report", "--db", os.path.join(a.out, "fedscan.db"), "--format",
                        "html", "-o", html], check=True)
        chromium = shutil.which("chromium")
        if chromium:
            png = os.path.join(a.out, "report.png")
            prof = fslib.mkdtemp("fedscan-chromium-")
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                            "--no-first-run", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--user-data-dir=" + prof, "--window-size=1400,900",
                            "--screenshot=" + png, "file://" + html], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
            print("HTML report %s, screenshot %s" % (html, png))
    return 0


try:
    code = main()
finally:
    fslib.cleanup()
sys.exit(code)
