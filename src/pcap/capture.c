/* capture.c: --capture: the audit's own connections, captured live with libpcap from the engine's event loop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <pcap/pcap.h>

#include "fedscan/capture.h"

/*
 * Enough for the largest IP packet (65535) and its link-layer header: nothing
 * is cut. Not larger: Linux's packet ring is cut into blocks of at least the
 * snapshot length, and fewer blocks drop more packets in a burst.
 */
#define SNAPLEN 65600
/* Kernel buffer: 256 such blocks, a few seconds of a busy audit. */
#define BUFFER_BYTES (32 * 1024 * 1024)
/* What matches no real packet (port 0 is never used), until the first endpoint is known. */
#define MATCH_NOTHING "tcp port 0"

struct fs_capture {
	pcap_t *h;
	pcap_dumper_t *dump;
	FILE *keys;
	char *keypath;
	char *filter;            /* the expression in force */
	size_t filterlen;
	unsigned nwatch;
	int ports[16];           /* distinct ports watched, for the tshark line */
	unsigned nports;
	struct event *ev;
	struct event *tick;
	unsigned long written;
};

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct fs_capture *c = (struct fs_capture *)user;

	pcap_dump((u_char *)c->dump, h, bytes);
	c->written++;
}

static int
dispatch(struct fs_capture *c)
{
	int n, total = 0;

	/* Non-blocking: returns 0 when nothing is queued. */
	while ((n = pcap_dispatch(c->h, 256, on_packet, (u_char *)c)) > 0)
		total += n;
	return total;
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	dispatch(arg);
}

int
fs_capture_open(const char *path, const char *device, struct fs_capture **out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct fs_capture *c;
	struct bpf_program prog;
	FILE *f = NULL;
	size_t n;
	int fd, rc;

	*out = NULL;
	if (device == NULL)
		device = FS_CAPTURE_DEVICE;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((c->h = pcap_create(device, ebuf)) == NULL) {
		snprintf(err, errlen, "--capture: cannot capture on '%s': %s", device, ebuf);
		goto out;
	}
	pcap_set_snaplen(c->h, SNAPLEN);
	pcap_set_immediate_mode(c->h, 1);
	pcap_set_buffer_size(c->h, BUFFER_BYTES);
	pcap_set_timeout(c->h, 100);
	rc = pcap_activate(c->h);
	if (rc < 0) {
		if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
			snprintf(err, errlen, "--capture: no permission to capture packets on '%s' (%s): run as root, or "
			    "give fedscan the capability: setcap cap_net_raw,cap_net_admin+ep %s", device,
			    pcap_geterr(c->h), "$(command -v fedscan)");
		else
			snprintf(err, errlen, "--capture: cannot capture on '%s': %s", device, pcap_geterr(c->h));
		goto out;
	}
	if (pcap_setnonblock(c->h, 1, ebuf) != 0) {
		snprintf(err, errlen, "--capture: %s", ebuf);
		goto out;
	}
	if (pcap_compile(c->h, &prog, MATCH_NOTHING, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
	    pcap_setfilter(c->h, &prog) != 0) {
		snprintf(err, errlen, "--capture: cannot set a filter: %s", pcap_geterr(c->h));
		goto out;
	}
	pcap_freecode(&prog);
	if ((c->filter = strdup(MATCH_NOTHING)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Created private: the packets hold what partners sent (plaintext dialback keys too). */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 || fchmod(fd, 0600) != 0 ||
	    (f = fdopen(fd, "wb")) == NULL) {
		snprintf(err, errlen, "--capture %s: %s", path, strerror(errno));
		if (fd >= 0 && f == NULL)
			close(fd);
		goto out;
	}
	if ((c->dump = pcap_dump_fopen(c->h, f)) == NULL) {
		snprintf(err, errlen, "--capture %s: %s", path, pcap_geterr(c->h));
		fclose(f);
		goto out;
	}
	pcap_dump_flush(c->dump);
	n = strlen(path) + 6;
	if ((c->keypath = malloc(n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(c->keypath, n, "%s.keys", path);
	f = NULL;
	if ((fd = open(c->keypath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 || fchmod(fd, 0600) != 0 ||
	    (c->keys = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "--capture: the key log %s: %s", c->keypath, strerror(errno));
		if (fd >= 0 && c->keys == NULL)
			close(fd);
		goto out;
	}
	*out = c;
	return 0;
out:
	fs_capture_close(c);
	return -1;
}

int
fs_capture_watch(struct fs_capture *c, const char *address, int port, char *err, size_t errlen)
{
	struct bpf_program prog;
	char term[160], *nf;
	size_t tl, n;

	if (c == NULL || address == NULL || strchr(address, ' ') != NULL || strlen(address) > 100)
		return 0;
	if (port <= 0)
		port = 5269;
	snprintf(term, sizeof(term), "(host %s and tcp port %d)", address, port);
	if (c->nwatch > 0 && strstr(c->filter, term) != NULL)
		return 0;
	{
		unsigned i;
		for (i = 0; i < c->nports && c->ports[i] != port; i++)
			continue;
		if (i == c->nports && c->nports < sizeof(c->ports) / sizeof(c->ports[0]))
			c->ports[c->nports++] = port;
	}
	tl = strlen(term);
	/* The filter only grows: packets already queued under the old one still match the new one. */
	if (c->nwatch == 0) {
		if ((nf = strdup(term)) == NULL)
			goto out;
	} else {
		n = strlen(c->filter) + 4 + tl + 1;
		if ((nf = malloc(n)) == NULL)
			goto out;
		snprintf(nf, n, "%s or %s", c->filter, term);
	}
	dispatch(c);
	if (pcap_compile(c->h, &prog, nf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "--capture: filter '%s': %s", nf, pcap_geterr(c->h));
		free(nf);
		return -1;
	}
	if (pcap_setfilter(c->h, &prog) != 0) {
		snprintf(err, errlen, "--capture: filter '%s': %s", nf, pcap_geterr(c->h));
		pcap_freecode(&prog);
		free(nf);
		return -1;
	}
	pcap_freecode(&prog);
	free(c->filter);
	c->filter = nf;
	c->nwatch++;
	return 0;
out:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fs_capture *c = arg;

	dispatch(c);
	pcap_dump_flush(c->dump);
}

int
fs_capture_attach(struct fs_capture *c, struct event_base *base)
{
	struct timeval tv = { 0, 250000 };
	int fd = pcap_get_selectable_fd(c->h);

	if (fd >= 0 && (c->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, c)) != NULL)
		event_add(c->ev, NULL);
	/* Also on a timer: flushes the file, and serves where the descriptor is not selectable. */
	if ((c->tick = event_new(base, -1, EV_PERSIST, on_tick, c)) == NULL)
		return -1;
	return event_add(c->tick, &tv);
}

FILE *
fs_capture_keylog(struct fs_capture *c)
{
	return c != NULL ? c->keys : NULL;
}

const char *
fs_capture_keys_path(const struct fs_capture *c)
{
	return c != NULL ? c->keypath : NULL;
}

const char *
fs_capture_tshark_line(const struct fs_capture *c, const char *path, char *buf, size_t size)
{
	size_t o;
	unsigned i;
	int n;

	n = snprintf(buf, size, "tshark -r %s -o tls.keylog_file:%s", path, c != NULL ? c->keypath : "FILE.keys");
	o = n > 0 && (size_t)n < size ? (size_t)n : 0;
	for (i = 0; c != NULL && (i < c->nports || (i == 0 && c->nports == 0)); i++) {
		n = snprintf(buf + o, size - o, " -d tcp.port==%d,xmpp", c->nports > 0 ? c->ports[i] : 5269);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
	if (o + 9 < size)
		memcpy(buf + o, " -Y xmpp", 9);
	return buf;
}

const char *
fs_capture_filter(const struct fs_capture *c)
{
	return c != NULL ? c->filter : "";
}

void
fs_capture_drain(struct fs_capture *c, long linger_ms)
{
	struct pollfd pfd;
	struct timespec t0, now;
	long quiet = 0;
	int fd;

	if (c == NULL)
		return;
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (c->tick != NULL) {
		event_free(c->tick);
		c->tick = NULL;
	}
	fd = pcap_get_selectable_fd(c->h);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The last FIN and ACK can still be on their way through the kernel: wait until 100 ms pass quietly. */
	for (;;) {
		if (dispatch(c) > 0)
			quiet = 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= linger_ms || quiet >= 100)
			break;
		if (fd >= 0) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 20) <= 0)
				quiet += 20;
		} else {
			usleep(20000);
			quiet += 20;
		}
	}
	pcap_dump_flush(c->dump);
	if (c->keys != NULL)
		fflush(c->keys);
}

void
fs_capture_counts(struct fs_capture *c, unsigned long *written, unsigned long *dropped)
{
	struct pcap_stat ps;

	*written = c != NULL ? c->written : 0;
	*dropped = 0;
	if (c != NULL && pcap_stats(c->h, &ps) == 0)
		*dropped = ps.ps_drop;
}

void
fs_capture_close(struct fs_capture *c)
{
	if (c == NULL)
		return;
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->tick != NULL)
		event_free(c->tick);
	if (c->dump != NULL)
		pcap_dump_close(c->dump);
	if (c->keys != NULL)
		fclose(c->keys);
	if (c->h != NULL)
		pcap_close(c->h);
	free(c->keypath);
	free(c->filter);
	free(c);
}
