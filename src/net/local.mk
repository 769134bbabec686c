# src/net/local.mk: the network edge: the event loop (engine.c, and its parts: conn, job, politeness, listener,
# signals, sharing engine_int.h), DNS (c-ares), TLS and certificate checks (OpenSSL).
src_libfedscan_a_SOURCES += include/fedscan/engine.h include/fedscan/dns.h include/fedscan/tls.h include/fedscan/cert.h \
	src/net/engine_int.h src/net/engine.c src/net/conn.c src/net/job.c src/net/politeness.c src/net/listener.c \
	src/net/signals.c src/net/dns.c src/net/tls.c src/net/cert.c \
	src/net/reach.h src/net/reach.c include/fedscan/idn.h src/net/idn.c \
	include/fedscan/dane.h src/net/dane.c
