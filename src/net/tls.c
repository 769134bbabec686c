/* tls.c: OpenSSL client contexts for the probes, and what a finished handshake tells. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "fedscan/cert.h"
#include "fedscan/tls.h"

struct fs_tls_ctx {
	SSL_CTX *plain;     /* no client certificate */
	SSL_CTX *withcert;  /* --client-cert, when given */
	SSL_CTX *server;    /* the authoritative listener, with the same certificate */
};

/* The listener asks for the partner's certificate to record it, and judges it afterwards, never in the handshake. */
static int
accept_any(int ok, X509_STORE_CTX *x)
{
	return 1;
}

static SSL_CTX *
new_ctx(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *c;

	if ((c = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "OpenSSL: cannot create a TLS context");
		return NULL;
	}
	/* Verification is judged after the handshake (chain, RFC 6125 name), so evidence is complete either way. */
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	/*
	 * Most probe connections sit idle waiting for a dialback verdict: without this each keeps ~34 KiB of
	 * record buffers, the largest part of a connection in flight (bench/README.md).
	 */
	SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	if (ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(c, ca_file, NULL) != 1) {
			snprintf(err, errlen, "--ca-file %s: cannot load CA certificates (%s)", ca_file,
			    ERR_reason_error_string(ERR_get_error()));
			SSL_CTX_free(c);
			return NULL;
		}
	} else {
		SSL_CTX_set_default_verify_paths(c);
	}
	return c;
}

int
fs_tls_ctx_new(const char *ca_file, const char *cert, const char *key, struct fs_tls_ctx **out, char *err,
    size_t errlen)
{
	struct fs_tls_ctx *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((t->plain = new_ctx(ca_file, err, errlen)) == NULL)
		goto out;
	if (cert != NULL) {
		if ((t->withcert = new_ctx(ca_file, err, errlen)) == NULL)
			goto out;
		if (SSL_CTX_use_certificate_chain_file(t->withcert, cert) != 1) {
			snprintf(err, errlen, "--client-cert %s: cannot load a PEM certificate (%s)", cert,
			    ERR_reason_error_string(ERR_get_error()));
			goto out;
		}
		if (SSL_CTX_use_PrivateKey_file(t->withcert, key != NULL ? key : cert, SSL_FILETYPE_PEM) != 1) {
			snprintf(err, errlen, "--client-key %s: cannot load a PEM private key (%s)",
			    key != NULL ? key : cert, ERR_reason_error_string(ERR_get_error()));
			goto out;
		}
		if (SSL_CTX_check_private_key(t->withcert) != 1) {
			snprintf(err, errlen, "--client-key does not match --client-cert");
			goto out;
		}
		if ((t->server = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(t->server, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(t->server, key != NULL ? key : cert, SSL_FILETYPE_PEM) != 1) {
			snprintf(err, errlen, "cannot serve TLS with --client-cert %s", cert);
			goto out;
		}
		if (ca_file != NULL)
			SSL_CTX_load_verify_locations(t->server, ca_file, NULL);
		else
			SSL_CTX_set_default_verify_paths(t->server);
		SSL_CTX_set_verify(t->server, SSL_VERIFY_PEER, accept_any);
		SSL_CTX_set_mode(t->server, SSL_MODE_RELEASE_BUFFERS);
	}
	*out = t;
	return 0;
out:
	ERR_clear_error();
	fs_tls_ctx_free(t);
	return -1;
}

/* SSL_CTX_set_keylog_callback: the line comes without its newline (NSS key log format). */
static void
keylog_line(const SSL *ssl, const char *line)
{
	FILE *f = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));

	if (f == NULL)
		return;
	fputs(line, f);
	fputc('\n', f);
	fflush(f);
}

void
fs_tls_ctx_set_keylog(struct fs_tls_ctx *t, FILE *f)
{
	SSL_CTX *cs[3];
	int i;

	if (t == NULL)
		return;
	cs[0] = t->plain;
	cs[1] = t->withcert;
	cs[2] = t->server;
	for (i = 0; i < 3; i++) {
		if (cs[i] == NULL)
			continue;
		SSL_CTX_set_app_data(cs[i], f);
		SSL_CTX_set_keylog_callback(cs[i], f != NULL ? keylog_line : NULL);
	}
}

void
fs_tls_ctx_free(struct fs_tls_ctx *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->plain);
	SSL_CTX_free(t->withcert);
	SSL_CTX_free(t->server);
	free(t);
}

/* Seeing the CertificateRequest is rule S1's evidence: without one, SASL EXTERNAL cannot happen. */
static void
msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct fs_tls_ev *ev = arg;
	const unsigned char *p = buf;

	if (ev == NULL || content_type != SSL3_RT_HANDSHAKE || len < 1)
		return;
	if (!write_p && p[0] == SSL3_MT_CERTIFICATE_REQUEST)
		ev->cert_requested = true;
}

SSL *
fs_tls_session(struct fs_tls_ctx *t, int fd, const char *domain, bool direct, bool use_cert, struct fs_tls_ev *ev)
{
	static const unsigned char alpn[] = "\x0bxmpp-server";
	SSL_CTX *c = (use_cert && t->withcert != NULL) ? t->withcert : t->plain;
	SSL *ssl;

	if ((ssl = SSL_new(c)) == NULL)
		return NULL;
	SSL_set_fd(ssl, fd);
	SSL_set_connect_state(ssl);
	/* RFC 6120 §13.7.2.1 / XEP-0368 §3: SNI is the source domain, never the SRV target. */
	SSL_set_tlsext_host_name(ssl, domain);
	if (direct)
		SSL_set_alpn_protos(ssl, alpn, sizeof(alpn) - 1);
	SSL_set_msg_callback(ssl, msg_cb);
	SSL_set_msg_callback_arg(ssl, ev);
	ev->attempted = true;
	return ssl;
}

void
fs_tls_record(SSL *ssl, const char *domain, struct fs_tls_ev *ev)
{
	const unsigned char *a = NULL;
	unsigned alen = 0;
	X509 *leaf;
	STACK_OF(X509) *chain;
	enum fs_name_id how = FS_NAMEID_NONE;
	long vr;

	ev->ok = true;
	FS_EV_SET(ev->version, SSL_get_version(ssl));
	FS_EV_SET(ev->cipher, SSL_get_cipher_name(ssl));
	SSL_get0_alpn_selected(ssl, &a, &alen);
	if (alen > 0 && alen < sizeof(ev->alpn)) {
		memcpy(ev->alpn, a, alen);
		ev->alpn[alen] = '\0';
	}
	ev->cert_sent = ev->cert_requested && SSL_get_certificate(ssl) != NULL;
	vr = SSL_get_verify_result(ssl);
	ev->verify_code = (int)vr;
	ev->chain_ok = vr == X509_V_OK;
	if (vr != X509_V_OK)
		FS_EV_SET(ev->verify_error, X509_verify_cert_error_string(vr));
	leaf = SSL_get1_peer_certificate(ssl);
	chain = SSL_get_peer_cert_chain(ssl);
	if (leaf == NULL) {
		ev->chain_ok = false;
		FS_EV_SET(ev->verify_error, "the server sent no certificate");
		return;
	}
	fs_cert_describe(leaf, chain, &ev->cert);
	ev->name_ok = fs_cert_match_domain(leaf, domain, &how) == 1;
	FS_EV_SET(ev->name_match, fs_name_id_name(how));
	ev->expired = X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0 || vr == X509_V_ERR_CERT_HAS_EXPIRED;
	X509_free(leaf);
}

void
fs_tls_record_error(SSL *ssl, int sslerr, struct fs_tls_ev *ev)
{
	unsigned long e = ERR_get_error();
	char buf[FS_EV_TEXT];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		FS_EV_SET(ev->error, buf);
	} else if (sslerr == SSL_ERROR_SYSCALL) {
		FS_EV_SET(ev->error, errno != 0 ? strerror(errno) : "the peer closed the connection during the handshake");
	} else if (sslerr == SSL_ERROR_ZERO_RETURN) {
		FS_EV_SET(ev->error, "the peer closed the TLS session during the handshake");
	} else {
		snprintf(buf, sizeof(buf), "TLS handshake failed (SSL error %d)", sslerr);
		FS_EV_SET(ev->error, buf);
	}
	ERR_clear_error();
}

bool
fs_tls_can_serve(const struct fs_tls_ctx *t)
{
	return t->server != NULL;
}

SSL *
fs_tls_server_session(struct fs_tls_ctx *t, int fd)
{
	SSL *ssl;

	if (t->server == NULL || (ssl = SSL_new(t->server)) == NULL)
		return NULL;
	SSL_set_fd(ssl, fd);
	SSL_set_accept_state(ssl);
	return ssl;
}

void
fs_tls_record_client(SSL *ssl, const char *peer_domain, struct fs_outbound_ev *ev)
{
	X509 *peer;
	long vr;
	char buf[FS_EV_TEXT];

	ev->tls_ok = true;
	FS_EV_SET(ev->tls_version, SSL_get_version(ssl));
	if ((peer = SSL_get1_peer_certificate(ssl)) == NULL)
		return;
	ev->client_cert = true;
	X509_NAME_oneline(X509_get_subject_name(peer), buf, sizeof(buf));
	FS_EV_SET(ev->cert_subject, buf);
	vr = SSL_get_verify_result(ssl);
	ev->cert_chain_ok = vr == X509_V_OK;
	if (vr != X509_V_OK)
		FS_EV_SET(ev->cert_error, X509_verify_cert_error_string(vr));
	ev->cert_name_ok = peer_domain[0] != '\0' && fs_cert_match_domain(peer, peer_domain, NULL) == 1;
	if (!ev->cert_name_ok && ev->cert_error[0] == '\0')
		FS_EV_SET(ev->cert_error, "the certificate does not name the partner domain");
	X509_free(peer);
}
