# src/report/local.mk: the edges a person or a program reads: the contract JSON and text, the evidence as JSON,
# the exports (CSV, HTML, Markdown), what changed between two scans (diff), and the monitoring outputs (a
# plugin's status line, Prometheus metrics).
src_libfedscan_a_SOURCES += include/fedscan/report.h include/fedscan/evjson.h include/fedscan/export.h \
	include/fedscan/diff.h include/fedscan/nagios.h include/fedscan/metrics.h \
	src/report/json.c src/report/text.c src/report/evjson.c src/report/dane_json.c \
	src/report/export.c src/report/export_int.h src/report/export_doc.c src/report/export_row.c \
	src/report/export_text.c src/report/export_csv.c src/report/export_html.c src/report/export_md.c \
	src/report/diff.c src/report/difftext.c src/report/diffjson.c src/report/nagios.c src/report/metrics.c
