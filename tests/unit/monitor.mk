# tests/unit/monitor.mk: unit tests of the monitoring outputs (check --nagios's states and lines, the Prometheus
# metrics), included by Makefile.am.
UNIT_TESTS += tests/unit/nagios-t tests/unit/metrics-t
tests_unit_nagios_t_LDADD = $(UNIT_LDADD)
tests_unit_metrics_t_LDADD = $(UNIT_LDADD)
