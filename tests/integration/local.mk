# tests/integration/local.mk -- integration tests against real Prosody 0.12 servers (Debian's prosody package),
# included from the top Makefile.am.
#
# Each .test is an executable Python 3 script (stdlib only) that prints TAP and uses fslib.py from its own
# directory (and timescale.py there, which scales hang guards for a sanitizer build: FS_SANITIZERS from
# AM_TESTS_ENVIRONMENT). It starts its own Prosody (and dnsmasq) on its own 127.0.N.x block, so the files can run in
# parallel (make -j check); together they take well under a minute. A test is SKIPPED only when the prosody or
# openssl binary is missing; a missing fedscan binary or dnsmasq is a failure.
#
# What the top Makefile.am is expected to provide (not set here, to avoid defining them twice):
#   TEST_EXTENSIONS = .test            (plus any others it uses)
#   TEST_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
#   AM_TESTS_ENVIRONMENT = FEDSCAN='$(abs_top_builddir)/src/fedscan'; export FEDSCAN; srcdir='$(srcdir)'; export srcdir;
#   TESTS += $(INTEGRATION_TESTS)      (they need src/fedscan built first: check_PROGRAMS or a dependency)
# Without FEDSCAN the scripts use src/fedscan of the current directory (the build directory under make check),
# then ../../src/fedscan beside them.
#
# Debugging: FEDSCAN_IT_VERBOSE=1 prints every fedscan run as '#' lines; FEDSCAN_KEEP_TMP=1 keeps the temporary
# directories (Prosody configs and logs, certificates, databases); they are also kept when an assertion fails.

INTEGRATION_TESTS = \
	tests/integration/prosody_tls_required.test \
	tests/integration/prosody_tls_optional.test \
	tests/integration/prosody_secure_auth.test \
	tests/integration/prosody_no_tls.test \
	tests/integration/prosody_bad_certs.test \
	tests/integration/srv_endpoints.test \
	tests/integration/no_ipv6.test \
	tests/integration/idn.test \
	tests/integration/dane.test \
	tests/integration/ejabberd.test \
	tests/integration/ejabberd_refusal.test \
	tests/integration/prosody_peer_policy.test \
	tests/integration/ejabberd_proof.test \
	tests/integration/authoritative.test \
	tests/integration/report_html.test \
	tests/integration/politeness.test \
	tests/integration/dns_cache.test \
	tests/integration/endpoints_more.test \
	tests/integration/cli_usage.test \
	tests/integration/options_doc.test \
	tests/integration/golden.test

EXTRA_DIST += tests/integration/fslib.py tests/integration/ejlib.py tests/integration/timescale.py $(INTEGRATION_TESTS) tests/demo.sh

# The documents golden.test compares fedscan's output with (FS_GOLDEN_UPDATE=1 rewrites them; see its header).
EXTRA_DIST += tests/golden
