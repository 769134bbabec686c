# tests/integration/pcap.mk: capture (check --capture) and passive analysis (fedscan pcap) against real Prosody on
# 127.0.43.x, plus hostile capture files the test writes itself (included by Makefile.am). The capture half needs
# root (CAP_NET_RAW) and skips itself otherwise; tcpdump and tshark are used when installed.
INTEGRATION_TESTS += tests/integration/pcap.test
