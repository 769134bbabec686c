# data/systemd/local.mk: the nightly scan as a Debian administrator schedules it: fedscan-scan.service and
# fedscan-scan.timer, installed into systemd's unit directory (configure --with-systemdsystemunitdir, by default
# what pkg-config's systemd says), and doc/cron.d/fedscan, an /etc/cron.d example (included by Makefile.am).
SYSTEMD_UNITS = data/systemd/fedscan-scan.service data/systemd/fedscan-scan.timer
if HAVE_SYSTEMD
systemdsystemunit_DATA = $(SYSTEMD_UNITS)
else
noinst_DATA = data/systemd/fedscan-scan.service
endif
crondexampledir = $(docdir)/examples/cron.d
dist_crondexample_DATA = doc/cron.d/fedscan
EXTRA_DIST += data/systemd/fedscan-scan.service.in data/systemd/fedscan-scan.timer
CLEANFILES += data/systemd/fedscan-scan.service
# The ExecStart path must be the installed program's (systemd-analyze verify checks that it exists).
data/systemd/fedscan-scan.service: $(top_srcdir)/data/systemd/fedscan-scan.service.in Makefile
	@mkdir -p data/systemd
	$(AM_V_GEN)sed -e 's|@bindir[@]|$(bindir)|g' $(top_srcdir)/data/systemd/fedscan-scan.service.in > $@.tmp && \
		mv $@.tmp $@
# distcheck installs as a user: the units go under its own prefix.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemdsystemunitdir='$$(prefix)/lib/systemd/system'
