# tests/unit/report.mk: unit tests of the report formats (CSV quoting and formula safety, HTML escaping,
# Markdown tables) and of reading scans back from the store (list, partners, history, prune), included by
# Makefile.am.
UNIT_TESTS += tests/unit/export-t tests/unit/scans-t
tests_unit_export_t_LDADD = $(UNIT_LDADD)
tests_unit_scans_t_LDADD = $(UNIT_LDADD)
