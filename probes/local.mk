# probes/local.mk: the sans-I/O probes (one file each) and their registry; they never touch a socket
# (tests/unit/probes-no-io.test checks the objects).
src_libfedscan_a_SOURCES += include/fedscan/probe.h include/fedscan/authority.h \
	probes/registry.c probes/session.c probes/starttls.c probes/plain.c probes/direct_tls.c probes/nocert.c \
	probes/dialback_cert.c probes/authority.c
