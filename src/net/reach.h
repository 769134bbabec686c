/* reach.h: telling a connection that failed because of the auditing host from one the partner refused. */
#ifndef FEDSCAN_NET_REACH_H
#define FEDSCAN_NET_REACH_H

#include <stdbool.h>

#include "fedscan/evidence.h"

/* Whether err, returned at once by socket() or connect(), is the auditing host's: no route, no source address. */
bool fs_reach_local_errno(int err);
/* Record on ev that the host cannot reach an address of family (AF_INET, AF_INET6): the flag and the words. */
void fs_reach_note_local(struct fs_conn_ev *ev, int err, int family);

#endif
