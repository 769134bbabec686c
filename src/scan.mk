# src/scan.mk: the commands that use the record: scan (cron), diff, report (text, JSON, CSV, HTML, Markdown),
# history and prune, included by Makefile.am.
src_libfedscan_a_SOURCES += include/fedscan/export.h src/export.c
src_fedscan_SOURCES += src/cmd_scan.c src/cmd_diff.c src/cmd_report.c src/cmd_history.c src/cmd_prune.c
