/* main.c: fedscan's entry point: picks the command, hands it the parsed command line, and cleans up after it. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/policyfile.h"
#include "cli.h"

/* Every command, by the words that name it (one word, or "policy" and a subcommand). */
static const struct command {
	const char *name;
	const char *sub;
	unsigned bit;                  /* FS_CMD_*: which options are its own (fedscan/options.h) */
	int (*run)(struct fs_cli *);
} commands[] = {
	{ "check", NULL, FS_CMD_CHECK, fs_cmd_check },
	{ "scan", NULL, FS_CMD_SCAN, fs_cmd_scan },
	{ "diff", NULL, FS_CMD_DIFF, fs_cmd_diff },
	{ "report", NULL, FS_CMD_REPORT, fs_cmd_report },
	{ "history", NULL, FS_CMD_HISTORY, fs_cmd_history },
	{ "prune", NULL, FS_CMD_PRUNE, fs_cmd_prune },
	{ "pcap", NULL, FS_CMD_PCAP, fs_cmd_pcap },
	{ "policy", "check", FS_CMD_POLICY_CHECK, fs_cmd_policy_check },
	{ "policy", "import", FS_CMD_POLICY_IMPORT, fs_cmd_policy_import },
};

/*
 * Invoked as check_fedscan (the link `make install` adds beside the program): `fedscan check --nagios ARGS`, the
 * way Nagios and Icinga name their plugins. Returns the argument vector to use (argv when not so invoked).
 */
static char **
as_plugin(int *argc, char **argv)
{
	static char *v[1024];
	const char *base = strrchr(argv[0], '/');
	int i;

	base = base != NULL ? base + 1 : argv[0];
	if (strcmp(base, "check_fedscan") != 0 || *argc + 2 >= (int)(sizeof(v) / sizeof(v[0])))
		return argv;
	v[0] = argv[0];
	v[1] = "check";
	v[2] = "--nagios";
	for (i = 1; i < *argc; i++)
		v[i + 2] = argv[i];
	*argc += 2;
	v[*argc] = NULL;
	return v;
}

/* check --nagios: a plugin's usage error is UNKNOWN (exit 3) with a status line, not fedscan's 64. */
static bool
plugin_mode(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--nagios") == 0)
			return strcmp(argv[1], "check") == 0;
	return false;
}

int
main(int argc, char **argv)
{
	struct fs_cli cli;
	const struct command *c = NULL;
	char label[64];
	size_t k;
	int r, skip;

	memset(&cli, 0, sizeof(cli));
	/* A peer that hangs up mid-write must end as a recorded close, never as a SIGPIPE exit. */
	signal(SIGPIPE, SIG_IGN);
	argv = as_plugin(&argc, argv);
	if (argc < 2) {
		fs_cli_usage(stderr);
		return FS_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fs_cli_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("fedscan " PACKAGE_VERSION);
		return 0;
	}
	/* Hidden: the options table for tests/integration/options_doc.test, which holds it to the man pages. */
	if (strcmp(argv[1], "--dump-options") == 0) {
		fs_options_dump(stdout);
		return 0;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]) && c == NULL; k++)
		if (strcmp(argv[1], commands[k].name) == 0 &&
		    (commands[k].sub == NULL || (argc > 2 && strcmp(argv[2], commands[k].sub) == 0)))
			c = &commands[k];
	if (c == NULL) {
		if (strcmp(argv[1], "policy") == 0)
			fprintf(stderr, "fedscan: policy: the subcommands are 'check' and 'import'\n");
		else
			fprintf(stderr, "fedscan: '%s' is not a command\n", argv[1]);
		fs_cli_usage(stderr);
		return FS_EXIT_USAGE;
	}
	skip = c->sub != NULL ? 2 : 1;
	snprintf(label, sizeof(label), "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
	r = fs_cli_parse(label, c->bit, argc - skip, argv + skip, &cli);
	if (r == 0)
		r = c->run(&cli);
	if (r == FS_EXIT_USAGE && plugin_mode(argc, argv)) {
		fputs("FEDSCAN UNKNOWN - bad usage: ", stdout);
		fs_fputs_safe(fs_cli_usage_message()[0] != '\0' ? fs_cli_usage_message() : "see standard error", stdout);
		fputs(" (see fedscan(1))\n", stdout);
		r = FS_EXIT_ERROR;
	}
	fs_policyfile_free(cli.policy);
	return r;
}
