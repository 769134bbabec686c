# src/config/local.mk: the options table (command line, --help, policy file keys), the policy file
# (fedscan.conf(5): model, reader, writer) and Lync's words: out (lync_advice.c: the PowerShell line for a
# partner) and in (lync_import.c: the Export-Csv import).
src_libfedscan_a_SOURCES += include/fedscan/policyfile.h include/fedscan/lync.h include/fedscan/lync_import.h \
	include/fedscan/options.h src/config/options.c src/config/policyfile.c src/config/policyfile_int.h \
	src/config/policyfile_read.c src/config/policyfile_write.c src/config/lync_advice.c src/config/lync_import.c
dist_man_MANS += man/fedscan.conf.5
# The example policy file, every key commented out with its default (installed under the documentation directory).
policyexampledir = $(docdir)
dist_policyexample_DATA = doc/fedscan.conf.example
