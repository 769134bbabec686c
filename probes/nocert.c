/* nocert.c: probe C4: C1 without our certificate, to tell "EXTERNAL only" from "dialback too" (rule S6). */
#include "fedscan/probe.h"

static bool
applies(const struct fs_probe_env *env)
{
	/* Without --client-cert, C1 already is this probe. */
	return env->have_client_cert && !env->endpoint_direct_tls;
}

const struct fs_probe fs_probe_nocert = {
	.name = "starttls-nocert",
	.help = "as starttls, without a client certificate: does dialback over TLS work for a peer without one",
	.kind = FS_CONN_STARTTLS_NOCERT,
	.flags = FS_PF_STARTTLS | FS_PF_DIALBACK,
	.applies = applies,
};
