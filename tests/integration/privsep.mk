# tests/integration/privsep.mk: least privilege (fedscan(1) SECURITY), proven as root against a real Prosody on
# 127.0.58.x (included by Makefile.am). tests/fedscan-testing is fedscan built with -DFS_TESTING: it alone has the
# FEDSCAN_TEST_OPEN_AFTER_START switch (src/cmd/confine.c); it is a check program, never installed.
INTEGRATION_TESTS += tests/integration/privsep.test
check_PROGRAMS += tests/fedscan-testing
tests_fedscan_testing_SOURCES = $(src_fedscan_SOURCES)
tests_fedscan_testing_CPPFLAGS = $(AM_CPPFLAGS) -DFS_TESTING
tests_fedscan_testing_LDADD = $(src_fedscan_LDADD)
