/* capture.h: --capture: a live libpcap capture of the audit's own connections, and the TLS key log beside it. */
#ifndef FEDSCAN_CAPTURE_H
#define FEDSCAN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct event_base;
struct fs_capture;

/* The device captured on: "any" sees every interface on Linux (Linux cooked headers, DLT_LINUX_SLL). */
#define FS_CAPTURE_DEVICE "any"

/*
 * Open the capture before anything is scanned: a live handle on device (NULL:
 * FS_CAPTURE_DEVICE) whose filter matches nothing yet, the pcap file at path,
 * and path + ".keys" for the TLS secrets (NSS key log format). Both files are
 * created (or truncated) with mode 0600: they hold what partners sent, and the
 * keys decrypt it. 0, or -1 with err saying why (no permission to capture,
 * an unwritable file).
 */
int fs_capture_open(const char *path, const char *device, struct fs_capture **out, char *err, size_t errlen);
/* Add the TCP connections to address:port to the filter (called before each connect). 0, or -1 with err. */
int fs_capture_watch(struct fs_capture *c, const char *address, int port, char *err, size_t errlen);
/* Write packets as they come, from this event loop. 0, or -1. */
int fs_capture_attach(struct fs_capture *c, struct event_base *base);
/* The key log file to hand to TLS (fs_tls_ctx_set_keylog). */
FILE *fs_capture_keylog(struct fs_capture *c);
/* The key log's path. */
const char *fs_capture_keys_path(const struct fs_capture *c);
/* After the probes: write what is still queued (waiting up to linger_ms for the last packets), flush. */
void fs_capture_drain(struct fs_capture *c, long linger_ms);
/* Packets written, and packets the kernel dropped (its buffer was full). */
void fs_capture_counts(struct fs_capture *c, unsigned long *written, unsigned long *dropped);
/*
 * The tshark command that decrypts and decodes the capture, with the real file
 * names and a "-d tcp.port==P,xmpp" per port watched (tshark dissects XMPP only
 * on 5222 by its own). Written into buf; returns buf.
 */
const char *fs_capture_tshark_line(const struct fs_capture *c, const char *path, char *buf, size_t size);
/* The filter in force, for -v and the record. */
const char *fs_capture_filter(const struct fs_capture *c);
/* Close the files and the handle; NULL is allowed. */
void fs_capture_close(struct fs_capture *c);

#endif
