# tests/integration/monitor.mk: where nightly results go, tested the way the monitoring systems use them (included
# by Makefile.am): check --nagios run as Icinga runs a plugin, against real Prosody on 127.0.52.x.
INTEGRATION_TESTS += tests/integration/nagios.test
