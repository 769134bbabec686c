# src/config/local.mk: the options table (command line, --help, policy file keys), the policy file
# (fedscan.conf(5)) and Lync's words (the PowerShell line, the Export-Csv import).
src_libfedscan_a_SOURCES += include/fedscan/policyfile.h include/fedscan/lync.h include/fedscan/options.h \
	src/config/policyfile.c src/config/policyfile_int.h src/config/policyfile_read.c src/config/policyfile_write.c src/config/lync.c src/config/options.c
dist_man_MANS += man/fedscan.conf.5
# The example policy file, every key commented out with its default (installed under the documentation directory).
policyexampledir = $(docdir)
dist_policyexample_DATA = doc/fedscan.conf.example
