/* dane_infer.c: the DNSSEC and DANE problems of an endpoint, from its evidence (fedscan(1), DNSSEC AND DANE). */
#include <stdio.h>
#include <string.h>

#include "fedscan/infer.h"

const char *
fs_dane_status(const struct fs_dane_ev *ev)
{
	if (!ev->looked_up)
		return "not-looked-up";
	if (ev->srv == FS_DNSSEC_BOGUS || ev->addr == FS_DNSSEC_BOGUS || ev->tlsa == FS_DNSSEC_BOGUS)
		return "bogus";
	if (ev->result == FS_DANE_VALID)
		return "valid";
	if (ev->result == FS_DANE_MISMATCH)
		return "mismatch";
	if (ev->usable)
		return "not-checked";
	if (ev->tlsa == FS_DNSSEC_UNKNOWN)
		return "unknown";
	if (ev->ntlsa == 0)
		return "no-tlsa";
	return "insecure";
}

void
fs_infer_dane(const struct fs_domain_ev *d, const struct fs_endpoint_ev *ep, const char *where,
    struct fs_inference *r)
{
	const struct fs_dane_ev *x = &ep->dane;
	char names[FS_EV_TEXT] = "", text[FS_EV_TEXT];
	size_t n = 0;

	if (!x->looked_up)
		return;
	/* A bogus answer is a finding of its own, never "no records": validating servers cannot use it. */
	if (x->srv == FS_DNSSEC_BOGUS)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "_%s-server._tcp.%s",
		    ep->source == FS_SRC_SRV_TLS ? "xmpps" : "xmpp", d->domain_ascii[0] ? d->domain_ascii : d->domain);
	if (x->addr == FS_DNSSEC_BOGUS && n < sizeof(names))
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s (A/AAAA)", n > 0 ? ", " : "", ep->host);
	if (x->tlsa == FS_DNSSEC_BOGUS && n < sizeof(names))
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s (TLSA)", n > 0 ? ", " : "", x->tlsa_name);
	if (n > 0) {
		snprintf(text, sizeof(text), "%s: DNSSEC validation failed for %s: servers that validate DNSSEC cannot "
		    "use this endpoint", where, names);
		fs_infer_add_problem(r, FS_P_DNSSEC_BOGUS, text);
	}
	if (x->result == FS_DANE_MISMATCH) {
		snprintf(text, sizeof(text), "%s: the certificate matches none of the DNSSEC-secure TLSA records at %s "
		    "(%s): servers that validate DANE will refuse this partner", where, x->tlsa_name, x->detail);
		fs_infer_add_problem(r, FS_P_DANE_MISMATCH, text);
	}
}
