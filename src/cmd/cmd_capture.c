/* cmd_capture.c: --capture for the commands that probe (check, scan): open, hook into the engine, finish. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fedscan/capture.h"
#include "fedscan/err.h"
#include "fedscan/log.h"
#include "cli.h"

/* The engine calls this before each connect(): the filter grows to take the endpoint in. */
static void
on_connect(void *ud, const char *address, int port)
{
	char err[512];

	if (fs_capture_watch(ud, address, port, err, sizeof(err)) != 0)
		fs_error("%s", err);
}

int
fs_cmd_capture_open(struct fs_cli *cli, struct fs_capture **out)
{
	char err[1024];

	*out = NULL;
	if (cli->capture == NULL)
		return 0;
	/* Before anything is scanned: without the capability to capture there is no audit to run (exit 3). */
	if (fs_capture_open(cli->capture, NULL, out, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	cli->eng.on_connect = on_connect;
	cli->eng.on_connect_ud = *out;
	cli->eng.keylog = fs_capture_keylog(*out);
	/* Authoritative mode: the partners' connections to our listener are part of the audit too. */
	if (cli->eng.listen_host != NULL &&
	    fs_capture_watch(*out, cli->eng.listen_host, cli->eng.listen_port, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		fs_capture_close(*out);
		*out = NULL;
		return FS_EXIT_ERROR;
	}
	return 0;
}

int
fs_cmd_capture_start(struct fs_cli *cli, struct fs_capture *c, struct fs_engine *e)
{
	if (c == NULL)
		return 0;
	if (fs_capture_attach(c, fs_engine_base(e)) != 0) {
		fs_error("--capture: cannot watch the capture from the event loop");
		return FS_EXIT_ERROR;
	}
	return 0;
}

json_t *
fs_cmd_capture_finish(struct fs_cli *cli, struct fs_capture *c)
{
	unsigned long written, dropped;
	char line[2048];
	json_t *o;

	if (c == NULL)
		return NULL;
	fs_capture_drain(c, 1000);
	fs_capture_counts(c, &written, &dropped);
	fs_capture_tshark_line(c, cli->capture, line, sizeof(line));
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "file", cli->capture, "keys", fs_capture_keys_path(c),
	    "filter", fs_capture_filter(c), "packets", (json_int_t)written, "dropped", (json_int_t)dropped,
	    "decrypt", line);
	if (!cli->json && cli->verbose >= 0) {
		printf("\nCapture: %lu packets written to ", written);
		fs_fputs_safe(cli->capture, stdout);
		printf("%s; TLS keys in ", dropped > 0 ? " (some dropped by the kernel)" : "");
		fs_fputs_safe(fs_capture_keys_path(c), stdout);
		fputs("\n  decrypt: ", stdout);
		fs_fputs_safe(line, stdout);
		fputc('\n', stdout);
	}
	return o;
}
