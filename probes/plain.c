/* plain.c: probe C2: dialback without TLS ("TCP Dialback"), skipped when the peer requires TLS. */
#include "fedscan/probe.h"

static bool
applies(const struct fs_probe_env *env)
{
	return !env->endpoint_direct_tls;
}

const struct fs_probe fs_probe_plain = {
	.name = "plain",
	.help = "stream features without TLS and a db:result over plain TCP (TCP Dialback)",
	.kind = FS_CONN_PLAIN,
	.flags = FS_PF_PLAIN_ONLY | FS_PF_DIALBACK,
	.applies = applies,
};
