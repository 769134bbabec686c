/* dialback_cert.c: probe C5: our certificate in the handshake, then dialback over TLS and never SASL, to tell
 * "only SASL" from "dialback too, for a peer with a valid certificate" (Prosody's s2s_secure_auth). */
#include "fedscan/probe.h"

static bool
applies(const struct fs_probe_env *env)
{
	return env->have_client_cert && !env->endpoint_direct_tls;
}

const struct fs_probe fs_probe_dialback_cert = {
	.name = "dialback-cert",
	.help = "STARTTLS with our client certificate, then a db:result over TLS without SASL",
	.kind = FS_CONN_DIALBACK_CERT,
	.flags = FS_PF_STARTTLS | FS_PF_CLIENT_CERT | FS_PF_DIALBACK | FS_PF_NO_SASL,
	.applies = applies,
};
