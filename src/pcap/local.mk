# src/pcap/local.mk: packet capture of the audit (check/scan --capture) and passive analysis of captured s2s
# traffic (fedscan pcap): reading pcap files, TCP reassembly, the passive analysis (passive.c: the analysis and
# the reassembler's callbacks; follow.c: the XMPP stream follower; tls_sniff.c: the TLS records; flows.c: the
# domains and initiators seen; passive_render.c: what it saw as JSON and text).
src_libfedscan_a_SOURCES += src/pcap/tcp_reasm.h src/pcap/tcp_reasm.c include/fedscan/pcap_read.h \
	src/pcap/pcap_read.c include/fedscan/passive.h src/pcap/passive_int.h src/pcap/passive.c src/pcap/follow.c \
	src/pcap/tls_sniff.c src/pcap/flows.c src/pcap/passive_render.c include/fedscan/capture.h src/pcap/capture.c
