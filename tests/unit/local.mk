# tests/unit/local.mk: unit tests for inference, policy and the probe sessions (included by Makefile.am).
UNIT_TESTS += tests/unit/infer-t tests/unit/policy-t tests/unit/probe-t
tests_unit_infer_t_LDADD = $(UNIT_LDADD)
tests_unit_policy_t_LDADD = $(UNIT_LDADD)
tests_unit_probe_t_LDADD = $(UNIT_LDADD)
# probe-t drives the sessions as the engine does.
tests_unit_probe_t_CPPFLAGS = $(AM_CPPFLAGS)
EXTRA_DIST += tests/fuzz/fuzz_session.c
