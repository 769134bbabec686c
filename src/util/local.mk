# src/util/local.mk: what every layer uses: logging and terminal-safe output, the exit statuses.
src_libfedscan_a_SOURCES += include/fedscan/log.h include/fedscan/err.h include/fedscan/utf8.h src/util/log.c src/util/utf8.c
