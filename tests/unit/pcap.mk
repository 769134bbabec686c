# tests/unit/pcap.mk: unit tests of TCP reassembly, packet decoding and the passive path (included by Makefile.am).
UNIT_TESTS += tests/unit/tcp_reasm-t tests/unit/passive-t
tests_unit_tcp_reasm_t_LDADD = $(UNIT_LDADD)
tests_unit_passive_t_LDADD = $(UNIT_LDADD)
