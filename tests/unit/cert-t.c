/* cert-t.c: unit tests for certificate description and RFC 6125 / RFC 6120 name matching (src/cert.c). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fedscan/cert.h"
#include "tap/basic.h"

#ifdef CERT_T_STANDALONE
/* Stand-ins for src/evidence.c, for building this test alone. */
void
fs_ev_set(char *dst, size_t dstsize, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (dstsize == 0)
		return;
	if (n >= dstsize)
		n = dstsize - 1;
	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
}

void
fs_ev_append(char *dst, size_t dstsize, const char *word)
{
	size_t len = strlen(dst), n = strlen(word);

	if (len + (len > 0) + n < dstsize)
		snprintf(dst + len, dstsize - len, "%s%s", len > 0 ? " " : "", word);
}
#endif

#define OID_SRVNAME "1.3.6.1.5.5.7.8.7"
#define OID_XMPPADDR "1.3.6.1.5.5.7.8.5"
#define NOT_BEFORE 1735689600   /* 2025-01-01T00:00:00Z */
#define NOT_AFTER 1801396800    /* 2027-01-31T12:00:00Z */

enum san_kind { SAN_END = 0, SAN_DNS, SAN_SRV, SAN_XMPP, SAN_URI, SAN_IP };

struct san {
	enum san_kind kind;
	const char *value;
	int len;                /* 0: strlen(value) */
};

struct spec {
	EVP_PKEY *key;
	const char *cn;         /* NULL: none */
	int cnlen;              /* 0: strlen(cn) */
	const char *org;        /* NULL: none */
	const struct san *sans; /* NULL: no subjectAltName extension */
	bool dup_san;           /* add the extension twice */
};

static ASN1_STRING *
str_new(int type, const char *v, int len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type);

	if (s != NULL && !ASN1_STRING_set(s, v, len > 0 ? len : (int)strlen(v))) {
		ASN1_STRING_free(s);
		s = NULL;
	}
	return s;
}

static GENERAL_NAME *
san_new(const struct san *sp)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_STRING *s = NULL;
	ASN1_TYPE *t = NULL;
	ASN1_OBJECT *oid = NULL;
	int type;

	if (g == NULL)
		return NULL;
	switch (sp->kind) {
	case SAN_DNS:
	case SAN_URI:
		if ((s = str_new(V_ASN1_IA5STRING, sp->value, sp->len)) == NULL)
			goto fail;
		GENERAL_NAME_set0_value(g, sp->kind == SAN_DNS ? GEN_DNS : GEN_URI, s);
		return g;
	case SAN_IP:
		if ((s = a2i_IPADDRESS(sp->value)) == NULL)
			goto fail;
		GENERAL_NAME_set0_value(g, GEN_IPADD, s);
		return g;
	case SAN_SRV:
	case SAN_XMPP:
		type = sp->kind == SAN_SRV ? V_ASN1_IA5STRING : V_ASN1_UTF8STRING;
		oid = OBJ_txt2obj(sp->kind == SAN_SRV ? OID_SRVNAME : OID_XMPPADDR, 1);
		if (oid == NULL || (t = ASN1_TYPE_new()) == NULL ||
		    (s = str_new(type, sp->value, sp->len)) == NULL)
			goto fail;
		ASN1_TYPE_set(t, type, s);
		if (!GENERAL_NAME_set0_othername(g, oid, t))
			goto fail;
		return g;
	default:
		goto fail;
	}
fail:
	ASN1_OBJECT_free(oid);
	ASN1_TYPE_free(t);
	GENERAL_NAME_free(g);
	return NULL;
}

/* A self-signed certificate as described by sp; NULL on failure. */
static X509 *
make_cert(const struct spec *sp)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *g;
	const struct san *s;
	const EVP_MD *md;

	if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 42) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), NOT_BEFORE) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), NOT_AFTER) ||
	    !X509_set_pubkey(x, sp->key) || (name = X509_NAME_new()) == NULL)
		goto fail;
	if (sp->org != NULL && (!X509_NAME_add_entry_by_NID(name, NID_countryName,
	    MBSTRING_ASC, (const unsigned char *)"DE", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
	    (const unsigned char *)sp->org, -1, -1, 0)))
		goto fail;
	/* The CN is put in as raw UTF8String bytes, so it may hold anything. */
	if (sp->cn != NULL && !X509_NAME_add_entry_by_NID(name, NID_commonName,
	    V_ASN1_UTF8STRING, (const unsigned char *)sp->cn,
	    sp->cnlen > 0 ? sp->cnlen : (int)strlen(sp->cn), -1, 0))
		goto fail;
	if (!X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name))
		goto fail;
	if (sp->sans != NULL) {
		if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
			goto fail;
		for (s = sp->sans; s->kind != SAN_END; s++) {
			if ((g = san_new(s)) == NULL)
				goto fail;
			if (!sk_GENERAL_NAME_push(gens, g)) {
				GENERAL_NAME_free(g);
				goto fail;
			}
		}
		if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND) != 1)
			goto fail;
		if (sp->dup_san &&
		    X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND) != 1)
			goto fail;
	}
	md = EVP_PKEY_get_base_id(sp->key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	if (X509_sign(x, sp->key, md) <= 0)
		goto fail;
	X509_NAME_free(name);
	GENERAL_NAMES_free(gens);
	return x;
fail:
	X509_NAME_free(name);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	return NULL;
}

/* Match domain against a certificate; returns the result and puts the kind in *how. */
static int
match(X509 *x, const char *domain, enum fs_name_id *how)
{
	return x != NULL ? fs_cert_match_domain(x, domain, how) : -2;
}

static bool
all_printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static void
test_dns_helper(void)
{
	is_int(1, fs_name_match_dns("example.com", "example.com"), "DNS: exact");
	is_int(1, fs_name_match_dns("EXAMPLE.Com", "example.com"), "DNS: case-insensitive");
	is_int(1, fs_name_match_dns("example.com.", "example.com"), "DNS: trailing dot on the pattern");
	is_int(1, fs_name_match_dns("example.com", "example.com."), "DNS: trailing dot on the domain");
	is_int(0, fs_name_match_dns("example.com", "example.org"), "DNS: other name");
	is_int(0, fs_name_match_dns("example.com", "www.example.com"), "DNS: no suffix match");
	is_int(1, fs_name_match_dns("*.example.com", "chat.example.com"), "wildcard: one label");
	is_int(0, fs_name_match_dns("*.example.com", "a.chat.example.com"), "wildcard: not two labels");
	is_int(0, fs_name_match_dns("*.example.com", "example.com"), "wildcard: not the bare domain");
	is_int(0, fs_name_match_dns("*.com", "example.com"), "wildcard: *.com (2 labels) refused");
	is_int(0, fs_name_match_dns("x*.example.com", "xy.example.com"), "wildcard: x* refused");
	is_int(0, fs_name_match_dns("*x.example.com", "yx.example.com"), "wildcard: *x refused");
	is_int(0, fs_name_match_dns("xn--*.example.com", "xn--bcher-kva.example.com"),
	    "wildcard: partial A-label refused");
	is_int(1, fs_name_match_dns("*.example.com", "xn--bcher-kva.example.com"),
	    "wildcard: whole A-label label matches");
	is_int(0, fs_name_match_dns("a.*.example.com", "a.b.example.com"), "wildcard: not in the middle");
	is_int(0, fs_name_match_dns("*.*.example.com", "a.b.example.com"), "wildcard: only one");
	is_int(0, fs_name_match_dns("*.example.com", ".example.com"), "wildcard: not an empty label");
	is_int(0, fs_name_match_dns("*.example.com", "a.example.com.evil.test"),
	    "wildcard: the parent must end the name");
}

static void
test_match(EVP_PKEY *key)
{
	static const struct san dns[] = {
		{ SAN_DNS, "xmpp.example.org", 0 }, { SAN_DNS, "example.org", 0 }, { SAN_END, NULL, 0 } };
	static const struct san wild[] = { { SAN_DNS, "*.example.net", 0 }, { SAN_END, NULL, 0 } };
	static const struct san srv[] = {
		{ SAN_SRV, "_xmpp-server.example.com", 0 }, { SAN_END, NULL, 0 } };
	static const struct san srvc[] = {
		{ SAN_SRV, "_xmpp-client.example.com", 0 }, { SAN_END, NULL, 0 } };
	static const struct san xu[] = { { SAN_XMPP, "b\xc3\xbc" "cher.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san xa[] = { { SAN_XMPP, "xn--bcher-kva.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san xother[] = { { SAN_XMPP, "other.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san ulabel[] = { { SAN_DNS, "b\xc3\xbc" "cher.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san other[] = { { SAN_DNS, "other.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san uri[] = { { SAN_URI, "xmpp:other.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san fass[] = { { SAN_DNS, "xn--fa-hia.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san fass2[] = { { SAN_DNS, "fass.example", 0 }, { SAN_END, NULL, 0 } };
	static const struct san nul[] = { { SAN_DNS, "example.com\0.evil.test", 22 }, { SAN_END, NULL, 0 } };
	struct spec sp;
	enum fs_name_id how;
	X509 *x;

	memset(&sp, 0, sizeof(sp));
	sp.key = key;

	sp.sans = dns;
	x = make_cert(&sp);
	how = FS_NAMEID_CN;
	is_int(1, match(x, "example.org", &how), "DNS-ID exact matches");
	is_string("DNS-ID", fs_name_id_name(how), "... as DNS-ID");
	is_int(1, match(x, "EXAMPLE.Org.", &how), "DNS-ID: domain case and trailing dot ignored");
	is_int(0, match(x, "example.com", &how), "mismatch");
	is_int(FS_NAMEID_NONE, how, "... with how = none");
	is_int(0, match(x, "exa mple.org", &how), "invalid domain (space)");
	is_int(0, match(x, "", &how), "invalid domain (empty)");
	is_int(0, match(x, "a..example.org", &how), "invalid domain (empty label)");
	is_int(0, match(x, "*.example.org", &how), "invalid domain (wildcard)");
	is_int(FS_NAMEID_NONE, how, "... with how = none");
	X509_free(x);

	sp.sans = wild;
	x = make_cert(&sp);
	is_int(1, match(x, "chat.example.net", &how), "DNS-ID wildcard matches one label");
	is_string("DNS-ID (wildcard)", fs_name_id_name(how), "... as DNS-ID (wildcard)");
	is_int(0, match(x, "example.net", &how), "wildcard certificate: bare domain refused");
	is_int(0, match(x, "a.chat.example.net", &how), "wildcard certificate: two labels refused");
	X509_free(x);

	sp.sans = srv;
	x = make_cert(&sp);
	is_int(1, match(x, "example.com", &how), "SRV-ID _xmpp-server matches");
	is_string("SRV-ID", fs_name_id_name(how), "... as SRV-ID");
	is_int(0, match(x, "example.org", &how), "SRV-ID for another domain refused");
	X509_free(x);

	sp.sans = srvc;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "SRV-ID _xmpp-client refused");
	X509_free(x);

	sp.sans = xu;
	x = make_cert(&sp);
	is_int(1, match(x, "xn--bcher-kva.example", &how), "XmppAddr U-label matches A-label domain");
	is_string("XmppAddr", fs_name_id_name(how), "... as XmppAddr");
	X509_free(x);

	sp.sans = xa;
	x = make_cert(&sp);
	is_int(1, match(x, "b\xc3\xbc" "cher.example", &how), "XmppAddr A-label matches U-label domain");
	is_int(1, match(x, "B\xc3\x9c" "CHER.example", &how), "XmppAddr matches an upper-case U-label domain");
	X509_free(x);

	sp.sans = ulabel;
	x = make_cert(&sp);
	is_int(0, match(x, "b\xc3\xbc" "cher.example", &how), "a U-label dNSName is not an A-label: refused");
	X509_free(x);

	sp.sans = fass;
	x = make_cert(&sp);
	is_int(1, match(x, "fa\xc3\x9f.example", &how), "IDN: U-label domain matches its A-label DNS-ID");
	X509_free(x);
	sp.sans = fass2;
	x = make_cert(&sp);
	is_int(0, match(x, "fa\xc3\x9f.example", &how), "IDN non-transitional: fa\xc3\x9f is not fass");
	X509_free(x);

	sp.sans = nul;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "dNSName with an embedded NUL refused");
	X509_free(x);

	sp.sans = NULL;
	sp.cn = "example.com";
	x = make_cert(&sp);
	is_int(1, match(x, "example.com", &how), "CN used without subjectAltName");
	is_string("CN", fs_name_id_name(how), "... as CN");
	X509_free(x);

	sp.sans = other;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "CN ignored when a DNS-ID exists");
	X509_free(x);

	sp.sans = srvc;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "CN ignored when an SRV-ID (even _xmpp-client) exists");
	X509_free(x);

	sp.sans = xother;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "CN ignored when an XmppAddr exists");
	X509_free(x);

	sp.sans = uri;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "CN ignored when a URI-ID exists (RFC 6125 6.4.4)");
	X509_free(x);

	sp.sans = other;
	sp.dup_san = true;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "two subjectAltName extensions: no CN fallback");
	sp.dup_san = false;
	X509_free(x);

	sp.sans = NULL;
	sp.cn = "example.com\0.evil.test";
	sp.cnlen = 22;
	x = make_cert(&sp);
	is_int(0, match(x, "example.com", &how), "CN with an embedded NUL refused");
	X509_free(x);
}

static void
test_describe(EVP_PKEY *key, EVP_PKEY *edkey)
{
	static const struct san sans[] = {
		{ SAN_DNS, "example.com", 0 }, { SAN_DNS, "*.example.com", 0 },
		{ SAN_SRV, "_xmpp-server.example.com", 0 }, { SAN_XMPP, "b\xc3\xbc" "cher.example", 0 },
		{ SAN_IP, "192.0.2.1", 0 }, { SAN_IP, "2001:db8::1", 0 },
		{ SAN_URI, "xmpp:example.com", 0 }, { SAN_DNS, "a\nb\xc3\xbc.example", 0 }, { SAN_END, NULL, 0 } };
	static const char hostile[] = "evil\n\x1b[31m\xe2\x80\xae,ok\0!";
	struct san many[121];
	char names[120][32], want[FS_EV_TEXT];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct fs_cert_ev ev;
	struct spec sp;
	STACK_OF(X509) *chain;
	X509 *x;
	size_t n;

	memset(&sp, 0, sizeof(sp));
	sp.key = key;
	sp.cn = "xmpp.example.com";
	sp.org = "Example, Inc.";
	sp.sans = sans;
	x = make_cert(&sp);
	chain = sk_X509_new_null();
	sk_X509_push(chain, x);
	sk_X509_push(chain, x);
	is_int(0, x != NULL ? fs_cert_describe(x, chain, &ev) : -2, "describe succeeds");
	ok(ev.present, "present");
	is_string("CN=xmpp.example.com,O=Example\\, Inc.,C=DE", ev.subject, "subject, RFC 2253 style");
	is_string(ev.subject, ev.issuer, "issuer (self-signed)");
	is_string("DNS:example.com, DNS:*.example.com, SRV:_xmpp-server.example.com, "
	    "XMPP:b\xc3\xbc" "cher.example, IP:192.0.2.1, IP:2001:db8::1, URI:xmpp:example.com, "
	    "DNS:a\\x0Ab\\xC3\\xBC.example", ev.sans,
	    "SANs text (SRV, XMPP, IP, URI; control and 8-bit bytes of a dNSName escaped)");
	is_string("2025-01-01T00:00:00Z", ev.not_before, "not_before ISO 8601");
	is_string("2027-01-31T12:00:00Z", ev.not_after, "not_after ISO 8601");
	is_int(NOT_AFTER, ev.not_after_epoch, "not_after_epoch");
	is_int(95, strlen(ev.sha256), "SHA-256 fingerprint is 95 characters");
	X509_digest(x, EVP_sha256(), md, &mdlen);
	for (i = 0, n = 0; i < mdlen; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%02X", i ? ":" : "", md[i]);
	is_string(want, ev.sha256, "fingerprint is upper-case hex with colons");
	is_string("EC prime256v1", ev.key, "key");
	is_string("ecdsa-with-SHA256", ev.sig_alg, "signature algorithm");
	is_int(2, ev.chain_len, "chain_len");
	sk_X509_free(chain);
	X509_free(x);

	/* A hostile CN: controls, a bidi override and a NUL come out escaped. */
	sp.cn = hostile;
	sp.cnlen = (int)sizeof(hostile) - 1;
	sp.org = NULL;
	sp.sans = NULL;
	x = make_cert(&sp);
	is_int(0, x != NULL ? fs_cert_describe(x, NULL, &ev) : -2, "describe a hostile CN");
	is_string("CN=evil\\x0A\\x1B[31m\\xE2\\x80\\xAE\\,ok\\x00!", ev.subject, "hostile CN escaped");
	ok(all_printable_ascii(ev.subject) && all_printable_ascii(ev.issuer),
	    "subject and issuer printable");
	is_string("", ev.sans, "no SANs: empty text");
	is_int(1, ev.chain_len, "chain NULL: chain_len 1");
	X509_free(x);

	/* Many SANs: whole entries only, then "...", within the field. */
	for (i = 0; i < 120; i++) {
		snprintf(names[i], sizeof(names[i]), "host-%03u.example.com", i);
		many[i].kind = SAN_DNS;
		many[i].value = names[i];
		many[i].len = 0;
	}
	many[120].kind = SAN_END;
	sp.cn = "example.com";
	sp.cnlen = 0;
	sp.sans = many;
	x = make_cert(&sp);
	is_int(0, x != NULL ? fs_cert_describe(x, NULL, &ev) : -2, "describe 120 SANs");
	n = strlen(ev.sans);
	ok(n < sizeof(ev.sans) && n > 900 && strcmp(ev.sans + n - 15, ".example.com...") == 0,
	    "long SAN list cut after a whole entry, marked with ...");
	X509_free(x);

	memset(&sp, 0, sizeof(sp));
	sp.key = edkey;
	sp.cn = "example.com";
	x = make_cert(&sp);
	is_int(0, x != NULL ? fs_cert_describe(x, NULL, &ev) : -2, "describe Ed25519");
	is_string("ED25519", ev.key, "Ed25519 key");
	is_string("ED25519", ev.sig_alg, "Ed25519 signature");
	X509_free(x);

	is_int(-1, fs_cert_describe(NULL, NULL, &ev), "describe NULL leaf: -1");
	ok(!ev.present, "... and present false");
}

int
main(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *edkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (!ok(key != NULL && edkey != NULL, "test keys generated")) {
		EVP_PKEY_free(key);
		EVP_PKEY_free(edkey);
		return done_testing();
	}
	test_dns_helper();
	test_match(key);
	test_describe(key, edkey);
	is_string("", fs_name_id_name(FS_NAMEID_NONE), "name of NONE is empty");
	is_int(-1, fs_cert_match_domain(NULL, "example.com", NULL), "match NULL leaf: -1");
	EVP_PKEY_free(key);
	EVP_PKEY_free(edkey);
	return done_testing();
}
