"""ejlib: a real ejabberd node for the integration tests (moved out of ejabberd.test so more tests can start one).

The node is started directly (not with ejabberdctl, which switches to the ejabberd user), not distributed, with
fslib's dnsmasq as its only resolver: see ejabberd.test for the facts each test re-checks.
Each host of `hosts` may carry "extra": a list of YAML lines added under its host_config entry (for instance
s2s_access rules), and the node's `top` list adds lines at the top level (acl, access_rules).
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import time

import fslib

ERL = os.environ.get("ERL") or shutil.which("erl") or "/usr/bin/erl"


def ejabberd_libs():
    """The directory to put in ERL_LIBS (Debian: /usr/lib/x86_64-linux-gnu/ejabberd-23.01/ebin/ejabberd.app), or None."""
    pats = ["/usr/lib/*/ejabberd-*/ebin/ejabberd.app", "/usr/lib/ejabberd*/ebin/ejabberd.app",
            "/usr/lib/erlang/lib/ejabberd-*/ebin/ejabberd.app"]
    if os.environ.get("EJABBERD_LIBS"):
        pats.insert(0, os.path.join(os.environ["EJABBERD_LIBS"], "ejabberd-*", "ebin", "ejabberd.app"))
    for pat in pats:
        hits = sorted(glob.glob(pat))
        if hits:
            return os.path.dirname(os.path.dirname(os.path.dirname(hits[-1])))
    return None


class EjabberdEnv(fslib.Env):
    """fslib.Env without its Prosody requirement: this file needs erl + ejabberd (and openssl for the CA)."""

    def __init__(self, block, hard_timeout):
        if not (os.path.isfile(ERL) and os.access(ERL, os.X_OK)):
            fslib.skip_all("erl not installed (%s)" % ERL)
        if ejabberd_libs() is None:
            fslib.skip_all("ejabberd not installed (no ejabberd.app)")
        if not shutil.which("openssl"):
            fslib.skip_all("openssl not installed")
        fslib.install_guards(hard_timeout)
        b = fslib.fedscan_binary()
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            sys.stdout.write("Bail out! no executable fedscan at %s (run make, or set FEDSCAN)\n" % b)
            sys.stdout.flush()
            sys.exit(1)
        self.block = block
        self.dir = fslib.mkdtemp()
        self.ca = fslib.CA(os.path.join(self.dir, "ca"))
        self._client = None
        self.dns = None
        self.servers = []
        self.nruns = 0

    def server_logs(self):
        out = []
        for s in self.servers:
            out.append("--- ejabberd (%s) ---\n%s" % (s.connect, s.log_tail(60)))
        if self.dns is not None:
            out.append("--- dnsmasq ---\n" + fslib._tail(self.dns.log, 30))
        return "\n".join(out)


def _erl_str(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def _yaml_str(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


class Ejabberd:
    """One ejabberd 23.01 node, s2s only (ejabberd_s2s_in on one address), several hosts configured by host_config.

    hosts: {domain: {"starttls": "required"|"optional"|"false", "dialback": bool, "cert": (crt, key),
                     "extra": [YAML lines under the host's host_config entry]}}
    top: YAML lines at the top level of ejabberd.yml (acl:, access_rules:)
    """

    def __init__(self, env, hosts, addr_n=2, top=None):
        self.env = env
        self.hosts = hosts
        self.top = list(top or [])
        self.addr = env.addr(addr_n)
        self.dir = os.path.join(env.dir, "ejabberd")
        self.spool = os.path.join(self.dir, "spool")
        os.makedirs(self.spool, exist_ok=True)
        self.cfg = os.path.join(self.dir, "ejabberd.yml")
        self.log = os.path.join(self.dir, "ejabberd.log")
        self.inetrc = os.path.join(self.dir, "inetrc")
        self.port = None
        self.proc = None
        self.servers = env.servers
        env.servers.append(self)
        self._start()

    def write_inetrc(self):
        a = ",".join(self.env.dns.addr.split("."))
        with open(self.inetrc, "w") as f:
            f.write('%% written by tests/integration/ejabberd.test: fslib\'s dnsmasq is the only resolver\n'
                    '{resolv_conf, ""}.\n{hosts_file, ""}.\n{nameserver, {%s}, %d}.\n{lookup, [dns]}.\n'
                    % (a, self.env.dns.port))

    def config(self):
        L = ["# written by tests/integration/ejabberd.test",
             "hosts: [%s]" % ", ".join(_yaml_str(h) for h in self.hosts),
             "loglevel: debug",
             "log_rotate_count: 0",
             "certfiles:"]
        for h, o in self.hosts.items():
            L += ["  - %s" % _yaml_str(o["cert"][0]), "  - %s" % _yaml_str(o["cert"][1])]
        L += ["  - %s" % _yaml_str(self.env.ca.cert),
              "ca_file: %s" % _yaml_str(self.env.ca.cert),
              "s2s_cafile: %s" % _yaml_str(self.env.ca.cert),    # so that scanner.test's certificate verifies
              "acme:",                                           # never ask Let's Encrypt for anything
              "  auto: false",
              "  ca_url: \"http://127.0.0.1:9/\"",
              "s2s_dns_timeout: 5",
              # without fqdn, ejabberd resolves the machine's host name at start (seen in the dnsmasq log)
              "fqdn: %s" % _yaml_str(list(self.hosts)[0]),
              "listen:",
              "  - port: %d" % self.port,
              "    ip: %s" % _yaml_str(self.addr),
              "    module: ejabberd_s2s_in",
              "s2s_use_starttls: optional",
              "modules: {}",
              "host_config:"]
        for h, o in self.hosts.items():
            L += ["  %s:" % _yaml_str(h),
                  "    s2s_use_starttls: %s" % o["starttls"]]
            L += ["    %s" % x for x in o.get("extra", [])]
            if o["dialback"]:
                L += ["    modules:", "      mod_s2s_dialback: {}"]
            else:
                L += ["    modules: {}"]
        return "\n".join(L + self.top) + "\n"

    def _env(self):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("ERL_") or k.startswith("EJABBERD_"):
                del e[k]
        e.update({
            "HOME": self.dir,                                 # no ~/.erlang, ~/.erlang.cookie of the user
            "EJABBERD_CONFIG_PATH": self.cfg,
            "EJABBERD_LOG_PATH": self.log,
            "ERL_INETRC": self.inetrc,
            "ERL_LIBS": ejabberd_libs(),
            "ERL_CRASH_DUMP": os.path.join(self.dir, "erl_crash.dump"),
            "ERL_EPMD_PORT": str(fslib.free_port(self.env.addr(1), avoid=(4369,))),  # never the shared epmd
        })
        return e

    @property
    def argv(self):
        return [ERL, "-noinput", "-noshell", "-start_epmd", "false", "-mnesia", "dir", _erl_str(self.spool),
                "-s", "ejabberd"]

    def _start(self, attempts=3):
        self.write_inetrc()
        for _ in range(attempts):
            self.port = fslib.free_port(self.addr)
            with open(self.cfg, "w") as f:
                f.write(self.config())
            out = open(os.path.join(self.dir, "stdout.log"), "ab")
            self.proc = fslib.spawn(self.argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir, env=self._env())
            out.close()
            deadline = time.monotonic() + 30
            started = False
            while time.monotonic() < deadline and self.proc.poll() is None:
                if re.search(r"ejabberd \S+ is started in the node", fslib._tail(self.log, 400)):
                    started = True
                    break
                time.sleep(0.1)
            if started and fslib.wait_tcp(self.addr, self.port, 10, self.proc):
                return
            fslib._kill_group(self.proc)
        raise RuntimeError("ejabberd did not start:\n%s\n%s" % (
            fslib._tail(self.log), fslib._tail(os.path.join(self.dir, "stdout.log"))))

    @property
    def connect(self):
        return "%s:%d" % (self.addr, self.port)

    def log_tail(self, n=40):
        return fslib._tail(self.log, n)

    def probe(self, to, frm=fslib.SCANNER, **kw):
        return fslib.probe(self.addr, self.port, to, frm, **kw)


def erl_resolver(env, inetrc):
    """What Erlang's resolver uses with our inetrc (same erl, same ERL_INETRC): nameservers, lookup, resolv_conf."""
    e = dict(os.environ)
    e.update({"ERL_INETRC": inetrc, "HOME": env.dir})
    _, out, _ = fslib.run([ERL, "-noinput", "-noshell", "-start_epmd", "false", "-eval",
                           'io:format("~p.~n~p.~n~p.~n", [inet_db:res_option(nameservers), '
                           'inet_db:res_option(lookup), inet_db:res_option(resolv_conf)]), halt().'],
                          timeout=20, env=e)
    return re.sub(r"\s+", " ", out.strip())


