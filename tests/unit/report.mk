# tests/unit/report.mk: unit tests of the report formats (CSV quoting and formula safety, HTML escaping,
# Markdown tables) and of reading scans back from the store (list, partners, history, prune), included by
# Makefile.am.
UNIT_TESTS += tests/unit/export-t tests/unit/scans-t
tests_unit_export_t_LDADD = $(UNIT_LDADD)
tests_unit_scans_t_LDADD = $(UNIT_LDADD)
# The content-addressed store (schema 4): size per scan, reads, prune, retention; the migration from schema 3.
UNIT_TESTS += tests/unit/dedup-t tests/unit/migrate-t
tests_unit_dedup_t_LDADD = $(UNIT_LDADD)
tests_unit_migrate_t_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/unit/data/partner-prosody.json
