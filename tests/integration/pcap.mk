# tests/integration/pcap.mk: capture and passive analysis against real Prosody (included by Makefile.am).
