# tests/integration/monitor.mk: where nightly results go, tested the way the monitoring systems use them (included
# by Makefile.am): check --nagios run as Icinga runs a plugin (127.0.52.x), scan --prometheus read by promtool as
# the textfile collector's input (127.0.53.x), against real Prosody; the systemd units through systemd-analyze
# verify and the cron.d example.
INTEGRATION_TESTS += tests/integration/nagios.test tests/integration/prometheus.test tests/integration/systemd.test
