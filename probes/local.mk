# probes/local.mk: the sans-I/O probes (one file each), their registry and the driver that feeds one connection's
# bytes and events to a session (drive.c); they never touch a socket (tests/unit/probes-no-io.test checks the objects).
src_libfedscan_a_SOURCES += include/fedscan/probe.h include/fedscan/authority.h include/fedscan/drive.h \
	probes/drive.c probes/registry.c probes/session.c probes/starttls.c probes/plain.c probes/direct_tls.c probes/nocert.c \
	probes/dialback_cert.c probes/authority.c
