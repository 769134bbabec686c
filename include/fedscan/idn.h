/* idn.h: a partner domain in its two forms: A-labels for DNS and TLS SNI, U-labels for XMPP (RFC 5891, RFC 7622). */
#ifndef FEDSCAN_IDN_H
#define FEDSCAN_IDN_H

#include <stddef.h>

/*
 * The forms of domain (either form, one trailing dot allowed): ulabel gets the XMPP domainpart (U-labels,
 * RFC 7622 §3.2), alabel the lowercase A-labels (IDNA2008 with UTS #46 non-transitional mapping, as the
 * certificate checks do). Returns 0, or -1 with err saying why the name is not a valid domain.
 */
int fs_idn_forms(const char *domain, char *ulabel, size_t ulen, char *alabel, size_t alen, char *err, size_t errlen);

#endif
