/*
 * policyfile-t.c: the policy file (fedscan.conf(5)) on good and bad input, each error message asserted whole;
 * the writer read back; the comparison of expectations with observations; the "expected" JSON.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fedscan/assess.h"
#include "fedscan/policyfile.h"
#include "fedscan/report.h"
#include "fedscan/settings.h"
#include "tap/basic.h"

static char tmpdir[] = "/tmp/policyfile-t.XXXXXX";
static char err[8192];

static const char *
tmp_write(const char *name, const char *text, size_t len)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	fwrite(text, 1, len, f);
	fclose(f);
	return p;
}

/* Parse text; the error text, or "" on success (the policy is freed). */
static const char *
parse_err(const char *text)
{
	struct fs_policyfile *pf = NULL;

	err[0] = '\0';
	if (fs_policyfile_parse("t.conf", text, &pf, err, sizeof(err)) == 0) {
		fs_policyfile_free(pf);
		return "";
	}
	return err;
}

static void
test_good(void)
{
	struct fs_policyfile *pf = NULL;
	const struct fs_pf_partner *p;
	char text[4096], expect[600];
	const char *path;
	int rc;

	tmp_write("client.pem", "x", 1);
	tmp_write("client.key", "x", 1);
	snprintf(text, sizeof(text),
	    "\xEF\xBB\xBF# fedscan policy\r\n"
	    "; a comment too\r\n"
	    "\r\n"
	    "[local]\r\n"
	    "tls = REQUIRED\r\n"
	    "SASL = optional   ; inline comment\r\n"
	    "dialback = yes\r\n"
	    "from = scanner.example.net\r\n"
	    "client-cert = client.pem\r\n"
	    "client-key = %s/client.key\r\n"
	    "ca-file = /dev/null\r\n"
	    "timeout = 7.5\r\n"
	    "concurrency = 12\r\n"
	    "database = db/fedscan.db\r\n"
	    "\r\n"
	    "[partner Example.ORG]\r\n"
	    "tls = not-supported\r\n"
	    "sasl = NotSupported\r\n"
	    "dialback = 1\r\n"
	    "connect = proxy.example.org:5270\r\n"
	    "additional-domains = a.example.org, B.example.org\r\n"
	    "  c.example.org\r\n"
	    "description = the ACME; gateway\r\n"
	    "  second line\r\n"
	    "[ partner   v6.example ]\r\n"
	    "connect = [2001:db8::1]:5275\r\n"
	    "dialback = OFF\r\n"
	    "[partner bare6.example]\r\n"
	    "connect: 2001:db8::2\r\n"
	    "sasl = not_supported\r\n"
	    "[partner empty.example]\r\n"
	    "# nothing expected: audited for compatibility only\r\n", tmpdir);
	path = tmp_write("good.conf", text, strlen(text));
	rc = fs_policyfile_load(path, &pf, err, sizeof(err));
	is_int(0, rc, "good file: loads");
	if (rc != 0) {
		diag("%s", err);
		return;
	}
	is_string(path, pf->path, "good file: path kept");
	is_int(4, pf->local_line, "good file: [local] on line 4 (BOM and CRLF are fine)");
	is_int(FS_LEVEL_REQUIRED, pf->local.tls, "local tls REQUIRED -> Required");
	is_int(FS_LEVEL_OPTIONAL, pf->local.sasl, "local SASL key (upper case) optional, inline comment cut");
	is_int(FS_DIALBACK_TRUE, pf->local.dialback, "local dialback yes -> True");
	is_string("scanner.example.net", pf->from, "local from");
	snprintf(expect, sizeof(expect), "%s/client.pem", tmpdir);
	is_string(expect, pf->client_cert, "client-cert: relative to the file's directory");
	snprintf(expect, sizeof(expect), "%s/client.key", tmpdir);
	is_string(expect, pf->client_key, "client-key: absolute stays");
	is_string("/dev/null", pf->ca_file, "ca-file");
	is_int(7500, pf->timeout_ms, "timeout 7.5 s");
	is_int(12, pf->concurrency, "concurrency");
	is_int(-1, pf->expiry_warn_days, "expiry-warn not given: -1");
	is_int(-1, pf->expiry_crit_days, "expiry-crit not given: -1");
	snprintf(expect, sizeof(expect), "%s/db/fedscan.db", tmpdir);
	is_string(expect, pf->database, "database: relative to the file's directory, need not exist");
	is_int(4, pf->npartners, "four partners");
	p = &pf->partners[0];
	is_string("example.org", p->domain, "partner domain lower-cased");
	is_int(16, p->line, "partner line");
	is_int(FS_LEVEL_NOTSUPPORTED, p->expect.tls, "partner tls not-supported");
	is_int(FS_LEVEL_NOTSUPPORTED, p->expect.sasl, "partner sasl NotSupported");
	is_int(FS_DIALBACK_TRUE, p->expect.dialback, "partner dialback 1");
	is_int(17, p->expect_line[0], "tls expectation line");
	is_int(19, p->expect_line[2], "dialback expectation line");
	is_string("proxy.example.org", p->connect_host, "connect host");
	is_int(5270, p->connect_port, "connect port");
	is_int(3, p->nadditional, "additional-domains: comma, space and a continuation line");
	if (p->nadditional == 3) {
		is_string("a.example.org", p->additional[0], "additional 1");
		is_string("b.example.org", p->additional[1], "additional 2 lower-cased");
		is_string("c.example.org", p->additional[2], "additional 3 from the continuation");
	}
	is_string("the ACME; gateway second line", p->description, "description: ';' without space kept, "
	    "continuation joined");
	p = &pf->partners[1];
	is_string("v6.example", p->domain, "section name with spaces");
	is_string("2001:db8::1", p->connect_host, "connect [v6]:port host");
	is_int(5275, p->connect_port, "connect [v6]:port port");
	is_int(FS_DIALBACK_FALSE, p->expect.dialback, "dialback OFF");
	is_int(FS_LEVEL_UNKNOWN, p->expect.tls, "tls not given: no expectation");
	p = &pf->partners[2];
	is_string("2001:db8::2", p->connect_host, "bare IPv6 connect, 'key: value' form");
	is_int(5269, p->connect_port, "default port 5269");
	is_int(FS_LEVEL_NOTSUPPORTED, p->expect.sasl, "not_supported");
	p = &pf->partners[3];
	is_string("empty.example", p->domain, "a partner section without keys is a partner");
	ok(p->expect.tls == 0 && p->expect.sasl == 0 && p->expect.dialback == 0 && p->connect_host == NULL,
	    "empty partner: nothing expected, DNS");
	ok(fs_policyfile_find(pf, "EXAMPLE.org") == &pf->partners[0], "find: by domain, case-insensitive");
	ok(fs_policyfile_find(pf, "c.example.org") == &pf->partners[0], "find: by an additional domain");
	ok(fs_policyfile_find(pf, "nobody.example") == NULL, "find: unknown domain");
	ok(fs_policyfile_find(NULL, "example.org") == NULL, "find: no policy");
	fs_policyfile_free(pf);

	/* Every value spelling the issue names, case-insensitive. */
	{
		static const struct {
			const char *v;
			int level;
		} lv[] = {
			{ "required", FS_LEVEL_REQUIRED }, { "REQUIRED", FS_LEVEL_REQUIRED }, { "Optional", FS_LEVEL_OPTIONAL },
			{ "not-supported", FS_LEVEL_NOTSUPPORTED }, { "notsupported", FS_LEVEL_NOTSUPPORTED },
			{ "NOTSUPPORTED", FS_LEVEL_NOTSUPPORTED },
		};
		static const struct {
			const char *v;
			int db;
		} dv[] = {
			{ "true", FS_DIALBACK_TRUE }, { "FALSE", FS_DIALBACK_FALSE }, { "yes", FS_DIALBACK_TRUE },
			{ "No", FS_DIALBACK_FALSE }, { "1", FS_DIALBACK_TRUE }, { "0", FS_DIALBACK_FALSE },
		};
		size_t i;

		for (i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
			snprintf(text, sizeof(text), "[local]\ntls = %s\n[partner x.example]\nsasl = %s\n", lv[i].v, lv[i].v);
			pf = NULL;
			rc = fs_policyfile_parse("t.conf", text, &pf, err, sizeof(err));
			ok(rc == 0 && (int)pf->local.tls == lv[i].level && (int)pf->partners[0].expect.sasl == lv[i].level,
			    "level '%s'", lv[i].v);
			fs_policyfile_free(pf);
		}
		for (i = 0; i < sizeof(dv) / sizeof(dv[0]); i++) {
			snprintf(text, sizeof(text), "[local]\ndialback = %s\n", dv[i].v);
			pf = NULL;
			rc = fs_policyfile_parse("t.conf", text, &pf, err, sizeof(err));
			ok(rc == 0 && (int)pf->local.dialback == dv[i].db, "dialback '%s'", dv[i].v);
			fs_policyfile_free(pf);
		}
	}
	/* An empty file is a policy with nothing in it. */
	pf = NULL;
	ok(fs_policyfile_parse("t.conf", "", &pf, err, sizeof(err)) == 0 && pf->npartners == 0 && pf->local_line == 0,
	    "empty file: fine, nothing set");
	fs_policyfile_free(pf);
	/* The certificate expiry thresholds (fedscan(1) --expiry-warn, --expiry-crit); 0 is a value, not "unset". */
	pf = NULL;
	ok(fs_policyfile_parse("t.conf", "[local]\nexpiry-warn = 21\nEXPIRY-CRIT = 0\n", &pf, err, sizeof(err)) == 0 &&
	    pf->expiry_warn_days == 21 && pf->expiry_crit_days == 0, "expiry-warn 21, expiry-crit 0");
	fs_policyfile_free(pf);
}

static void
test_errors(void)
{
	struct fs_policyfile *pf = NULL;
	char text[1024], want[1024], longline[400];
	const char *path;
	int rc;

	is_string("t.conf:2: unknown key 'tsl' in [local]; the keys there are tls, sasl, dialback, from, client-cert, "
	    "client-key, ca-file, listen, timeout, concurrency, expiry-warn, expiry-crit, database, retain-days, "
	    "retain-weekly-days",
	    parse_err("[local]\ntsl = required\n"), "unknown key in [local]");
	is_string("t.conf:3: unknown key 'proxyfqdn' in a [partner] section; the keys there are tls, sasl, dialback, "
	    "connect, additional-domains, description",
	    parse_err("[partner a.example]\ntls = required\nproxyfqdn = x\n"), "unknown key in [partner]");
	is_string("t.conf:2: unknown key 'connect' in [local]; the keys there are tls, sasl, dialback, from, "
	    "client-cert, client-key, ca-file, listen, timeout, concurrency, expiry-warn, expiry-crit, database, "
	    "retain-days, retain-weekly-days",
	    parse_err("[local]\nconnect = x\n"), "a partner key in [local]");
	is_string("t.conf:2: tls: 'maybe' is not a setting; use Required, Optional or NotSupported",
	    parse_err("[local]\ntls = maybe\n"), "bad tls value");
	is_string("t.conf:2: sasl: 'Unknown' is not a setting; use Required, Optional or NotSupported",
	    parse_err("[partner a.example]\nsasl = Unknown\n"), "Unknown is not a setting");
	is_string("t.conf:2: dialback: 'sometimes' is not a setting; use True or False (yes/no, on/off, 1/0 also work)",
	    parse_err("[local]\ndialback = sometimes\n"), "bad dialback value");
	is_string("t.conf:2: tls: '' is not a setting; use Required, Optional or NotSupported",
	    parse_err("[local]\ntls =\n"), "empty value");
	is_string("t.conf:2: from: 'a b' is not a domain name", parse_err("[local]\nfrom = a b\n"), "bad from");
	is_string("t.conf:2: timeout: '0' is not a number of seconds from 0.1 to 3600",
	    parse_err("[local]\ntimeout = 0\n"), "timeout too small");
	is_string("t.conf:2: timeout: '10s' is not a number of seconds from 0.1 to 3600",
	    parse_err("[local]\ntimeout = 10s\n"), "timeout with a unit");
	is_string("t.conf:2: concurrency: '2.5' is not a whole number from 1 to 10000",
	    parse_err("[local]\nconcurrency = 2.5\n"), "concurrency not whole");
	is_string("t.conf:2: concurrency: '20000' is not a whole number from 1 to 10000",
	    parse_err("[local]\nconcurrency = 20000\n"), "concurrency too big");
	is_string("t.conf:2: expiry-warn: 'soon' is not a whole number from 0 to 3650",
	    parse_err("[local]\nexpiry-warn = soon\n"), "expiry-warn not a number");
	is_string("t.conf:2: expiry-crit: '3651' is not a whole number from 0 to 3650",
	    parse_err("[local]\nexpiry-crit = 3651\n"), "expiry-crit too big");
	is_string("t.conf:2: unknown key 'expiry-warn' in a [partner] section; the keys there are tls, sasl, dialback, "
	    "connect, additional-domains, description", parse_err("[partner a.example]\nexpiry-warn = 3\n"),
	    "expiry-warn is a [local] key");
	is_string("t.conf:2: client-cert: cannot read '/nonexistent/c.pem': No such file or directory",
	    parse_err("[local]\nclient-cert = /nonexistent/c.pem\n"), "unreadable client-cert");
	is_string("t.conf:2: ca-file: empty value; give a file name", parse_err("[local]\nca-file =\n"),
	    "empty ca-file");
	is_string("t.conf:2: connect: 'host:0': the port must be a number from 1 to 65535; use HOST or HOST:PORT",
	    parse_err("[partner a.example]\nconnect = host:0\n"), "connect port 0");
	is_string("t.conf:2: connect: '[::1': '[' without ']'; use HOST or HOST:PORT",
	    parse_err("[partner a.example]\nconnect = [::1\n"), "connect without ]");
	is_string("t.conf:2: additional-domains: 'b@c' is not a domain name",
	    parse_err("[partner a.example]\nadditional-domains = ok.example b@c\n"), "bad additional domain");
	is_string("t.conf:4: duplicate partner a.example (the first is on line 1)",
	    parse_err("[partner a.example]\ntls = required\n\n[partner A.Example]\n"), "duplicate partner");
	is_string("t.conf:3: duplicate [local] section (the first is on line 1)",
	    parse_err("[local]\ntls = required\n[LOCAL]\nsasl = optional\n"), "duplicate [local]");
	is_string("t.conf:3: tls given twice in this section (first on line 2)",
	    parse_err("[local]\ntls = required\ntls = optional\n"), "duplicate key");
	is_string("t.conf:3: tls given twice in this section (first on line 2); a line that starts with white space "
	    "continues the previous one",
	    parse_err("[local]\ntls = required\n  sasl = optional\n"), "an indented key continues the previous one");
	is_string("t.conf:1: 'tls' comes before any section; put it under [local] or [partner DOMAIN]",
	    parse_err("tls = required\n"), "key before any section");
	is_string("t.conf:1: unknown section [global]; the sections are [local] and [partner DOMAIN]",
	    parse_err("[global]\ntls = required\n"), "unknown section (its keys are not reported again)");
	is_string("t.conf:1: [partner] needs a domain, as in [partner example.org]", parse_err("[partner]\n"),
	    "partner without a domain");
	is_string("t.conf:1: [partner ...]: 'a/b' is not a domain name", parse_err("[partner a/b]\n"),
	    "partner with a bad domain");
	is_string("t.conf:1: section header without ']'", parse_err("[partner a.example\n"), "no ]");
	is_string("t.conf:1: section header without ']'", parse_err("[partner a.example ; x]\n"),
	    "an inline comment before ]");
	is_string("t.conf:2: not a 'key = value' line, a [section] header or a comment",
	    parse_err("[local]\njust words\n"), "not key = value");
	is_string("t.conf:2: a value without a key", parse_err("[local]\n= required\n"), "value without a key");
	is_string("t.conf:3: duplicate partner b.example: it has its own section on line 3 and is an additional "
	    "domain of [partner a.example]",
	    parse_err("[partner a.example]\nadditional-domains = b.example\n[partner b.example]\n"),
	    "a partner that is also another's additional domain");
	is_string("t.conf:4: duplicate partner c.example: already an additional domain of [partner a.example]",
	    parse_err("[partner a.example]\nadditional-domains = c.example\n[partner b.example]\n"
	    "additional-domains = c.example\n"), "an additional domain claimed twice");
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	snprintf(text, sizeof(text), "[partner a.example]\ndescription = %s\n", longline);
	is_string("t.conf:2: a line longer than 198 characters; continue a long description on lines that start with "
	    "a space", parse_err(text), "line too long (inih would split it)");
	/* Several problems: all of them, in line order. */
	is_string("t.conf:2: tls: 'x' is not a setting; use Required, Optional or NotSupported\n"
	    "t.conf:3: unknown key 'foo' in [local]; the keys there are tls, sasl, dialback, from, client-cert, "
	    "client-key, ca-file, listen, timeout, concurrency, expiry-warn, expiry-crit, database, retain-days, "
	    "retain-weekly-days\n"
	    "t.conf:5: duplicate partner a.example (the first is on line 4)",
	    parse_err("[local]\ntls = x\nfoo = 1\n[partner a.example]\n[partner a.example]\n"),
	    "every problem, in line order");

	/* Files: unreadable, a directory, a NUL byte. */
	snprintf(want, sizeof(want), "%s/none.conf: cannot read: No such file or directory", tmpdir);
	snprintf(text, sizeof(text), "%s/none.conf", tmpdir);
	rc = fs_policyfile_load(text, &pf, err, sizeof(err));
	ok(rc == -1 && pf == NULL, "missing file: fails");
	is_string(want, err, "missing file: message");
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	rc = fs_policyfile_load(tmpdir, &pf, err, sizeof(err));
	ok(rc == -1, "a directory: fails");
	is_string(want, err, "a directory: message");
	path = tmp_write("nul.conf", "[local]\ntls = req\0uired\n", 24);
	rc = fs_policyfile_load(path, &pf, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:2: a NUL byte in the line", path);
	ok(rc == -1, "NUL byte: fails");
	is_string(want, err, "NUL byte: message");
	if (geteuid() != 0) {
		path = tmp_write("secret.conf", "[local]\n", 8);
		chmod(path, 0);
		rc = fs_policyfile_load(path, &pf, err, sizeof(err));
		snprintf(want, sizeof(want), "%s: cannot read: Permission denied", path);
		is_string(want, err, "unreadable file: message");
	} else {
		skip("running as root: every file is readable");
	}
}

static void
test_write(void)
{
	struct fs_policyfile *pf = fs_policyfile_new("gen"), *back = NULL;
	struct fs_pf_partner *p;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;
	char dom[64];

	pf->local.tls = FS_LEVEL_REQUIRED;
	pf->local.dialback = FS_DIALBACK_FALSE;
	pf->from = strdup("scan.example.net");
	pf->timeout_ms = 2500;
	pf->concurrency = 3;
	pf->expiry_warn_days = 30;
	pf->expiry_crit_days = 0;
	pf->database = strdup("/var/tmp/x.db");
	p = fs_policyfile_add_partner(pf, "One.Example");
	p->expect.tls = FS_LEVEL_OPTIONAL;
	p->expect.sasl = FS_LEVEL_NOTSUPPORTED;
	p->expect.dialback = FS_DIALBACK_TRUE;
	p->connect_host = strdup("2001:db8::7");
	p->connect_port = 5270;
	p->comment = strdup("imported\nfrom somewhere");
	p->description = strdup("a ; b #c ;d and a long text that goes on and on and on and on and on and on and on "
	    "and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on "
	    "#hash ;semi at the start of words that must not begin a continuation line ending here");
	for (i = 0; i < 40; i++) {
		char **a = realloc(p->additional, (p->nadditional + 1) * sizeof(*a));
		p->additional = a;
		snprintf(dom, sizeof(dom), "alias-%02zu.one.example", i);
		a[p->nadditional++] = strdup(dom);
	}
	p = fs_policyfile_add_partner(pf, "two.example");
	p->expect.sasl = FS_LEVEL_REQUIRED;
	/* Only '#' words, longer than a line: none can start a continuation line (found by fuzzing). */
	p = fs_policyfile_add_partner(pf, "three.example");
	p->description = calloc(1, 40 * 12 + 1);
	for (i = 0; i < 40; i++)
		snprintf(p->description + strlen(p->description), 13, "%s#ticket%03zu", i ? " " : "", i);
	f = open_memstream(&buf, &len);
	rc = fs_policyfile_write(f, pf, "generated by a test");
	fclose(f);
	is_int(0, rc, "write: ok");
	ok(strstr(buf, "# generated by a test\n") == buf, "write: comment first");
	rc = fs_policyfile_parse("gen", buf, &back, err, sizeof(err));
	is_int(0, rc, "write: the output reads back");
	if (rc != 0) {
		diag("%s\n%s", err, buf);
		goto out;
	}
	is_int(FS_LEVEL_REQUIRED, back->local.tls, "round trip: local tls");
	is_int(FS_LEVEL_UNKNOWN, back->local.sasl, "round trip: local sasl not written");
	is_int(FS_DIALBACK_FALSE, back->local.dialback, "round trip: local dialback");
	is_string("scan.example.net", back->from, "round trip: from");
	is_int(2500, back->timeout_ms, "round trip: timeout");
	is_int(3, back->concurrency, "round trip: concurrency");
	is_int(30, back->expiry_warn_days, "round trip: expiry-warn");
	is_int(0, back->expiry_crit_days, "round trip: expiry-crit 0 (given, not left out)");
	is_string("/var/tmp/x.db", back->database, "round trip: database");
	is_int(3, back->npartners, "round trip: partners");
	p = &back->partners[0];
	is_string("one.example", p->domain, "round trip: domain");
	ok(p->expect.tls == FS_LEVEL_OPTIONAL && p->expect.sasl == FS_LEVEL_NOTSUPPORTED &&
	    p->expect.dialback == FS_DIALBACK_TRUE, "round trip: expectation");
	is_string("2001:db8::7", p->connect_host, "round trip: IPv6 connect");
	is_int(5270, p->connect_port, "round trip: connect port");
	is_int(40, p->nadditional, "round trip: 40 additional domains over several lines");
	ok(p->nadditional == 40 && strcmp(p->additional[39], "alias-39.one.example") == 0, "round trip: last alias");
	is_string("a , b #c ,d and a long text that goes on and on and on and on and on and on and on "
	    "and on and on and on and on and on and on and on and on and on and on and on and on and on and on and on "
	    "#hash ,semi at the start of words that must not begin a continuation line ending here", p->description,
	    "round trip: description (a ';' after a space becomes ',', nothing else changes)");
	ok(p->comment == NULL, "comments are not read back");
	p = &back->partners[1];
	ok(p->expect.tls == 0 && p->expect.sasl == FS_LEVEL_REQUIRED && p->expect.dialback == 0,
	    "round trip: partial expectation");
	is_string(pf->partners[2].description, back->partners[2].description,
	    "round trip: a description of '#' words longer than a line comes back whole");
	ok(strstr(buf, "\ndescription = #ticket") != NULL && strstr(buf, "\n  #") == NULL,
	    "... each further line of them is another 'description =' (no continuation line starts with '#')");
	{
		char word[FS_POLICY_MAX_LINE + 2], why[256];

		memset(word, 'x', sizeof(word) - 1);
		word[sizeof(word) - 1] = '\0';
		ok(fs_policyfile_text_writable("#a #b #c #d", why, sizeof(why)) == 0,
		    "text_writable: '#' words are writable");
		ok(fs_policyfile_text_writable(word, why, sizeof(why)) != 0 && strstr(why, "a word of") != NULL,
		    "text_writable: a word longer than a line is not (%s)", why);
	}
out:
	free(buf);
	fs_policyfile_free(pf);
	fs_policyfile_free(back);
}

static void
test_compare(void)
{
	static const int lv[4] = { FS_LEVEL_UNKNOWN, FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_LEVEL_NOTSUPPORTED };
	static const int dv[3] = { FS_DIALBACK_UNKNOWN, FS_DIALBACK_TRUE, FS_DIALBACK_FALSE };
	unsigned et, es, ed, ot, os, od, mis, unc, wmis, wunc, bad;

	/* Every expectation against every observation (48 x 48), against the rule in words. */
	for (et = 0; et < 4; et++)
		for (es = 0; es < 4; es++)
			for (ed = 0; ed < 3; ed++) {
				struct fs_setting e = { lv[et], lv[es], dv[ed] };
				bad = 0;
				for (ot = 0; ot < 4; ot++)
					for (os = 0; os < 4; os++)
						for (od = 0; od < 3; od++) {
							struct fs_setting o = { lv[ot], lv[os], dv[od] };
							wmis = wunc = 0;
							if (et && !ot)
								wunc |= FS_PF_TLS;
							if (et && ot && et != ot)
								wmis |= FS_PF_TLS;
							if (es && !os)
								wunc |= FS_PF_SASL;
							if (es && os && es != os)
								wmis |= FS_PF_SASL;
							if (ed && !od)
								wunc |= FS_PF_DIALBACK;
							if (ed && od && ed != od)
								wmis |= FS_PF_DIALBACK;
							fs_policyfile_compare(&e, &o, &mis, &unc);
							if (mis != wmis || unc != wunc)
								bad++;
						}
				ok(bad == 0, "compare: expectation %s/%s/%s against all 48 observations",
				    fs_level_name(e.tls), fs_level_name(e.sasl), fs_dialback_name(e.dialback));
			}
}

/* A partner's assessment with this effective setting and verdict and one reason, compared with pf, as JSON. */
static json_t *
annotated(const struct fs_policyfile *pf, const char *domain, const char *tls, const char *sasl, const char *db,
    const char *verdict)
{
	struct fs_assessment a;
	json_t *p;

	memset(&a, 0, sizeof(a));
	a.keys = FS_K_EXPECTED;
	snprintf(a.domain, sizeof(a.domain), "%s", domain);
	if (fs_level_parse(tls, &a.eff.s.tls) != 0)
		a.eff.s.tls = FS_LEVEL_UNKNOWN;
	if (fs_level_parse(sasl, &a.eff.s.sasl) != 0)
		a.eff.s.sasl = FS_LEVEL_UNKNOWN;
	if (strcmp(db, "Unknown") == 0 || fs_dialback_parse(db, &a.eff.s.dialback) != 0)
		a.eff.s.dialback = FS_DIALBACK_UNKNOWN;
	if (fs_verdict_parse(verdict, &a.verdict) != 0)
		return NULL;
	fs_assess_reason(&a, FS_R_OTHER, FS_P_OTHER, "first reason");
	fs_assess_expectation(pf, &a);
	p = fs_assessment_to_json(&a);
	fs_assessment_clear(&a);
	return p;
}

static void
test_annotate(void)
{
	struct fs_policyfile *pf = NULL;
	json_t *p, *x;
	int rc;

	rc = fs_policyfile_parse("/etc/fedscan/fedscan.conf", "[partner a.example]\ntls = optional\nsasl = optional\n"
	    "dialback = true\ndescription = ACME\n[partner b.example]\nconnect = h\n", &pf, err, sizeof(err));
	is_int(0, rc, "annotate: policy parses");
	if (rc != 0)
		return;
	p = annotated(pf, "a.example", "Required", "Optional", "True", "compatible");
	ok(p != NULL, "annotate: ok");
	is_string("degraded", json_string_value(json_object_get(p, "verdict")), "mismatch: compatible -> degraded");
	is_string("expected TLS Optional (/etc/fedscan/fedscan.conf:2) but the partner's is Required",
	    json_string_value(json_array_get(json_object_get(p, "reasons"), 1)), "mismatch: the reason names it");
	is_int(2, json_array_size(json_object_get(p, "reasons")), "mismatch: earlier reasons kept");
	x = json_object_get(p, "expected");
	is_string("Optional", json_string_value(json_object_get(x, "tls")), "expected.tls");
	is_string("True", json_string_value(json_object_get(x, "dialback")), "expected.dialback");
	is_int(9, json_integer_value(json_object_get(x, "row")), "expected.row (Optional/Optional/True)");
	is_string("/etc/fedscan/fedscan.conf:1", json_string_value(json_object_get(x, "source")), "expected.source");
	is_string("ACME", json_string_value(json_object_get(x, "description")), "expected.description");
	ok(json_is_false(json_object_get(x, "matches")), "expected.matches false");
	is_string("tls", json_string_value(json_array_get(json_object_get(x, "mismatches"), 0)), "expected.mismatches");
	json_decref(p);

	p = annotated(pf, "a.example", "Optional", "Unknown", "True", "compatible");
	is_string("compatible", json_string_value(json_object_get(p, "verdict")), "unconfirmed: verdict unchanged");
	is_string("expected SASL Optional (/etc/fedscan/fedscan.conf:3); the audit could not confirm it (SASL Unknown)",
	    json_string_value(json_array_get(json_object_get(p, "reasons"), 1)), "unconfirmed: a reason says so");
	ok(json_is_null(json_object_get(json_object_get(p, "expected"), "matches")), "unconfirmed: matches null");
	json_decref(p);

	p = annotated(pf, "a.example", "Optional", "Optional", "True", "compatible");
	ok(json_is_true(json_object_get(json_object_get(p, "expected"), "matches")), "match: matches true");
	is_int(1, json_array_size(json_object_get(p, "reasons")), "match: no reason added");
	json_decref(p);

	p = annotated(pf, "a.example", "NotSupported", "NotSupported", "False", "incompatible");
	is_string("incompatible", json_string_value(json_object_get(p, "verdict")), "mismatch: worse verdicts stay");
	is_int(4, json_array_size(json_object_get(p, "reasons")), "mismatch: one reason per field");
	json_decref(p);

	p = annotated(pf, "a.example", "Unknown", "Unknown", "Unknown", "unreachable");
	is_int(1, json_array_size(json_object_get(p, "reasons")), "unreachable: nothing to compare");
	ok(json_is_null(json_object_get(json_object_get(p, "expected"), "matches")), "unreachable: matches null");
	json_decref(p);

	p = annotated(pf, "b.example", "Required", "Required", "True", "compatible");
	x = json_object_get(p, "expected");
	ok(json_is_object(x) && json_is_null(json_object_get(x, "tls")) && json_is_null(json_object_get(x, "row")) &&
	    json_is_null(json_object_get(x, "matches")), "a partner with no expectation: nulls");
	json_decref(p);

	p = annotated(pf, "c.example", "Required", "Required", "True", "compatible");
	ok(json_is_null(json_object_get(p, "expected")), "not in the file: expected null");
	json_decref(p);
	p = annotated(NULL, "c.example", "Required", "Required", "True", "compatible");
	ok(json_is_null(json_object_get(p, "expected")), "no policy file: expected null");
	json_decref(p);
	fs_policyfile_free(pf);
}

static void
test_misc(void)
{
	char host[64], why[128];
	int port;

	ok(fs_policyfile_domain_ok("xn--bcher-kva.example"), "domain: IDN A-label");
	ok(!fs_policyfile_domain_ok(""), "domain: empty");
	ok(!fs_policyfile_domain_ok("a,b"), "domain: comma");
	ok(fs_policyfile_hostport("h.example", host, sizeof(host), &port, why, sizeof(why)) == 0 && port == 5269 &&
	    strcmp(host, "h.example") == 0, "hostport: host");
	ok(fs_policyfile_hostport("[::1]:1", host, sizeof(host), &port, why, sizeof(why)) == 0 && port == 1 &&
	    strcmp(host, "::1") == 0, "hostport: [v6]:port");
	ok(fs_policyfile_hostport("h:65536", host, sizeof(host), &port, why, sizeof(why)) == -1, "hostport: 65536");
	ok(fs_policyfile_hostport(":5269", host, sizeof(host), &port, why, sizeof(why)) == -1 &&
	    strcmp(why, "no usable host") == 0, "hostport: no host");
}

/* Write pf, read it back: the policy read, or NULL (err says why). */
static struct fs_policyfile *
roundtrip(const struct fs_policyfile *pf)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct fs_policyfile *b = NULL;

	if (m == NULL)
		return NULL;
	fs_policyfile_write(m, pf, "a comment\nof two lines");
	fclose(m);
	if (fs_policyfile_parse("rt.conf", buf, &b, err, sizeof(err)) != 0)
		diag("%s\nwritten:\n%s", err, buf);
	free(buf);
	return b;
}

/* The fixes found by feeding hostile policy files. */
static void
test_hostile(void)
{
	struct fs_policyfile *pf, *b;
	struct fs_pf_partner *p;
	char buf[256], big[200];
	size_t i;

	is_string("t.conf:2: not valid UTF-8", parse_err("[partner a.example]\ndescription = caf\xe9\n"),
	    "invalid UTF-8 in a value: an error with its line");
	is_string("t.conf:2: not valid UTF-8", parse_err("[partner a.example]\n# \xed\xa0\x80 surrogate\n"),
	    "invalid UTF-8 in a comment too");
	ok(strstr(parse_err("[partner a.example]\nconnect = \x1b[31m\xc2\x9bx\xe2\x80\xae\n"), "\x1b") == NULL &&
	    strstr(err, "\\x1B[31m\\xC2\\x9Bx\\xE2\\x80\\xAE") != NULL, "connect: ESC, C1 and bidi quoted as \\xHH");
	is_string("a\\x1Bb\\xE2\\x80\\x8Fc\\xFF", fs_policyfile_escape("a\x1b" "b\xe2\x80\x8f" "c\xff", buf, sizeof(buf), 80),
	    "fs_policyfile_escape: ESC, U+200F and an invalid byte");
	ok(strstr(parse_err("[local]\nlisten = ::]:\n"), "t.conf:2: listen:") != NULL,
	    "listen '::]:' (a host that cannot be written back) is refused");
	/* 1001 additional domains: the limit. */
	{
		char *t = malloc(1001 * 16 + 64), *o = t;
		o += sprintf(o, "[partner a.example]\nadditional-domains = ");
		for (i = 0; i < 1001; i++)
			o += sprintf(o, "%sd%zu.example\n", i ? "  " : "", i);
		ok(strstr(parse_err(t), "more than 1000 domains for one partner") != NULL, "additional-domains: 1000 at most");
		free(t);
	}
	is_string("t.conf:4: duplicate partner b.example: it has its own section on line 4 and is an additional domain "
	    "of [partner a.example]\nt.conf:5: duplicate partner c.example: already an additional domain of "
	    "[partner a.example]", parse_err("[partner a.example]\n\nadditional-domains = b.example c.example\n"
	    "[partner b.example]\nadditional-domains = c.example\n"), "duplicates across partners (sorted check)");

	/* The writer: values that read back the same. */
	pf = fs_policyfile_new("w");
	pf->timeout_ms = 1234567;
	pf->database = strdup(";x");
	p = fs_policyfile_add_partner(pf, "a.example");
	p->description = strdup(";starts with a semicolon");
	p = fs_policyfile_add_partner(pf, "b.example");
	memset(big, 'w', 180);
	big[180] = '\0';
	snprintf(buf, sizeof(buf), "short %s", big);
	p->description = strdup(buf);
	p = fs_policyfile_add_partner(pf, "c.example");
	p->description = strdup("x #1 #2 #3 #4 #5 #6 #7 #8 #9 #10 #11 #12 #13 #14 #15 #16 #17 #18 #19 #20 #21 #22 #23 "
	    "#24 #25 #26 #27 #28 #29 #30 #31 #32 #33 #34 #35 #36 #37 #38 #39 #40 #41 #42 #43 #44 #45 #46 #47 #48 #49 "
	    "y #1 #2 #3 #4 #5 #6 #7 #8 #9 #10 #11 #12 #13 #14 #15 #16 #17 #18 #19 #20 #21 #22 #23");
	b = roundtrip(pf);
	ok(b != NULL, "written policy reads back");
	if (b != NULL) {
		ok(b->timeout_ms == 1234567, "timeout 1234.567 s kept to the ms (%ld)", b->timeout_ms);
		is_string(";x", b->database, "database ';x' kept");
		is_string(";starts with a semicolon", b->partners[0].description, "a description that starts with ';'");
		is_string(pf->partners[1].description, b->partners[1].description, "a word of 180 characters kept whole");
		is_string(pf->partners[2].description, b->partners[2].description, "runs of '#' words kept");
	}
	fs_policyfile_free(b);
	fs_policyfile_free(pf);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_good();
	test_errors();
	test_write();
	test_compare();
	test_annotate();
	test_misc();
	test_hostile();
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s && rm -rf %s", tmpdir, tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return done_testing();
}
