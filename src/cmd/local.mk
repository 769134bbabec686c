# src/cmd/local.mk: the fedscan program: main, the command line, one file per command.
bin_PROGRAMS += src/fedscan
src_fedscan_SOURCES = src/cmd/main.c src/cmd/cli.h src/cmd/cli.c src/cmd/cmd_check.c src/cmd/cmd_policy.c \
	src/cmd/cmd_scan.c src/cmd/cmd_diff.c src/cmd/cmd_report.c src/cmd/cmd_history.c src/cmd/cmd_prune.c \
	src/cmd/open_store.c \
	src/cmd/cmd_pcap.c src/cmd/cmd_capture.c src/cmd/record.h src/cmd/record.c src/cmd/targets.h src/cmd/targets.c src/cmd/cmd_probes.c \
	src/cmd/confine.h src/cmd/confine.c
src_fedscan_LDADD = src/libfedscan.a $(FS_LIBS)
# check_fedscan: the program under the name monitoring systems give their plugins (fedscan(1), MONITORING); main.c
# runs `fedscan check --nagios` when invoked so.
install-exec-hook:
	cd $(DESTDIR)$(bindir) && rm -f check_fedscan$(EXEEXT) && $(LN_S) fedscan$(EXEEXT) check_fedscan$(EXEEXT)
uninstall-hook:
	rm -f $(DESTDIR)$(bindir)/check_fedscan$(EXEEXT)
