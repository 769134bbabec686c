# src/pcap.mk: packet capture (check/scan --capture) and passive analysis (fedscan pcap), included by Makefile.am.
src_libfedscan_a_SOURCES += include/fedscan/tcp_reasm.h src/tcp_reasm.c include/fedscan/pcap_read.h \
	src/pcap_read.c include/fedscan/passive.h src/passive.c include/fedscan/capture.h src/capture.c
src_fedscan_SOURCES += src/cmd_pcap.c src/cmd_capture.c
MIGRATIONS += db/migrations/002_passive.sql

# The fuzz target of the passive path (make fuzz, make fuzz-smoke; FUZZERS in Makefile.am lists it).
FUZZ_PCAP_SRC = $(top_srcdir)/tests/fuzz/fuzz_pcap.c $(top_srcdir)/src/passive.c $(top_srcdir)/src/tcp_reasm.c \
	$(top_srcdir)/src/pcap_read.c $(top_srcdir)/src/xmlstream.c $(top_srcdir)/src/evidence.c \
	$(top_srcdir)/src/evjson.c $(top_srcdir)/src/cert.c $(top_srcdir)/src/infer.c $(top_srcdir)/src/log.c \
	$(top_srcdir)/src/settings.c \
	$(top_srcdir)/probes/stream.c
EXTRA_DIST += tests/fuzz/fuzz_pcap.c
tests/fuzz/fuzz_pcap: $(FUZZ_PCAP_SRC)
	@mkdir -p tests/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_PCAP_SRC) $(PCAP_LIBS) $(EXPAT_LIBS) $(OPENSSL_LIBS) \
		$(JANSSON_LIBS) $(IDN2_LIBS)
