# src/util/local.mk: what every layer uses: logging and terminal-safe output, error codes and exit statuses,
# giving up root (privdrop).
src_libfedscan_a_SOURCES += include/fedscan/log.h include/fedscan/err.h include/fedscan/privdrop.h src/util/log.c \
	src/util/err.c src/util/privdrop.c
