/* dialback_cert.c: probe C5: our certificate in the handshake, then dialback over TLS and never SASL, to tell
 * "only SASL" from "dialback too, for a peer with a valid certificate" (Prosody's s2s_secure_auth). */
#include "fedscan/infer.h"
#include "fedscan/probe.h"

extern const struct fs_probe fs_probe_nocert;

static bool
applies(const struct fs_probe_env *env)
{
	return env->have_client_cert && !env->endpoint_direct_tls;
}

/*
 * Only when dialback without our certificate left a question: a partner that took starttls-nocert's db:result for
 * verification (valid, a failed connect-back, or pending) accepts dialback over TLS, which is all this probe could
 * add (rules D1 and S6). A refusal, a policy error, a failed handshake or nothing at all: ask with the certificate.
 */
static bool
wanted(const struct fs_conn_ev *nocert)
{
	return !(nocert->attempted && nocert->dialback.over_tls && fs_infer_db_accepted(&nocert->dialback));
}

const struct fs_probe fs_probe_dialback_cert = {
	.name = "dialback-cert",
	.help = "STARTTLS with our client certificate, then a db:result over TLS without SASL",
	.kind = FS_CONN_DIALBACK_CERT,
	.flags = FS_PF_STARTTLS | FS_PF_CLIENT_CERT | FS_PF_DIALBACK | FS_PF_NO_SASL,
	.applies = applies,
	.after = &fs_probe_nocert,
	.wanted = wanted,
};
