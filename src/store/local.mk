# src/store/local.mk: the SQLite store and its numbered migrations (db/migrations, embedded at build time).
MIGRATIONS = db/migrations/001_initial.sql db/migrations/002_passive.sql db/migrations/003_connections_once.sql \
	db/migrations/004_content_addressed.sql db/migrations/005_proof_time.sql
EXTRA_DIST += $(MIGRATIONS)
src_libfedscan_a_SOURCES += include/fedscan/store.h src/store/migrations.h src/store/store.c \
	src/store/cas.h src/store/cas.c src/store/store_int.h src/store/store_read.c src/store/store_prune.c \
	src/store/store_write.c
nodist_src_libfedscan_a_SOURCES += src/store/migrations_data.c
BUILT_SOURCES += src/store/migrations_data.c
CLEANFILES += src/store/migrations_data.c
src/store/migrations_data.c: $(MIGRATIONS) $(top_srcdir)/build-aux/embed-sql.sh
	@mkdir -p src/store
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/build-aux/embed-sql.sh $(addprefix $(top_srcdir)/,$(MIGRATIONS)) > $@.tmp && mv $@.tmp $@
