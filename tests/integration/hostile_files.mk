# hostile_files.mk: hostile files (policy files, Lync CSV exports, databases) and hostile text on the terminal,
# end to end through src/fedscan (tests/integration/hostile_files.test, TAP; python3 with its sqlite3 module;
# the responder of hostile.mk on 127.0.0.91), included by Makefile.am after hostile.mk.
HOSTILE_TESTS += tests/integration/hostile_files.test
EXTRA_DIST += tests/integration/hostile_files.test
