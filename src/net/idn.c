/* idn.c: a partner domain in its two forms: A-labels for DNS and TLS SNI, U-labels for XMPP (RFC 5891, RFC 7622). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "fedscan/idn.h"

#define IDN_IN_MAX 1024

/* Whether a lookup form has an A-label ("xn--" at the start of a label). */
static int
has_alabel(const char *a)
{
	const char *p = a;

	for (;;) {
		if (strncasecmp(p, "xn--", 4) == 0)
			return 1;
		if ((p = strchr(p, '.')) == NULL)
			return 0;
		p++;
	}
}

int
fs_idn_forms(const char *domain, char *ulabel, size_t ulen, char *alabel, size_t alen, char *err, size_t errlen)
{
	char in[IDN_IN_MAX + 1];
	char *a = NULL, *a2 = NULL, *u = NULL, *p;
	size_t n = strlen(domain);
	int rc, ret = -1;

	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n > IDN_IN_MAX) {
		snprintf(err, errlen, "%s", n == 0 ? "empty name" : "name too long");
		return -1;
	}
	memcpy(in, domain, n);
	in[n] = '\0';
	/* RFC 5891 §5: the lookup form (A-labels), mapped by UTS #46 as browsers and cert.c do. */
	if ((rc = idn2_lookup_u8((const uint8_t *)in, (uint8_t **)&a, IDN2_NONTRANSITIONAL)) != IDN2_OK) {
		snprintf(err, errlen, "%s", idn2_strerror(rc));
		goto out;
	}
	for (p = a; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	/* RFC 7622 §3.2: an XMPP domainpart carries U-labels; A-labels are converted back. */
	if ((rc = idn2_to_unicode_8z8z(a, &u, 0)) != IDN2_OK) {
		snprintf(err, errlen, "%s", idn2_strerror(rc));
		goto out;
	}
	/* An A-label must be the A-label of its own U-label (RFC 5891 §5.4), not any string after "xn--". */
	idn2_free(a2);
	if ((rc = idn2_lookup_u8((const uint8_t *)u, (uint8_t **)&a2, IDN2_NONTRANSITIONAL)) != IDN2_OK ||
	    strcasecmp(a2, a) != 0) {
		snprintf(err, errlen, "%s", rc != IDN2_OK ? idn2_strerror(rc) : "an A-label that is not the encoding of "
		    "a valid U-label");
		goto out;
	}
	if (!has_alabel(a)) {
		/* Not internationalized: both forms are the name as given, so nothing else changes for it. */
		a[0] = u[0] = '\0';
		if (strlen(domain) >= alen || strlen(domain) >= ulen) {
			snprintf(err, errlen, "name too long");
			goto out;
		}
		memcpy(alabel, domain, strlen(domain) + 1);
		memcpy(ulabel, domain, strlen(domain) + 1);
		ret = 0;
		goto out;
	}
	if (strlen(a) > 253 || strlen(a) >= alen || strlen(u) >= ulen) {
		snprintf(err, errlen, "name too long");
		goto out;
	}
	memcpy(alabel, a, strlen(a) + 1);
	memcpy(ulabel, u, strlen(u) + 1);
	ret = 0;
out:
	idn2_free(a);
	idn2_free(a2);
	free(u);
	return ret;
}
