# src/pcap/local.mk: packet capture of the audit (check/scan --capture) and passive analysis of captured s2s
# traffic (fedscan pcap): reading pcap files, TCP reassembly, the passive stream follower.
src_libfedscan_a_SOURCES += src/pcap/tcp_reasm.h src/pcap/tcp_reasm.c include/fedscan/pcap_read.h \
	src/pcap/pcap_read.c include/fedscan/passive.h src/pcap/passive.c include/fedscan/capture.h src/pcap/capture.c
