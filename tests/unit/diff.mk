# tests/unit/diff.mk: unit test of what `fedscan diff` finds between two scans, on assessments made by hand
# (included by Makefile.am).
UNIT_TESTS += tests/unit/diff-t
tests_unit_diff_t_LDADD = $(UNIT_LDADD)
