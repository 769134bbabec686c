#!/bin/sh
# The README's demo: a real Prosody 0.12 on loopback serving demo.fedscan.test (TLS required, dialback on,
# secure_auth off), audited by fedscan with a throwaway test CA and a client certificate for scanner.test:
#   tests/demo.sh            text report
#   tests/demo.sh --json     any further arguments go to "fedscan check"
#   tests/demo.sh --listen   authoritative mode: a listener on a free port of 127.0.0.1, published as scanner.test's
#                            SRV target, so Prosody connects back and answers the session proof there
# It makes a temporary directory, a test CA and a certificate, starts Prosody on 127.0.0.1 (a free port) and runs
#   $FEDSCAN check demo.fedscan.test --connect 127.0.0.1:PORT --ca-file CA --from scanner.test \
#       --client-cert C --client-key K --no-db "$@"
# then stops Prosody and exits with fedscan's exit status. Needs prosody, openssl, dnsmasq and python3.
# FEDSCAN defaults to src/fedscan of this source tree (build it with make).
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
FEDSCAN=${FEDSCAN:-$here/../src/fedscan}
export FEDSCAN
exec python3 -B "$here/integration/fslib.py" demo "$@"
