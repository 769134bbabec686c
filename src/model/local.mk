# src/model/local.mk: the pure core: the vocabulary, the negotiation matrix (generated from data/), evidence,
# inference and the policy check. No I/O.
src_libfedscan_a_SOURCES += include/fedscan/settings.h include/fedscan/matrix.h include/fedscan/evidence.h \
	include/fedscan/infer.h include/fedscan/policy.h include/fedscan/assess.h \
	src/model/settings.c src/model/matrix.c src/model/evidence.c src/model/infer.c src/model/infer_int.h src/model/infer_proof.c src/model/dane_infer.c src/model/policy.c src/model/assess.c
nodist_src_libfedscan_a_SOURCES += src/model/matrix_data.c
BUILT_SOURCES += src/model/matrix_data.c
CLEANFILES += src/model/matrix_data.c
src/model/matrix_data.c: $(top_srcdir)/data/negotiation-matrix.tsv $(top_srcdir)/build-aux/matrix-gen.sh
	@mkdir -p src/model
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/build-aux/matrix-gen.sh $(top_srcdir)/data/negotiation-matrix.tsv > $@.tmp && mv $@.tmp $@
