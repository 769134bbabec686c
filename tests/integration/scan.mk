# tests/integration/scan.mk: `scan`, `diff`, `report` and `prune` against real Prosody servers on 127.0.41.x,
# with dnsmasq for the partners' SRV records and a silent TCP listener for kill -9 mid-scan (included by
# Makefile.am).
INTEGRATION_TESTS += tests/integration/scan_diff.test
# `scan`'s progress line with stderr on a pseudo-terminal, and on a pipe with and without -v (127.0.47.x).
INTEGRATION_TESTS += tests/integration/scan_progress.test
