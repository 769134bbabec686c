/* direct_tls.c: probe C3: TLS first (XEP-0368, _xmpps-server), then EXTERNAL and dialback as on C1. */
#include "fedscan/probe.h"

static bool
applies(const struct fs_probe_env *env)
{
	return env->endpoint_direct_tls;
}

const struct fs_probe fs_probe_direct_tls = {
	.name = "direct-tls",
	.help = "TLS from the first byte (XEP-0368) with ALPN xmpp-server, then SASL EXTERNAL and dialback",
	.kind = FS_CONN_DIRECT_TLS,
	.flags = FS_PF_TLS_FIRST | FS_PF_CLIENT_CERT | FS_PF_DIALBACK,
	.applies = applies,
};
