/* dialback_cert.c: probe C5: our certificate in the handshake, then dialback over TLS and never SASL, to tell
 * "only SASL" from "dialback too, for a peer with a valid certificate" (Prosody's s2s_secure_auth). */
#include "fedscan/evidence.h"
#include "fedscan/probe.h"

extern const struct fs_probe fs_probe_nocert;

static bool
applies(const struct fs_probe_env *env)
{
	return env->have_client_cert && !env->endpoint_direct_tls;
}

/*
 * Only when dialback without our certificate left a question that the certificate can answer. A partner that took
 * starttls-nocert's db:result for verification (valid, a failed connect-back, or pending) accepts dialback over TLS,
 * which is all this probe could add (rules D1 and S6). One that never spoke XMPP (no slot, unreachable, silent) or
 * stalled before dialback would do the same to this probe, a --timeout later. A refusal after TLS, a policy error,
 * a handshake that failed, a connection closed after TLS: ask again with the certificate.
 */
static bool
wanted(const struct fs_conn_ev *nocert)
{
	if (!nocert->attempted || !nocert->connected || !nocert->pre.header)
		return false;
	if (nocert->timed_out && nocert->dialback.result == FS_DB_NOT_SENT)
		return false;
	return !(nocert->dialback.over_tls &&
	    (fs_ev_db_verified(&nocert->dialback) || fs_ev_db_pending(&nocert->dialback)));
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
