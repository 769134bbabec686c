# src/net/local.mk: the network edge: the event loop and connections (engine), DNS (c-ares), TLS and certificate
# checks (OpenSSL).
src_libfedscan_a_SOURCES += include/fedscan/engine.h include/fedscan/dns.h include/fedscan/tls.h include/fedscan/cert.h \
	src/net/engine.c src/net/dns.c src/net/tls.c src/net/cert.c
