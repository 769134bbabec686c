# src/util/local.mk: what every layer uses: logging and terminal-safe output, the exit statuses, UTF-8 checks,
# giving up root (privdrop),
# confining the file system (sandbox: Landlock).
src_libfedscan_a_SOURCES += include/fedscan/log.h include/fedscan/err.h include/fedscan/utf8.h \
	include/fedscan/privdrop.h include/fedscan/sandbox.h src/util/log.c src/util/utf8.c \
	src/util/privdrop.c src/util/sandbox.c
