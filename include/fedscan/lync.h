/* lync.h: Lync Server 2013 / Skype for Business words out: the New-CsXmppAllowedPartner line for a partner. */
#ifndef FEDSCAN_LYNC_H
#define FEDSCAN_LYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "fedscan/settings.h"

#define FS_LYNC_TEXT 1024

/* What to type on the Lync side for one partner. */
struct fs_lync_advice {
	bool known;                       /* powershell holds the line; else note says what to find out */
	char powershell[FS_LYNC_TEXT];
	char note[FS_LYNC_TEXT];          /* a remark on the line, or what to find out; "" when nothing */
};

/*
 * The New-CsXmppAllowedPartner line for a partner whose setting is s (doc/protocol.md#lync: the values say what
 * Lync does with that partner, so they are the partner's effective setting). proxy: the host for -ProxyFqdn,
 * when the partner's endpoint is not found by SRV (NULL: none); proxy_port: that endpoint's port. With any field
 * Unknown there is no line, and the note names what to find out and which parameter it decides.
 */
void fs_lync_advise(const char *domain, const struct fs_setting *s, const char *proxy, int proxy_port,
    struct fs_lync_advice *out);

#endif
