/* starttls.c: probe C1: header, STARTTLS, TLS, SASL EXTERNAL with our certificate, then dialback over TLS. */
#include "fedscan/probe.h"

static bool
applies(const struct fs_probe_env *env)
{
	return !env->endpoint_direct_tls;
}

const struct fs_probe fs_probe_starttls = {
	.name = "starttls",
	.help = "stream features, STARTTLS, the TLS handshake and certificate, SASL EXTERNAL, dialback over TLS",
	.kind = FS_CONN_STARTTLS,
	.flags = FS_PF_STARTTLS | FS_PF_CLIENT_CERT | FS_PF_DIALBACK,
	.applies = applies,
};
