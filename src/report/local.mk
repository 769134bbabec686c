# src/report/local.mk: the edges a person or a program reads: the contract JSON and text, the evidence as JSON,
# the exports (CSV, HTML, Markdown), and what changed between two scans (diff).
src_libfedscan_a_SOURCES += include/fedscan/report.h include/fedscan/evjson.h include/fedscan/export.h \
	include/fedscan/diff.h src/report/diff.c src/report/difftext.c src/report/diffjson.c \
	src/report/json.c src/report/text.c src/report/evjson.c src/report/dane_json.c src/report/export.c
