/*
 * lync-t.c: Lync's words. The New-CsXmppAllowedPartner line for every combination of settings (Unknown
 * included), with and without -ProxyFqdn; the "lync" JSON of an audited domain; the Export-Csv import on good and
 * bad files, each error message asserted whole; the round trip CSV -> policy file -> parse -> matrix.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/assess.h"
#include "fedscan/lync.h"
#include "fedscan/lync_import.h"
#include "fedscan/report.h"
#include "fedscan/matrix.h"
#include "fedscan/policy.h"
#include "fedscan/policyfile.h"
#include "tap/basic.h"

static char err[8192];

/* The cmdlet's own spellings, typed here (Set-CsXmppAllowedPartner.md), not taken from fedscan. */
static const char *const lvl_word[4] = { NULL, "Required", "Optional", "NotSupported" };
static const char *const db_word[3] = { NULL, "$true", "$false" };

static void
test_lines(void)
{
	static const struct {
		const char *proxy;
		int port;
		const char *tail;
	} px[3] = {
		{ NULL, 0, "" },
		{ "xmpp.example.org", 5269, " -ProxyFqdn xmpp.example.org" },
		{ "edge.example.org", 5270, " -ProxyFqdn edge.example.org" },
	};
	struct fs_lync_advice a;
	char want[1024];
	unsigned t, s, d, k, nknown = 0, nunknown = 0;

	for (k = 0; k < 3; k++)
		for (t = 0; t < 4; t++)
			for (s = 0; s < 4; s++)
				for (d = 0; d < 3; d++) {
					struct fs_setting st = { (enum fs_level)t, (enum fs_level)s, (enum fs_dialback)d };
					const char *sasl = lvl_word[s];

					fs_lync_advise("example.org", &st, px[k].proxy, px[k].port, &a);
					if (t == 0 || s == 0 || d == 0) {
						bool good = !a.known && a.powershell[0] == '\0' &&
						    strstr(a.note, "No New-CsXmppAllowedPartner line for example.org yet: find out ") ==
						    a.note &&
						    (t != 0 || strstr(a.note, "(-TlsNegotiation)") != NULL) &&
						    (s != 0 || strstr(a.note, "(-SaslNegotiation)") != NULL) &&
						    (d != 0 || strstr(a.note, "(-SupportDialbackNegotiation)") != NULL) &&
						    (t == 0 || strstr(a.note, "-TlsNegotiation") == NULL) &&
						    (s == 0 || strstr(a.note, "-SaslNegotiation") == NULL) &&
						    (d == 0 || strstr(a.note, "-SupportDialbackNegotiation") == NULL);
						ok(good, "TLS %s, SASL %s, Dialback %s%s: no line; the note asks for each Unknown",
						    fs_level_name(st.tls), fs_level_name(st.sasl), fs_dialback_name(st.dialback),
						    px[k].proxy ? " (proxy)" : "");
						if (!good)
							diag("%s", a.note);
						nunknown++;
						continue;
					}
					/* Lync refuses SASL with TLS NotSupported; without TLS there is no SASL anyway. */
					if (t == 3)
						sasl = "NotSupported";
					snprintf(want, sizeof(want), "New-CsXmppAllowedPartner -Identity example.org -TlsNegotiation %s "
					    "-SaslNegotiation %s -SupportDialbackNegotiation %s%s", lvl_word[t], sasl, db_word[d],
					    px[k].tail);
					ok(a.known, "TLS %s, SASL %s, Dialback %s%s: known", lvl_word[t], lvl_word[s], db_word[d],
					    px[k].proxy ? " (proxy)" : "");
					is_string(want, a.powershell, "  its line");
					ok((t == 3 && s != 3) == (strstr(a.note, "-SaslNegotiation NotSupported rather than") != NULL),
					    "  a note exactly when SASL is lowered for TLS NotSupported");
					ok((px[k].port == 5270) == (strstr(a.note, "listens on port 5270, not 5269") != NULL),
					    "  a note exactly when the proxy's port is not 5269");
					nknown++;
				}
	is_int(54, nknown, "54 known combinations (18 settings x 3 endpoints)");
	is_int(90, nunknown, "90 combinations with an Unknown");

	/* The exact words for a few. */
	{
		struct fs_setting st = { FS_LEVEL_REQUIRED, FS_LEVEL_UNKNOWN, FS_DIALBACK_TRUE };
		fs_lync_advise("example.org", &st, NULL, 0, &a);
		is_string("No New-CsXmppAllowedPartner line for example.org yet: find out whether it accepts SASL EXTERNAL "
		    "with a certificate valid for our domain (-SaslNegotiation).", a.note, "SASL Unknown: the sentence");
		st.tls = FS_LEVEL_UNKNOWN;
		st.dialback = FS_DIALBACK_UNKNOWN;
		fs_lync_advise("example.org", &st, NULL, 0, &a);
		is_string("No New-CsXmppAllowedPartner line for example.org yet: find out whether the partner requires, "
		    "offers or refuses TLS (-TlsNegotiation); whether it accepts SASL EXTERNAL with a certificate valid for "
		    "our domain (-SaslNegotiation); whether it accepts server dialback (-SupportDialbackNegotiation).",
		    a.note, "all Unknown: the sentence");
		st.tls = FS_LEVEL_NOTSUPPORTED;
		st.sasl = FS_LEVEL_OPTIONAL;
		st.dialback = FS_DIALBACK_FALSE;
		fs_lync_advise("example.org", &st, "192.0.2.7", 5269, &a);
		is_string("New-CsXmppAllowedPartner -Identity example.org -TlsNegotiation NotSupported -SaslNegotiation "
		    "NotSupported -SupportDialbackNegotiation $false -ProxyFqdn 192.0.2.7", a.powershell,
		    "row 12 partner with an address");
		is_string("-SaslNegotiation NotSupported rather than Optional: Lync refuses SASL when TLS is NotSupported, "
		    "and without TLS SASL cannot happen. -ProxyFqdn expects the host name of the partner's server; "
		    "192.0.2.7 is an address. This setting (matrix row 18) accepts no authentication method: no session "
		    "can be negotiated with this partner as it is.", a.note, "  and its notes");
		st.tls = FS_LEVEL_REQUIRED;
		st.sasl = FS_LEVEL_OPTIONAL;
		st.dialback = FS_DIALBACK_TRUE;
		fs_lync_advise("o'brien.example", &st, "h x", 5269, &a);
		is_string("New-CsXmppAllowedPartner -Identity 'o''brien.example' -TlsNegotiation Required -SaslNegotiation "
		    "Optional -SupportDialbackNegotiation $true -ProxyFqdn 'h x'", a.powershell,
		    "odd names are single-quoted, quotes doubled");
		is_string("", a.note, "a plain line has no note");
	}
}

/* The "lync" object the partner's assessment writes: fs_assess_lync() through the JSON writer. */
static json_t *
lync_json(const struct fs_domain_ev *d, const struct fs_inference *inf, struct fs_assessment *a)
{
	json_t *p, *j;

	memset(a, 0, sizeof(*a));
	snprintf(a->domain, sizeof(a->domain), "%s", d->domain);
	fs_assess_lync(d, inf, &a->lync);
	p = fs_assessment_to_json(a);
	j = json_incref(json_object_get(p, "lync"));
	json_decref(p);
	return j;
}

static void
test_json(void)
{
	struct fs_domain_ev d;
	struct fs_endpoint_ev ep[2];
	struct fs_inference inf;
	struct fs_assessment a;
	json_t *j;

	memset(&d, 0, sizeof(d));
	memset(ep, 0, sizeof(ep));
	memset(&inf, 0, sizeof(inf));
	snprintf(d.domain, sizeof(d.domain), "example.org");
	d.endpoints = ep;
	d.nendpoints = 1;
	snprintf(ep[0].host, sizeof(ep[0].host), "xmpp.example.org");
	ep[0].port = 5269;
	ep[0].source = FS_SRC_SRV;
	d.dns.srv_found = true;
	inf.reachable = true;
	inf.s.tls = FS_LEVEL_REQUIRED;
	inf.s.sasl = FS_LEVEL_OPTIONAL;
	inf.s.dialback = FS_DIALBACK_TRUE;
	j = lync_json(&d, &inf, &a);
	is_string("New-CsXmppAllowedPartner -Identity example.org -TlsNegotiation Required -SaslNegotiation Optional "
	    "-SupportDialbackNegotiation $true", json_string_value(json_object_get(j, "powershell")),
	    "json: found by SRV, no -ProxyFqdn");
	is_string("", json_string_value(json_object_get(j, "note")), "json: empty note");
	json_decref(j);

	d.dns.srv_found = false;
	ep[0].source = FS_SRC_FALLBACK;
	snprintf(ep[0].host, sizeof(ep[0].host), "example.org");
	j = lync_json(&d, &inf, &a);
	is_string("New-CsXmppAllowedPartner -Identity example.org -TlsNegotiation Required -SaslNegotiation Optional "
	    "-SupportDialbackNegotiation $true -ProxyFqdn example.org", json_string_value(json_object_get(j, "powershell")),
	    "json: no SRV (fallback): -ProxyFqdn the domain");
	json_decref(j);

	ep[0].source = FS_SRC_CONNECT;
	snprintf(ep[0].host, sizeof(ep[0].host), "gw.example.net");
	ep[0].port = 5270;
	j = lync_json(&d, &inf, &a);
	ok(strstr(json_string_value(json_object_get(j, "powershell")), " -ProxyFqdn gw.example.net") != NULL,
	    "json: --connect endpoint: -ProxyFqdn its host");
	is_string("-ProxyFqdn has no port: the endpoint audited listens on port 5270, not 5269.",
	    json_string_value(json_object_get(j, "note")), "json: the port note");
	json_decref(j);

	inf.s.sasl = FS_LEVEL_UNKNOWN;
	j = lync_json(&d, &inf, &a);
	ok(json_is_null(json_object_get(j, "powershell")), "json: SASL Unknown: powershell null");
	is_string("No New-CsXmppAllowedPartner line for example.org yet: find out whether it accepts SASL EXTERNAL with a "
	    "certificate valid for our domain (-SaslNegotiation). A rerun with --client-cert and --client-key (a "
	    "certificate valid for --from) usually decides SASL.", json_string_value(json_object_get(j, "note")),
	    "json: SASL Unknown without a client certificate: the hint");
	json_decref(j);
	d.params.have_client_cert = true;
	j = lync_json(&d, &inf, &a);
	ok(strstr(json_string_value(json_object_get(j, "note")), "--client-cert") == NULL,
	    "json: with a client certificate, no hint");
	json_decref(j);

	inf.reachable = false;
	j = lync_json(&d, &inf, &a);
	ok(json_is_null(json_object_get(j, "powershell")), "json: unreachable: powershell null");
	is_string("No endpoint answered as an XMPP server: nothing to configure until the partner is reachable.",
	    json_string_value(json_object_get(j, "note")), "json: unreachable: note");
	json_decref(j);
}

/* Import CSV text; the policy or NULL (err filled). */
static struct fs_policyfile *
import(const char *text, size_t len)
{
	struct fs_policyfile *pf = NULL;
	FILE *f = fmemopen((void *)text, len, "r");

	err[0] = '\0';
	if (fs_lync_import("p.csv", f, &pf, err, sizeof(err)) != 0)
		pf = NULL;
	fclose(f);
	return pf;
}

static const char *
import_err(const char *text)
{
	struct fs_policyfile *pf = import(text, strlen(text));

	if (pf != NULL) {
		fs_policyfile_free(pf);
		return "";
	}
	return err;
}

/* What Windows PowerShell 5.1 writes for Get-CsXmppAllowedPartner | Export-Csv (all fields quoted). */
static const char csv_good[] =
    "#TYPE Microsoft.Rtc.Management.WritableConfig.Policy.Xmpp.XmppAllowedPartner\r\n"
    "\"Identity\",\"Domain\",\"AdditionalDomains\",\"Description\",\"ProxyFqdn\",\"PartnerType\",\"ConnectionLimit\","
    "\"EnableKeepAlive\",\"SaslNegotiation\",\"SupportDialbackNegotiation\",\"TlsNegotiation\",\"Element\"\r\n"
    "\"gmail.com\",\"gmail.com\",\"System.Collections.Generic.List`1[System.String]\",\"\",\"\",\"PublicUnverified\","
    "\"\",\"False\",\"NotSupported\",\"True\",\"NotSupported\",\"<XmppAllowedPartner />\"\r\n"
    "\"Partner.Example\",\"partner.example\",\"{a.partner.example, b.partner.example}\","
    "\"Partner, Inc.; \"\"the\"\" gateway\r\nsecond line\",\"edge.partner.example\",\"Federated\",\"20\",\"True\","
    "\"Optional\",\"True\",\"Required\",\"\"\r\n"
    "\"plain.example\",\"plain.example\",\"\",\"\",\"\",\"PublicVerified\",\"\",\"True\",\"Required\",\"False\","
    "\"Required\",\"\"\r\n";

static void
check_good(struct fs_policyfile *pf, const char *what, bool crlf)
{
	const struct fs_pf_partner *p;

	if (!ok(pf != NULL, "%s: imports", what)) {
		diag("%s", err);
		return;
	}
	is_int(3, pf->npartners, "%s: three partners", what);
	if (pf->npartners != 3)
		return;
	p = &pf->partners[0];
	is_string("gmail.com", p->domain, "%s: row 1 domain", what);
	ok(p->expect.tls == FS_LEVEL_NOTSUPPORTED && p->expect.sasl == FS_LEVEL_NOTSUPPORTED &&
	    p->expect.dialback == FS_DIALBACK_TRUE, "%s: row 1 settings (the Google Talk example)", what);
	is_int(0, p->nadditional, "%s: a list exported as its type name gives no domains", what);
	ok(p->comment != NULL && strstr(p->comment, "AdditionalDomains was exported as 'System.Collections.Generic."
	    "List`1[System.String]', a type name, not the domains") != NULL, "%s: ... and says so in a comment", what);
	ok(p->connect_host == NULL && p->description == NULL, "%s: row 1 no proxy, no description", what);
	p = &pf->partners[1];
	is_string("partner.example", p->domain, "%s: row 2 domain (Domain column, lower case)", what);
	ok(p->expect.tls == FS_LEVEL_REQUIRED && p->expect.sasl == FS_LEVEL_OPTIONAL &&
	    p->expect.dialback == FS_DIALBACK_TRUE, "%s: row 2 settings", what);
	ok(p->nadditional == 2 && strcmp(p->additional[0], "a.partner.example") == 0 &&
	    strcmp(p->additional[1], "b.partner.example") == 0, "%s: row 2 additional domains from {a, b}", what);
	is_string(crlf ? "Partner, Inc.; \"the\" gateway\r\nsecond line" : "Partner, Inc.; \"the\" gateway\nsecond line",
	    p->description,
	    "%s: row 2 description: comma, doubled quotes and a newline in a quoted field", what);
	is_string("edge.partner.example", p->connect_host, "%s: row 2 ProxyFqdn -> connect", what);
	is_int(5269, p->connect_port, "%s: row 2 connect port", what);
	ok(p->comment != NULL && strstr(p->comment, "PartnerType Federated; EnableKeepAlive True; ConnectionLimit 20") !=
	    NULL, "%s: other columns kept as a comment", what);
	p = &pf->partners[2];
	ok(p->expect.tls == FS_LEVEL_REQUIRED && p->expect.sasl == FS_LEVEL_REQUIRED &&
	    p->expect.dialback == FS_DIALBACK_FALSE, "%s: row 3 settings", what);
}

static void
test_import_good(void)
{
	struct fs_policyfile *pf;
	char buf[4096], *q;
	size_t n;

	pf = import(csv_good, strlen(csv_good));
	check_good(pf, "Export-Csv (#TYPE, CRLF)", true);
	if (pf != NULL)
		ok(strstr(pf->partners[1].comment, "line 4 of p.csv") == pf->partners[1].comment,
		    "the comment names the row's line (after a multi-line field)") ;
	fs_policyfile_free(pf);

	/* A UTF-8 byte order mark, no #TYPE (-NoTypeInformation, PowerShell 7), LF only. */
	n = (size_t)snprintf(buf, sizeof(buf), "\xEF\xBB\xBF%s", strchr(csv_good, '\n') + 1);
	for (q = buf; (q = strstr(q, "\r\n")) != NULL;)
		memmove(q, q + 1, strlen(q));
	n = strlen(buf);
	pf = import(buf, n);
	check_good(pf, "BOM, no #TYPE, LF", false);
	fs_policyfile_free(pf);

	/* -UseCulture in a ';' locale, unquoted fields, only some columns, Identity only, no trailing newline. */
	pf = import("Identity;TlsNegotiation;SupportDialbackNegotiation\nsemi.example;optional;FALSE\n\n"
	    "Other.Example;;true", strlen("Identity;TlsNegotiation;SupportDialbackNegotiation\nsemi.example;optional;"
	    "FALSE\n\nOther.Example;;true"));
	if (ok(pf != NULL && pf->npartners == 2, "';' delimiter, missing columns, blank line, no final newline")) {
		ok(pf->partners[0].expect.tls == FS_LEVEL_OPTIONAL && pf->partners[0].expect.sasl == FS_LEVEL_UNKNOWN &&
		    pf->partners[0].expect.dialback == FS_DIALBACK_FALSE, "  a missing column is no expectation");
		ok(pf->partners[1].expect.tls == FS_LEVEL_UNKNOWN && strcmp(pf->partners[1].domain, "other.example") == 0,
		    "  an empty field is no expectation");
	} else {
		diag("%s", err);
	}
	fs_policyfile_free(pf);
	pf = import("Identity\n", 9);
	ok(pf != NULL && pf->npartners == 0, "a header and no rows: an empty policy");
	fs_policyfile_free(pf);
}

static void
test_import_bad(void)
{
	static const char hdr[] = "\"Identity\",\"TlsNegotiation\",\"SaslNegotiation\",\"SupportDialbackNegotiation\"\n";
	char text[2048];

#define BAD(body, want, what) do { \
	snprintf(text, sizeof(text), "%s%s", hdr, body); \
	is_string(want, import_err(text), what); \
} while (0)
	BAD("\"a.example\",\"Required\",\"Required\",\"True\n", "p.csv:2: a quoted field starts here and is never closed",
	    "unterminated quote");
	BAD("\"a.example\",\"Required\",\"Req\nuired\",\"True\"\n\"b.example,x\n",
	    "p.csv:2: SaslNegotiation 'Req\\x0Auired' is not Required, Optional or NotSupported\n"
	    "p.csv:4: a quoted field starts here and is never closed",
	    "unterminated quote: the line it opens on, after a multi-line field; errors before it kept");
	BAD("\"a.example\"x,\"Required\",\"Required\",\"True\"\n",
	    "p.csv:2: field 1: characters after its closing quote (a quote inside a quoted field is written \"\")",
	    "text after a closing quote");
	BAD("a.example,Req\"uired,Required,True\n", "p.csv:2: field 2: a quote inside a field that does not start with one",
	    "a quote inside an unquoted field");
	BAD("a.example,Required,Required\n", "p.csv:2: 3 fields where the header (line 1) has 4", "too few fields");
	BAD("a.example,Required,Required,True\nb.example,Required,Required,True,extra\n",
	    "p.csv:3: 5 fields where the header (line 1) has 4", "too many fields");
	BAD("a.example,Maybe,Required,True\n", "p.csv:2: TlsNegotiation 'Maybe' is not Required, Optional or NotSupported",
	    "bad TlsNegotiation");
	BAD("a.example,Required,Unknown,True\n",
	    "p.csv:2: SaslNegotiation 'Unknown' is not Required, Optional or NotSupported", "bad SaslNegotiation");
	BAD("a.example,Required,Required,Perhaps\n", "p.csv:2: SupportDialbackNegotiation 'Perhaps' is not True or False",
	    "bad SupportDialbackNegotiation");
	BAD("a.example,Required,Required,True\n\"A.EXAMPLE\",Optional,Optional,True\n",
	    "p.csv:3: duplicate partner a.example (first on line 2)", "duplicate partner");
	BAD(",Required,Required,True\n", "p.csv:2: no Identity or Domain value", "empty Identity");
	BAD("a b.example,Required,Required,True\n", "p.csv:2: Identity 'a b.example' is not a domain name",
	    "bad Identity");
	BAD("a.example,Maybe,Required,True\nb.example,Required,Required,no way\n",
	    "p.csv:2: TlsNegotiation 'Maybe' is not Required, Optional or NotSupported\n"
	    "p.csv:3: SupportDialbackNegotiation 'no way' is not True or False", "every bad value, in line order");
#undef BAD
	is_string("p.csv:1: no header line: not the output of Get-CsXmppAllowedPartner | Export-Csv", import_err(""),
	    "empty file");
	is_string("p.csv:2: no header line: not the output of Get-CsXmppAllowedPartner | Export-Csv",
	    import_err("#TYPE x\n"), "only #TYPE");
	is_string("p.csv:2: the header has no Identity or Domain column: not the output of Get-CsXmppAllowedPartner | "
	    "Export-Csv", import_err("#TYPE x\n\"Name\",\"Value\"\n\"a\",\"b\"\n"), "no Identity column");
	is_string("p.csv:1: column Identity appears twice in the header", import_err("Identity,identity\na,b\n"),
	    "duplicate column");
	is_string("p.csv:2: ProxyFqdn 'edge:99999': the port must be a number from 1 to 65535",
	    import_err("Identity,ProxyFqdn\na.example,edge:99999\n"), "bad ProxyFqdn");
	is_string("p.csv:2: AdditionalDomains: 'x@y' is not a domain name",
	    import_err("Identity,AdditionalDomains\na.example,\"b.example x@y\"\n"), "bad additional domain");
	{
		static const char u16[] = "\xFF\xFEI\0d\0";
		struct fs_policyfile *pf = import(u16, sizeof(u16) - 1);
		ok(pf == NULL, "UTF-16: refused");
		is_string("p.csv:1: the file is UTF-16 (Export-Csv -Encoding Unicode); export it again with -Encoding UTF8",
		    err, "UTF-16: message");
	}
}

/* CSV -> policy file text -> parse -> the matrix: nothing lost on the way, and each partner's row is computable. */
static void
test_round_trip(void)
{
	struct fs_policyfile *pf, *back = NULL;
	struct fs_setting local = { FS_LEVEL_REQUIRED, FS_LEVEL_OPTIONAL, FS_DIALBACK_TRUE };
	struct fs_compat c;
	char *buf = NULL;
	size_t len = 0, i, k;
	FILE *f;
	int rc;

	pf = import(csv_good, strlen(csv_good));
	if (!ok(pf != NULL, "round trip: import")) {
		diag("%s", err);
		return;
	}
	f = open_memstream(&buf, &len);
	fs_policyfile_write(f, pf, "imported");
	fclose(f);
	rc = fs_policyfile_parse("out.conf", buf, &back, err, sizeof(err));
	if (!ok(rc == 0, "round trip: the written policy file parses")) {
		diag("%s\n%s", err, buf);
		goto out;
	}
	is_int((long long)pf->npartners, (long long)back->npartners, "round trip: same partners");
	for (i = 0; i < pf->npartners && i < back->npartners; i++) {
		const struct fs_pf_partner *a = &pf->partners[i], *b = &back->partners[i];
		bool same = strcmp(a->domain, b->domain) == 0 && a->expect.tls == b->expect.tls &&
		    a->expect.sasl == b->expect.sasl && a->expect.dialback == b->expect.dialback &&
		    (a->connect_host == NULL) == (b->connect_host == NULL) && a->nadditional == b->nadditional &&
		    (a->connect_host == NULL || (strcmp(a->connect_host, b->connect_host) == 0 &&
		    a->connect_port == b->connect_port));
		for (k = 0; same && k < a->nadditional; k++)
			same = strcmp(a->additional[k], b->additional[k]) == 0;
		ok(same, "round trip: partner %s unchanged", a->domain);
		fs_policy_compat(&local, &b->expect, &c);
		ok(c.row == fs_policy_row(&a->expect)->row && c.negotiated == fs_negotiate(&local, &a->expect),
		    "round trip: %s is matrix row %d and negotiates %s with row 7", b->domain, c.row,
		    c.negotiated ? fs_method_name(c.negotiated) : "nothing");
	}
	/* Newlines in a description become spaces (a ';' after a space would start a comment: policyfile-t). */
	is_string("Partner, Inc.; \"the\" gateway second line", back->partners[1].description,
	    "round trip: the description, on one line");
	ok(strstr(buf, "# line 3 of p.csv; PartnerType PublicUnverified; EnableKeepAlive False\n# AdditionalDomains was "
	    "exported") != NULL, "round trip: the comments are in the file");
out:
	free(buf);
	fs_policyfile_free(pf);
	fs_policyfile_free(back);
}

int
main(void)
{
	test_lines();
	test_json();
	test_import_good();
	test_import_bad();
	test_round_trip();
	return done_testing();
}
