# hostile.mk: fedscan against hostile s2s peers (tests/responder.py), included by Makefile.am.
# The test emits TAP; it needs python3 and the openssl CLI, listens on 127.0.0.90 only,
# and skips itself when src/fedscan is not built.  FEDSCAN=path overrides the binary.
HOSTILE_TESTS = tests/integration/hostile.test tests/integration/hostile_dns.test
EXTRA_DIST += tests/responder.py $(HOSTILE_TESTS)
