/* lync_import.h: Lync Server 2013 / Skype for Business words in: Get-CsXmppAllowedPartner | Export-Csv -> policy. */
#ifndef FEDSCAN_LYNC_IMPORT_H
#define FEDSCAN_LYNC_IMPORT_H

#include <stddef.h>
#include <stdio.h>

#include "fedscan/policyfile.h"

/*
 * Read what `Get-CsXmppAllowedPartner | Export-Csv` writes (RFC 4180 fields, an optional "#TYPE ..." first line,
 * a UTF-8 byte order mark, ',' or the ';' of -UseCulture) into a policy with one [partner] per row: Identity or
 * Domain, TlsNegotiation, SaslNegotiation, SupportDialbackNegotiation, ProxyFqdn, AdditionalDomains and
 * Description; other columns become comments. 0 with *out set, or -1 with err holding "NAME:LINE: problem" lines.
 */
int fs_lync_import(const char *name, FILE *in, struct fs_policyfile **out, char *err, size_t errlen);

#endif
