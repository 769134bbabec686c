/* tls.h: OpenSSL client contexts for the probes, and what a finished handshake tells. */
#ifndef FEDSCAN_TLS_H
#define FEDSCAN_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "fedscan/evidence.h"

struct fs_tls_ctx;

/* Client contexts trusting ca_file (or the system store when NULL), with cert/key when given. 0, or -1 with err. */
int fs_tls_ctx_new(const char *ca_file, const char *cert, const char *key, struct fs_tls_ctx **out, char *err,
    size_t errlen);
/*
 * Write every session's secrets to f in the NSS key log format (one line per
 * secret, flushed at once), for Wireshark/tshark to decrypt a --capture; NULL
 * stops it. f must outlive the contexts.
 */
void fs_tls_ctx_set_keylog(struct fs_tls_ctx *t, FILE *f);
/* Free the contexts; NULL is allowed. */
void fs_tls_ctx_free(struct fs_tls_ctx *t);
/* A client session for fd: SNI = domain, ALPN xmpp-server when direct, our certificate when use_cert. NULL on error. */
SSL *fs_tls_session(struct fs_tls_ctx *t, int fd, const char *domain, bool direct, bool use_cert, struct fs_tls_ev *ev);
/* Whether the contexts can serve TLS (a certificate was given): needed for the authoritative listener. */
bool fs_tls_can_serve(const struct fs_tls_ctx *t);
/* A server session for an accepted fd, presenting our certificate and asking for the peer's. NULL on error. */
SSL *fs_tls_server_session(struct fs_tls_ctx *t, int fd);
/* After a server-side handshake: what the connecting partner presented, checked against its domain. */
void fs_tls_record_client(SSL *ssl, const char *peer_domain, struct fs_outbound_ev *ev);
/* After a completed handshake: record version, cipher, ALPN, chain and name checks against domain. */
void fs_tls_record(SSL *ssl, const char *domain, struct fs_tls_ev *ev);
/* Describe why a handshake step failed (after SSL_get_error said SSL_ERROR_SSL/SYSCALL) into ev->error. */
void fs_tls_record_error(SSL *ssl, int sslerr, struct fs_tls_ev *ev);

#endif
