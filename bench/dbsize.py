#!/usr/bin/env python3
"""bench/dbsize.py: the size of fedscan's database after N scans (default 100) of 10 partners.

Ten partner domains are virtual hosts of one real Prosody on 127.0.45.2; fedscan runs in authoritative mode
(--listen on 127.0.45.9, found by Prosody through a dnsmasq on 127.0.45.1) so each scan takes a fraction of a
second. Prints scans, partners, database bytes (after a WAL checkpoint) and bytes per partner result, and
writes an HTML report of the last scan and its headless-Chromium screenshot when chromium is installed.
Loopback only; everything it starts, it stops.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
import fslib  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.getcwd(), "bench-dbsize")


def main():
    env = fslib.Env("127.0.45", hard_timeout=1800)
    lhost = env.addr(9)
    lport = fslib.free_port(lhost)
    env.start_dns(srv=[("_xmpp-server._tcp." + fslib.SCANNER, "listener." + fslib.SCANNER, lport, 0, 5)],
                  hosts=[("listener." + fslib.SCANNER, lhost)])
    domains = ["p%d.test" % i for i in range(10)]
    srv = env.prosody(domains, addrs=(2,), require_encryption=False, secure_auth=False, dialback=True)
    crt, key = env.client
    os.makedirs(OUT, exist_ok=True)
    conf = os.path.join(OUT, "fedscan.conf")
    with open(conf, "w") as f:
        f.write("[local]\nfrom = %s\nclient-cert = %s\nclient-key = %s\nca-file = %s\nlisten = %s:%d\n"
                "timeout = 8\n" % (fslib.SCANNER, crt, key, env.ca.cert, lhost, lport))
        for d in domains:
            f.write("\n[partner %s]\nconnect = %s\n" % (d, srv.connect))
    db = os.path.join(OUT, "fedscan.db")
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    t0 = time.monotonic()
    for i in range(N):
        r = subprocess.run([fslib.fedscan_binary(), "scan", "--policy", conf, "--db", db, "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if r.returncode not in (0, 1, 2):
            sys.stderr.write("scan %d: exit %d\n%s" % (i + 1, r.returncode, r.stderr.decode(errors="replace")))
            return 1
    wall = time.monotonic() - t0
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows = con.execute("SELECT count(*) FROM domains").fetchone()[0]
    scans = con.execute("SELECT count(*) FROM scans WHERE complete = 1").fetchone()[0]
    con.close()
    size = os.path.getsize(db)
    print("scans %d (complete %d), partner results %d, wall %.1f s (%.2f s per scan)" % (N, scans, rows, wall,
                                                                                      wall / N))
    print("database %s: %d bytes (%.1f MiB), %.0f bytes per partner result" % (db, size, size / 1048576.0,
                                                                               size / max(rows, 1)))
    html = os.path.join(OUT, "report.html")
    subprocess.run([fslib.fedscan_binary(), "report", "--db", db, "--format", "html", "-o", html], check=True)
    chromium = shutil.which("chromium")
    if chromium:
        png = os.path.join(OUT, "report.png")
        prof = fslib.mkdtemp("fedscan-chromium-")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--user-data-dir=" + prof, "--window-size=1400,900", "--screenshot=" + png,
                        "file://" + html], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        print("HTML report %s, screenshot %s (%d bytes)" % (html, png, os.path.getsize(png) if os.path.exists(png)
                                                             else 0))
    return 0


try:
    code = main()
finally:
    fslib.cleanup()
sys.exit(code)
