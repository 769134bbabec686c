/* cmd_pcap.c: `fedscan pcap FILE...`: audit partners passively from captured s2s traffic, recorded like a scan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "fedscan/err.h"
#include "fedscan/evjson.h"
#include "fedscan/log.h"
#include "fedscan/passive.h"
#include "fedscan/policyfile.h"
#include "fedscan/report.h"
#include "fedscan/store.h"
#include "cli.h"
#include "confine.h"
#include "record.h"

/*
 * Open every capture file before the drop (root may be needed to read it) without reading a byte of it:
 * libpcap parses even the file header only after fs_cmd_confine. files[k] NULL: errs[k] is the errno.
 */
static void
open_files(const struct fs_cli *cli, FILE **files, int *errs)
{
	int k;

	for (k = 0; k < cli->nargs; k++) {
		if (strcmp(cli->args[k], "-") == 0)
			files[k] = stdin;     /* as pcap_open_offline() takes "-" */
		else if ((files[k] = fopen(cli->args[k], "rb")) == NULL)
			errs[k] = errno;
	}
}

int
fs_cmd_pcap(struct fs_cli *cli)
{
	struct fs_passive_opts po;
	struct fs_passive *p = NULL;
	struct fs_recorder rec;
	json_t *local = NULL, *partners = NULL, *files = NULL, *errors = NULL, *inis = NULL, *stats = NULL, *doc;
	char err[1024], ebuf[PCAP_ERRBUF_SIZE], *names = NULL;
	FILE **in = NULL;
	int *errs = NULL;
	bool file_error = false;
	long long now;
	size_t i, n, len = 0;
	int rc = FS_EXIT_ERROR, k;

	if (cli->nargs == 0) {
		fprintf(stderr, "fedscan: pcap: name at least one capture file (pcap or pcapng; tcpdump -w makes one)\n");
		return FS_EXIT_USAGE;
	}
	memset(&po, 0, sizeof(po));
	for (k = 0; k < cli->nports && k < (int)FS_PASSIVE_MAX_PORTS; k++)
		po.ports[po.nports++] = cli->ports[k];
	po.ca_file = cli->eng.ca_file;
	if (fs_passive_new(&po, &p, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	memset(&rec, 0, sizeof(rec));
	rec.cli = cli;
	rec.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	rec.text = !cli->json && cli->verbose >= 0;
	local = fs_report_local(&cli->local);
	partners = json_array();
	rec.collect = partners;
	files = json_array();
	errors = json_array();
	/* The files read, one per line, recorded as the run's capture. */
	for (k = 0; k < cli->nargs; k++)
		len += strlen(cli->args[k]) + 1;
	if ((names = calloc(1, len + 1)) == NULL)
		goto out;
	for (k = 0, len = 0; k < cli->nargs; k++) {
		n = strlen(cli->args[k]);
		if (k > 0)
			names[len++] = '\n';
		memcpy(names + len, cli->args[k], n);
		len += n;
	}
	if ((in = calloc((size_t)cli->nargs, sizeof(*in))) == NULL ||
	    (errs = calloc((size_t)cli->nargs, sizeof(*errs))) == NULL)
		goto out;
	open_files(cli, in, errs);
	if (fs_recorder_begin(&rec, "passive", local, names) != 0)
		goto out;
	if (fs_cmd_confine(cli, &(struct fs_confine){ .store = true, .network = true,
	    .reads = (const char *const *)cli->args, .nreads = (size_t)cli->nargs }) != 0)
		goto out;
	/* One file after the other, one packet at a time: a 1 GB capture is streamed, never loaded. */
	for (k = 0; k < cli->nargs; k++) {
		const char *f = cli->args[k];
		pcap_t *h = NULL;

		json_array_append_new(files, fs_json_string_lossy(f));
		ebuf[0] = '\0';
		if (in[k] == NULL)
			snprintf(ebuf, sizeof(ebuf), "%s: %s", f, strerror(errs[k]));    /* pcap_open_offline()'s words */
		else if ((h = pcap_fopen_offline_with_tstamp_precision(in[k], PCAP_TSTAMP_PRECISION_MICRO, ebuf)) != NULL)
			in[k] = NULL;         /* pcap_close() closes it */
		if (h == NULL) {
			snprintf(err, sizeof(err), "%s: %s", f, ebuf);
			fs_error("%s", err);
			json_array_append_new(errors, fs_json_string_lossy(err));
			file_error = true;
			continue;
		}
		if (fs_passive_pcap(p, h, ebuf, sizeof(ebuf)) != 0) {
			snprintf(err, sizeof(err), "%s: %s; what came before is analysed", f, ebuf);
			fs_error("%s", err);
			json_array_append_new(errors, fs_json_string_lossy(err));
			file_error = true;
		}
		pcap_close(h);
	}
	fs_passive_finish(p);
	now = fs_passive_time(p);
	if (rec.text)
		fs_report_text_local(stdout, &cli->local, rec.color);
	/* The same assessment as check's; fs_assess() says it comes from a capture. */
	for (i = 0; i < fs_passive_ndomains(p); i++)
		fs_record_partner(&rec, fs_passive_domain(p, i), now, NULL);
	inis = fs_passive_initiators_json(p);
	stats = fs_passive_stats_json(p);
	json_object_set(stats, "files", files);
	json_object_set(stats, "errors", errors);
	fs_recorder_end(&rec, !file_error);
	if (cli->json) {
		doc = json_pack("{s:O, s:O, s:O, s:O}", "local", local, "partners", partners, "initiators", inis,
		    "capture", stats);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(doc);
	} else if (cli->verbose >= 0) {
		if (json_array_size(partners) == 0)
			fputs("\nNo server-to-server stream was found (port 5269, --port, or a stream header).\n", stdout);
		fs_passive_text_initiators(stdout, inis);
		fs_passive_text_stats(stdout, stats);
	}
	fflush(stdout);
	rc = fs_recorder_status(&rec);
	/* A file that could not be read (whole or in part) makes the analysis incomplete: exit 3, results kept. */
	if (file_error && rc < FS_EXIT_ERROR)
		rc = FS_EXIT_ERROR;
out:
	for (k = 0; in != NULL && k < cli->nargs; k++)
		if (in[k] != NULL && in[k] != stdin)
			fclose(in[k]);
	free(in);
	free(errs);
	fs_passive_free(p);
	fs_store_close(rec.store);
	free(names);
	json_decref(local);
	json_decref(partners);
	json_decref(files);
	json_decref(errors);
	json_decref(inis);
	json_decref(stats);
	return rc;
}
