# tests/unit/policy.mk: unit tests of the options table, the policy file and of Lync's words (included by Makefile.am).
UNIT_TESTS += tests/unit/policyfile-t tests/unit/lync-t
tests_unit_policyfile_t_LDADD = $(UNIT_LDADD)
tests_unit_lync_t_LDADD = $(UNIT_LDADD)
# options-t: the options table shared by the command line and the policy file.
UNIT_TESTS += tests/unit/options-t
tests_unit_options_t_LDADD = $(UNIT_LDADD)
