/* cert.c: certificate evidence and RFC 6125 / RFC 6120 §13.7 name matching for XMPP s2s. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <idn2.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fedscan/cert.h"
#include "fedscan/utf8.h"

#define DNS_MAX 253             /* longest domain name in text, without the trailing dot */
#define LABEL_MAX 63
#define IDN_IN_MAX 1024         /* longest U-label input we hand to libidn2 */
#define SRV_PREFIX "_xmpp-server."

static const char hexdigits[] = "0123456789ABCDEF";

/*
 * A bounded text builder. Units (one character, one escape, one list
 * entry) go in whole or not at all; after the first unit that does not
 * fit, nothing more goes in and sb_finish() appends "..." in the room
 * kept for it. buf must hold at least 4 bytes.
 */
struct sbuf {
	char *buf;
	size_t size;
	size_t len;
	bool cut;
};

static void
sb_init(struct sbuf *b, char *buf, size_t size)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->cut = false;
	buf[0] = '\0';
}

static bool
sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->cut || n > b->size - 4 - b->len) {
		b->cut = true;
		return false;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return true;
}

static bool
sb_puts(struct sbuf *b, const char *s)
{
	return sb_put(b, s, strlen(s));
}

static void
sb_finish(struct sbuf *b)
{
	if (b->cut) {
		memcpy(b->buf + b->len, "...", 4);
		b->len += 3;
	}
}

/* Code points shown escaped although well-formed: controls, invisible and bidirectional marks. */
static bool
cp_unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xad || c == 0x61c ||
	    (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
	    (c >= 0xfff9 && c <= 0xfffb) || c == 0xfffe || c == 0xffff ||
	    (c >= 0xe0000 && c <= 0xe007f);
}

/*
 * Append s[0..n) as printable UTF-8: "\" becomes "\\", a character of
 * specials gets a "\" before it, and each byte of an unsafe character, of
 * ill-formed UTF-8, or (ascii) of anything but ASCII becomes "\xHH".
 */
static bool
sb_put_escaped(struct sbuf *b, const unsigned char *s, size_t n, const char *specials,
    bool ascii)
{
	char tmp[16];
	size_t i = 0, len, m, j, k;
	uint32_t cp;

	while (i < n) {
		len = ascii && s[i] >= 0x80 ? 0 : fs_utf8_seq(s + i, n - i, &cp);
		if (len == 0 || cp_unsafe(cp)) {
			m = len ? len : 1;
			for (j = 0, k = 0; j < m; j++) {
				tmp[k++] = '\\';
				tmp[k++] = 'x';
				tmp[k++] = hexdigits[s[i + j] >> 4];
				tmp[k++] = hexdigits[s[i + j] & 0xf];
			}
			if (!sb_put(b, tmp, k))
				return false;
			i += m;
		} else if (cp == '\\' || (cp < 0x80 && specials != NULL &&
		    strchr(specials, (int)cp) != NULL)) {
			tmp[0] = '\\';
			tmp[1] = (char)cp;
			if (!sb_put(b, tmp, 2))
				return false;
			i++;
		} else {
			if (!sb_put(b, (const char *)s + i, len))
				return false;
			i += len;
		}
	}
	return true;
}

/*
 * Append an ASN.1 string as escaped UTF-8. The ASCII-only string types show
 * their bytes as they are (any 8-bit byte escaped); the others are converted
 * to UTF-8, or shown as raw bytes (escaped) when that fails.
 */
static bool
sb_put_asn1(struct sbuf *b, const ASN1_STRING *s, const char *specials)
{
	unsigned char *u = NULL;
	int n, type;
	bool ok;

	if (s == NULL)
		return true;
	type = ASN1_STRING_type(s);
	if (type == V_ASN1_IA5STRING || type == V_ASN1_PRINTABLESTRING ||
	    type == V_ASN1_VISIBLESTRING || type == V_ASN1_NUMERICSTRING)
		return sb_put_escaped(b, ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), specials, true);
	n = ASN1_STRING_to_UTF8(&u, s);
	if (n >= 0)
		ok = sb_put_escaped(b, u, (size_t)n, specials, false);
	else
		ok = sb_put_escaped(b, ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), specials, false);
	OPENSSL_free(u);
	return ok;
}

/* Append an object's short name, or its dotted OID. */
static bool
sb_put_obj(struct sbuf *b, const ASN1_OBJECT *obj, bool numeric)
{
	char oid[128];
	const char *sn = NULL;
	int nid;

	nid = OBJ_obj2nid(obj);
	if (!numeric && nid != NID_undef)
		sn = OBJ_nid2sn(nid);
	if (sn == NULL) {
		if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) < 0)
			oid[0] = '\0';
		oid[sizeof(oid) - 1] = '\0';
		sn = oid;
	}
	return sb_put_escaped(b, (const unsigned char *)sn, strlen(sn), NULL, true);
}

/* Append a name as "CN=a,O=b\, c,C=d" (RFC 2253 order; "+" joins a multi-valued RDN). */
static bool
sb_put_name(struct sbuf *b, const X509_NAME *name)
{
	const X509_NAME_ENTRY *e;
	int i, n, set, prev = -1;

	n = X509_NAME_entry_count(name);
	for (i = n - 1; i >= 0; i--) {
		e = X509_NAME_get_entry(name, i);
		if (e == NULL)
			continue;
		set = X509_NAME_ENTRY_set(e);
		if (i != n - 1 && !sb_puts(b, set == prev ? "+" : ","))
			return false;
		prev = set;
		if (!sb_put_obj(b, X509_NAME_ENTRY_get_object(e), false) ||
		    !sb_puts(b, "=") ||
		    !sb_put_asn1(b, X509_NAME_ENTRY_get_data(e), ",+\"<>;"))
			return false;
	}
	return true;
}

/* Append one subjectAltName entry as "TYPE:value". */
static void
sb_put_general_name(struct sbuf *b, const GENERAL_NAME *g)
{
	char ip[INET6_ADDRSTRLEN];
	ASN1_OBJECT *oid = NULL;
	ASN1_TYPE *val = NULL;
	const ASN1_OCTET_STRING *a;
	int nid;

	switch (g->type) {
	case GEN_DNS:
		sb_puts(b, "DNS:");
		sb_put_asn1(b, g->d.dNSName, NULL);
		break;
	case GEN_EMAIL:
		sb_puts(b, "email:");
		sb_put_asn1(b, g->d.rfc822Name, NULL);
		break;
	case GEN_URI:
		sb_puts(b, "URI:");
		sb_put_asn1(b, g->d.uniformResourceIdentifier, NULL);
		break;
	case GEN_IPADD:
		a = g->d.iPAddress;
		sb_puts(b, "IP:");
		if (a != NULL && ASN1_STRING_length(a) == 4 &&
		    inet_ntop(AF_INET, ASN1_STRING_get0_data(a), ip, sizeof(ip)) != NULL)
			sb_puts(b, ip);
		else if (a != NULL && ASN1_STRING_length(a) == 16 &&
		    inet_ntop(AF_INET6, ASN1_STRING_get0_data(a), ip, sizeof(ip)) != NULL)
			sb_puts(b, ip);
		else
			sb_puts(b, "(invalid)");
		break;
	case GEN_DIRNAME:
		sb_puts(b, "DirName:");
		sb_put_name(b, g->d.directoryName);
		break;
	case GEN_RID:
		sb_puts(b, "RID:");
		sb_put_obj(b, g->d.registeredID, true);
		break;
	case GEN_OTHERNAME:
		GENERAL_NAME_get0_otherName(g, &oid, &val);
		nid = oid != NULL ? OBJ_obj2nid(oid) : NID_undef;
		if (nid == NID_SRVName && val != NULL && val->type == V_ASN1_IA5STRING) {
			sb_puts(b, "SRV:");
			sb_put_asn1(b, val->value.ia5string, NULL);
		} else if (nid == NID_XmppAddr && val != NULL &&
		    val->type == V_ASN1_UTF8STRING) {
			sb_puts(b, "XMPP:");
			sb_put_asn1(b, val->value.utf8string, NULL);
		} else {
			sb_puts(b, "othername:");
			if (oid != NULL)
				sb_put_obj(b, oid, true);
		}
		break;
	case GEN_X400:
		sb_puts(b, "X400Name");
		break;
	case GEN_EDIPARTY:
		sb_puts(b, "EdiPartyName");
		break;
	default:
		sb_puts(b, "(unknown)");
		break;
	}
}

/* Every subjectAltName entry of every subjectAltName extension, ", "-separated, whole entries only. */
static void
describe_sans(X509 *leaf, char *dst, size_t size)
{
	char item[FS_EV_TEXT];
	struct sbuf list, e;
	GENERAL_NAMES *gens;
	X509_EXTENSION *ext;
	int pos = -1, i;

	sb_init(&list, dst, size);
	while ((pos = X509_get_ext_by_NID(leaf, NID_subject_alt_name, pos)) >= 0) {
		ext = X509_get_ext(leaf, pos);
		gens = ext != NULL ? X509V3_EXT_d2i(ext) : NULL;
		if (gens == NULL) {
			sb_puts(&list, list.len > 0 ? ", (undecodable subjectAltName)" :
			    "(undecodable subjectAltName)");
			continue;
		}
		for (i = 0; i < sk_GENERAL_NAME_num(gens) && !list.cut; i++) {
			sb_init(&e, item, sizeof(item));
			if (list.len > 0)
				sb_puts(&e, ", ");
			sb_put_general_name(&e, sk_GENERAL_NAME_value(gens, i));
			sb_finish(&e);
			sb_put(&list, e.buf, e.len);
		}
		GENERAL_NAMES_free(gens);
	}
	sb_finish(&list);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ISO 8601 UTC text of an ASN.1 time, and optionally its Unix time; false if unreadable. */
static bool
describe_time(const ASN1_TIME *t, char *dst, size_t size, int64_t *epoch)
{
	struct tm tm;
	char tmp[FS_EV_SHORT];

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		fs_ev_set(dst, size, "(invalid)");
		return false;
	}
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	fs_ev_set(dst, size, tmp);
	if (epoch != NULL)
		*epoch = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

/* "RSA 2048", "EC prime256v1", "ED25519", ... */
static void
describe_key(X509 *leaf, char *dst, size_t size)
{
	char tmp[FS_EV_SHORT], group[48];
	struct sbuf b;
	ASN1_OBJECT *alg = NULL;
	X509_PUBKEY *xpk;
	EVP_PKEY *pk;
	const char *name;
	size_t glen = 0;

	pk = X509_get0_pubkey(leaf);
	if (pk == NULL) {
		sb_init(&b, tmp, sizeof(tmp));
		sb_puts(&b, "unknown ");
		xpk = X509_get_X509_PUBKEY(leaf);
		if (xpk != NULL && X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpk) == 1 &&
		    alg != NULL)
			sb_put_obj(&b, alg, true);
		sb_finish(&b);
		fs_ev_set(dst, size, tmp);
		return;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		snprintf(tmp, sizeof(tmp), "RSA %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_RSA_PSS:
		snprintf(tmp, sizeof(tmp), "RSA-PSS %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_DSA:
		snprintf(tmp, sizeof(tmp), "DSA %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1)
			snprintf(tmp, sizeof(tmp), "EC %s", group);
		else
			snprintf(tmp, sizeof(tmp), "EC explicit %d", EVP_PKEY_get_bits(pk));
		break;
	case EVP_PKEY_ED25519:
		snprintf(tmp, sizeof(tmp), "ED25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(tmp, sizeof(tmp), "ED448");
		break;
	default:
		name = EVP_PKEY_get0_type_name(pk);
		snprintf(tmp, sizeof(tmp), "%s %d", name != NULL ? name : "unknown",
		    EVP_PKEY_get_bits(pk));
		break;
	}
	fs_ev_set(dst, size, tmp);
}

/* Name of the certificate's signature algorithm ("ecdsa-with-SHA256", "sha256WithRSAEncryption"). */
static void
describe_sig_alg(X509 *leaf, char *dst, size_t size)
{
	char tmp[FS_EV_SHORT], name[128];
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	struct sbuf b;

	X509_get0_signature(NULL, &alg, leaf);
	if (alg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(name, sizeof(name), obj, 0) < 0)
		snprintf(name, sizeof(name), "(unknown)");
	name[sizeof(name) - 1] = '\0';
	sb_init(&b, tmp, sizeof(tmp));
	sb_put_escaped(&b, (const unsigned char *)name, strlen(name), NULL, true);
	sb_finish(&b);
	fs_ev_set(dst, size, tmp);
}

int
fs_cert_describe(X509 *leaf, STACK_OF(X509) *chain, struct fs_cert_ev *out)
{
	char text[FS_EV_TEXT], sans[FS_EV_LONG];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct sbuf b;
	const X509_NAME *name;
	int ret = 0;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (leaf == NULL)
		return -1;
	ERR_set_mark();
	out->present = true;

	sb_init(&b, text, sizeof(text));
	if ((name = X509_get_subject_name(leaf)) != NULL)
		sb_put_name(&b, name);
	sb_finish(&b);
	FS_EV_SET(out->subject, text);

	sb_init(&b, text, sizeof(text));
	if ((name = X509_get_issuer_name(leaf)) != NULL)
		sb_put_name(&b, name);
	sb_finish(&b);
	FS_EV_SET(out->issuer, text);

	describe_sans(leaf, sans, sizeof(sans));
	FS_EV_SET(out->sans, sans);

	if (!describe_time(X509_get0_notBefore(leaf), out->not_before,
	    sizeof(out->not_before), NULL))
		ret = -1;
	if (!describe_time(X509_get0_notAfter(leaf), out->not_after,
	    sizeof(out->not_after), &out->not_after_epoch))
		ret = -1;

	if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1 && mdlen > 0 &&
	    mdlen * 3 <= sizeof(text)) {
		for (i = 0; i < mdlen; i++) {
			text[3 * i] = hexdigits[md[i] >> 4];
			text[3 * i + 1] = hexdigits[md[i] & 0xf];
			text[3 * i + 2] = ':';
		}
		text[3 * mdlen - 1] = '\0';
		FS_EV_SET(out->sha256, text);
	} else
		ret = -1;

	describe_key(leaf, out->key, sizeof(out->key));
	describe_sig_alg(leaf, out->sig_alg, sizeof(out->sig_alg));
	out->chain_len = chain != NULL ? sk_X509_num(chain) : 1;

	ERR_pop_to_mark();
	return ret;
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII only, whatever the locale) equality of n bytes. */
static bool
ascii_caseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* Labels of s[0..n): non-empty, printable ASCII other than "*"; returns their count, 0 if malformed. */
static size_t
count_labels(const char *s, size_t n)
{
	size_t i, labels = 1, lablen = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (lablen == 0)
				return 0;
			labels++;
			lablen = 0;
		} else if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '*')
			return 0;
		else
			lablen++;
	}
	return lablen == 0 ? 0 : labels;
}

int
fs_name_match_dns(const char *pattern, const char *domain_alabel)
{
	const char *rest, *dot, *last;
	size_t plen, dlen, rlen;

	if (pattern == NULL || domain_alabel == NULL)
		return 0;
	plen = strlen(pattern);
	dlen = strlen(domain_alabel);
	if (plen > 0 && pattern[plen - 1] == '.')
		plen--;
	if (dlen > 0 && domain_alabel[dlen - 1] == '.')
		dlen--;
	if (plen == 0 || dlen == 0 || plen > DNS_MAX || dlen > DNS_MAX ||
	    count_labels(domain_alabel, dlen) == 0)
		return 0;
	if (pattern[0] != '*')
		return count_labels(pattern, plen) > 0 && plen == dlen &&
		    ascii_caseeq(pattern, domain_alabel, plen);

	/* "*.<rest>": the wildcard is the whole left-most label, rest has 2+ labels. */
	if (plen < 2 || pattern[1] != '.')
		return 0;
	rest = pattern + 2;
	rlen = plen - 2;
	if (count_labels(rest, rlen) < 2)
		return 0;
	/* No wildcard over an IPv4-looking name (all-digit last label). */
	for (last = rest + rlen; last > rest && last[-1] != '.'; last--)
		;
	if (strspn(last, "0123456789") >= (size_t)(rest + rlen - last))
		return 0;
	dot = memchr(domain_alabel, '.', dlen);
	if (dot == NULL || dot == domain_alabel)
		return 0;
	dot++;
	return (size_t)(domain_alabel + dlen - dot) == rlen && ascii_caseeq(dot, rest, rlen);
}

/* s is a lowercase LDH host name: labels 1..63, no hyphen at either end, 253 at most. */
static bool
hostname_ok(const char *s)
{
	size_t n = strlen(s), i, lablen = 0;

	if (n == 0 || n > DNS_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (lablen == 0 || lablen > LABEL_MAX || s[i - 1] == '-')
				return false;
			lablen = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] == '-' && lablen > 0))
			lablen++;
		else
			return false;
	}
	return true;
}

/*
 * Convert a domain (UTF-8 U-labels or A-labels, one trailing dot allowed)
 * to lowercase A-labels in out (IDNA2008 with UTS #46 non-transitional
 * mapping). 1 if done, 0 if it is not a valid domain, -1 on allocation failure.
 */
static int
to_alabels(const char *in, size_t inlen, char *out, size_t outsize)
{
	char *tmp = NULL, *res = NULL;
	size_t i;
	int rc, ret = 0;

	if (inlen > 0 && in[inlen - 1] == '.')
		inlen--;
	if (inlen == 0 || inlen > IDN_IN_MAX || memchr(in, '\0', inlen) != NULL)
		return 0;
	if ((tmp = malloc(inlen + 1)) == NULL)
		return -1;
	memcpy(tmp, in, inlen);
	tmp[inlen] = '\0';
	rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&res, IDN2_NONTRANSITIONAL);
	if (rc == IDN2_MALLOC) {
		ret = -1;
		goto out;
	}
	if (rc != IDN2_OK || res == NULL)
		goto out;
	for (i = 0; res[i] != '\0'; i++)
		res[i] = ascii_lower(res[i]);
	if (!hostname_ok(res) || strlen(res) >= outsize)
		goto out;
	memcpy(out, res, strlen(res) + 1);
	ret = 1;
out:
	free(tmp);
	idn2_free(res);
	return ret;
}

/* Copy an IA5String-ish ASN.1 string as a C string if it is plain ASCII without NUL and fits. */
static bool
asn1_ascii(const ASN1_STRING *s, char *out, size_t outsize)
{
	const unsigned char *d;
	int i, n;

	if (s == NULL)
		return false;
	d = ASN1_STRING_get0_data(s);
	n = ASN1_STRING_length(s);
	if (d == NULL || n <= 0 || (size_t)n >= outsize)
		return false;
	for (i = 0; i < n; i++)
		if (d[i] == 0 || d[i] >= 0x80)
			return false;
	memcpy(out, d, (size_t)n);
	out[n] = '\0';
	return true;
}

/* Does one subjectAltName entry match want? Sets *ids when it is an identifier that rules out the CN. */
static int
match_general_name(const GENERAL_NAME *g, const char *want, bool *ids)
{
	char buf[DNS_MAX + 2 + sizeof(SRV_PREFIX)];
	ASN1_OBJECT *oid = NULL;
	ASN1_TYPE *val = NULL;
	const ASN1_STRING *s;
	int nid, r;

	switch (g->type) {
	case GEN_DNS:
		*ids = true;
		if (!asn1_ascii(g->d.dNSName, buf, sizeof(buf)) || !fs_name_match_dns(buf, want))
			return FS_NAMEID_NONE;
		return buf[0] == '*' ? FS_NAMEID_DNS_WILDCARD : FS_NAMEID_DNS;
	case GEN_URI:
		*ids = true;    /* a URI-ID (RFC 6125 §6.4.4); XMPP has no use for it */
		return FS_NAMEID_NONE;
	case GEN_OTHERNAME:
		GENERAL_NAME_get0_otherName(g, &oid, &val);
		nid = oid != NULL ? OBJ_obj2nid(oid) : NID_undef;
		if (nid == NID_SRVName) {
			*ids = true;
			if (val == NULL || val->type != V_ASN1_IA5STRING ||
			    !asn1_ascii(val->value.ia5string, buf, sizeof(buf)) ||
			    strlen(buf) <= strlen(SRV_PREFIX) ||
			    !ascii_caseeq(buf, SRV_PREFIX, strlen(SRV_PREFIX)))
				return FS_NAMEID_NONE;
			return fs_name_match_dns(buf + strlen(SRV_PREFIX), want) ?
			    FS_NAMEID_SRV : FS_NAMEID_NONE;
		}
		if (nid == NID_XmppAddr) {
			*ids = true;
			if (val == NULL || val->type != V_ASN1_UTF8STRING)
				return FS_NAMEID_NONE;
			s = val->value.utf8string;
			r = to_alabels((const char *)ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s), buf, sizeof(buf));
			if (r <= 0)
				return r;
			return strcmp(buf, want) == 0 ? FS_NAMEID_XMPPADDR : FS_NAMEID_NONE;
		}
		return FS_NAMEID_NONE;
	default:
		return FS_NAMEID_NONE;
	}
}

/* Does a subject CN (DNS rules, wildcards included; U-labels converted) match want? */
static int
match_cn(X509 *leaf, const char *want)
{
	char buf[DNS_MAX + 3];
	const X509_NAME *name;
	const X509_NAME_ENTRY *e;
	unsigned char *u = NULL;
	int pos = -1, n, r, ret = 0;
	size_t off;

	if ((name = X509_get_subject_name(leaf)) == NULL)
		return 0;
	while (ret == 0 &&
	    (pos = X509_NAME_get_index_by_NID(name, NID_commonName, pos)) >= 0) {
		if ((e = X509_NAME_get_entry(name, pos)) == NULL)
			continue;
		OPENSSL_free(u);
		u = NULL;
		n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
		if (n <= 0 || memchr(u, '\0', (size_t)n) != NULL)
			continue;
		/* Keep a "*." prefix as is and bring the rest to A-labels. */
		off = n > 2 && u[0] == '*' && u[1] == '.' ? 2 : 0;
		memcpy(buf, u, off);
		r = to_alabels((const char *)u + off, (size_t)n - off, buf + off,
		    sizeof(buf) - off);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r > 0 && fs_name_match_dns(buf, want))
			ret = 1;
	}
	OPENSSL_free(u);
	return ret;
}

/* Preference among matches: exact names first, the CN last. */
static int
name_id_rank(enum fs_name_id id)
{
	switch (id) {
	case FS_NAMEID_DNS:
		return 1;
	case FS_NAMEID_SRV:
		return 2;
	case FS_NAMEID_XMPPADDR:
		return 3;
	case FS_NAMEID_DNS_WILDCARD:
		return 4;
	case FS_NAMEID_CN:
		return 5;
	default:
		return 99;
	}
}

int
fs_cert_match_domain(X509 *leaf, const char *domain, enum fs_name_id *how)
{
	char want[DNS_MAX + 1];
	GENERAL_NAMES *gens = NULL;
	enum fs_name_id best = FS_NAMEID_NONE;
	bool ids = false;
	int crit = -1, i, r, ret = -1;

	if (how != NULL)
		*how = FS_NAMEID_NONE;
	if (leaf == NULL || domain == NULL)
		return -1;
	ERR_set_mark();
	r = to_alabels(domain, strlen(domain), want, sizeof(want));
	if (r <= 0) {
		ret = r;
		goto out;
	}
	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit != -1) {
		/* Several subjectAltName extensions, or one that does not decode: no CN fallback. */
		ret = 0;
		goto out;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		r = match_general_name(sk_GENERAL_NAME_value(gens, i), want, &ids);
		if (r < 0)
			goto out;
		if (name_id_rank((enum fs_name_id)r) < name_id_rank(best))
			best = (enum fs_name_id)r;
	}
	if (!ids) {
		if ((r = match_cn(leaf, want)) < 0)
			goto out;
		if (r > 0)
			best = FS_NAMEID_CN;
	}
	ret = best != FS_NAMEID_NONE;
	if (how != NULL)
		*how = best;
out:
	GENERAL_NAMES_free(gens);
	ERR_pop_to_mark();
	return ret;
}

const char *
fs_name_id_name(enum fs_name_id id)
{
	switch (id) {
	case FS_NAMEID_DNS:
		return "DNS-ID";
	case FS_NAMEID_DNS_WILDCARD:
		return "DNS-ID (wildcard)";
	case FS_NAMEID_SRV:
		return "SRV-ID";
	case FS_NAMEID_XMPPADDR:
		return "XmppAddr";
	case FS_NAMEID_CN:
		return "CN";
	default:
		return "";
	}
}
