/* reach.c: telling a connection that failed because of the auditing host from one the partner refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net/reach.h"

/*
 * Only errors that connect() or socket() return at once: they come from this host's routing table and
 * addresses, before a packet leaves. The same ENETUNREACH arriving later (SO_ERROR) can be an ICMP "network
 * unreachable" from a router on the way, which says something about the partner's network: not counted here.
 */
bool
fs_reach_local_errno(int err)
{
	return err == ENETUNREACH || err == EADDRNOTAVAIL || err == EAFNOSUPPORT;
}

void
fs_reach_note_local(struct fs_conn_ev *ev, int err, int family)
{
	const char *fam = family == AF_INET6 ? "IPv6" : "IPv4";
	char text[FS_EV_TEXT];

	ev->local_unreachable = true;
	/* EADDRNOTAVAIL: the host has no address of the family to send from (Linux, IPv6 disabled): no route either. */
	if (err == EAFNOSUPPORT)
		snprintf(text, sizeof(text), "not reachable from this host: %s is not supported here (%s)", fam,
		    strerror(err));
	else
		snprintf(text, sizeof(text), "not reachable from this host: no %s route (%s)", fam, strerror(err));
	FS_EV_SET(ev->connect_error, text);
	FS_EV_SET(ev->close_reason, text);
}
