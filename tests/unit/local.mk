# tests/unit/local.mk: unit tests for inference, policy, the probe sessions and their transcripts (included by
# Makefile.am).
UNIT_TESTS += tests/unit/infer-t tests/unit/policy-t tests/unit/probe-t tests/unit/transcript-t tests/unit/assess-t
tests_unit_infer_t_LDADD = $(UNIT_LDADD)
# assess-t: one typed assessment per partner, the verdict worst over the endpoints, JSON written and read back.
tests_unit_assess_t_LDADD = $(UNIT_LDADD)
tests_unit_policy_t_LDADD = $(UNIT_LDADD)
tests_unit_probe_t_LDADD = $(UNIT_LDADD)
# transcript-t replays tests/unit/transcripts/*.txt through the driver with a fake clock.
tests_unit_transcript_t_LDADD = $(UNIT_LDADD)
EXTRA_DIST += $(wildcard $(srcdir)/tests/unit/transcripts/*.txt)
# probe-t drives the sessions as the engine does.
tests_unit_probe_t_CPPFLAGS = $(AM_CPPFLAGS)
EXTRA_DIST += tests/fuzz/fuzz_session.c
