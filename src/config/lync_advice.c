/* lync_advice.c: Lync Server 2013 / Skype for Business words out: the New-CsXmppAllowedPartner line for a partner. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "fedscan/lync.h"
#include "fedscan/matrix.h"

/* A PowerShell argument: bare when it is a plain host name, else single-quoted with quotes doubled. */
static void
ps_arg(char *dst, size_t size, const char *v)
{
	size_t i, o = 0;
	bool bare = v[0] != '\0';

	for (i = 0; v[i]; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '.' && v[i] != '-' && v[i] != '_')
			bare = false;
	if (bare) {
		snprintf(dst, size, "%s", v);
		return;
	}
	if (size < 3) {
		if (size > 0)
			dst[0] = '\0';
		return;
	}
	dst[o++] = '\'';
	for (i = 0; v[i] && o + 3 < size; i++) {
		const unsigned char *u = (const unsigned char *)v + i;
		/* PowerShell also closes a string at the typographic quotes U+2018..U+201B: double them too. */
		bool tq = u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9B;

		if (v[i] == '\'') {
			dst[o++] = '\'';
			dst[o++] = '\'';
		} else if (tq && o + 7 < size) {
			memcpy(dst + o, v + i, 3);
			memcpy(dst + o + 3, v + i, 3);
			o += 6;
			i += 2;
		} else if ((unsigned char)v[i] >= 0x20 && v[i] != 0x7f && !tq) {
			dst[o++] = v[i];
		}
	}
	dst[o++] = '\'';
	dst[o] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
note_add(struct fs_lync_advice *a, const char *fmt, ...)
{
	size_t n = strlen(a->note);
	va_list ap;

	if (n > 0 && n + 1 < sizeof(a->note))
		a->note[n++] = ' ';
	if (n + 1 >= sizeof(a->note))
		return;
	va_start(ap, fmt);
	vsnprintf(a->note + n, sizeof(a->note) - n, fmt, ap);
	va_end(ap);
}

static bool
is_address(const char *h)
{
	unsigned char b[16];

	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

void
fs_lync_advise(const char *domain, const struct fs_setting *s, const char *proxy, int proxy_port,
    struct fs_lync_advice *out)
{
	char id[600], px[600], what[600] = "";
	struct fs_setting eff = *s;
	const struct fs_matrix_row *row;

	memset(out, 0, sizeof(*out));
	ps_arg(id, sizeof(id), domain);
	if (s->tls == FS_LEVEL_UNKNOWN || s->sasl == FS_LEVEL_UNKNOWN || s->dialback == FS_DIALBACK_UNKNOWN) {
		if (s->tls == FS_LEVEL_UNKNOWN)
			snprintf(what, sizeof(what), "whether the partner requires, offers or refuses TLS (-TlsNegotiation)");
		if (s->sasl == FS_LEVEL_UNKNOWN)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%swhether it accepts SASL EXTERNAL "
			    "with a certificate valid for our domain (-SaslNegotiation)", what[0] ? "; " : "");
		if (s->dialback == FS_DIALBACK_UNKNOWN)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%swhether it accepts server dialback "
			    "(-SupportDialbackNegotiation)", what[0] ? "; " : "");
		note_add(out, "No New-CsXmppAllowedPartner line for %s yet: find out %s.", id, what);
		return;
	}
	/* JJ552447: Lync refuses SASL without TLS; with TLS NotSupported SASL cannot happen, so say NotSupported. */
	if (eff.tls == FS_LEVEL_NOTSUPPORTED && eff.sasl != FS_LEVEL_NOTSUPPORTED) {
		note_add(out, "-SaslNegotiation NotSupported rather than %s: Lync refuses SASL when TLS is NotSupported, "
		    "and without TLS SASL cannot happen.", fs_level_name(eff.sasl));
		eff.sasl = FS_LEVEL_NOTSUPPORTED;
	}
	snprintf(out->powershell, sizeof(out->powershell), "New-CsXmppAllowedPartner -Identity %s -TlsNegotiation %s "
	    "-SaslNegotiation %s -SupportDialbackNegotiation %s", id, fs_level_name(eff.tls), fs_level_name(eff.sasl),
	    eff.dialback == FS_DIALBACK_TRUE ? "$true" : "$false");
	if (proxy != NULL && proxy[0] != '\0') {
		ps_arg(px, sizeof(px), proxy);
		snprintf(out->powershell + strlen(out->powershell), sizeof(out->powershell) - strlen(out->powershell),
		    " -ProxyFqdn %s", px);
		if (is_address(proxy))
			note_add(out, "-ProxyFqdn expects the host name of the partner's server; %s is an address.", px);
		if (proxy_port > 0 && proxy_port != 5269)
			note_add(out, "-ProxyFqdn has no port: the endpoint audited listens on port %d, not 5269.",
			    proxy_port);
	}
	row = fs_policy_row(&eff);
	if (row != NULL && row->methods == 0)
		note_add(out, "This setting (matrix row %d) accepts no authentication method: no session can be "
		    "negotiated with this partner as it is.", row->row);
	out->known = true;
}
