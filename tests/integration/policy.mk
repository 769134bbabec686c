# tests/integration/policy.mk: a policy file drives `check` against a real Prosody on 127.0.40.x; `policy check`
# validates the file; `policy import` reads a Lync Export-Csv (included by Makefile.am).
INTEGRATION_TESTS += tests/integration/policy_file.test
