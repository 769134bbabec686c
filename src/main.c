/* main.c: fedscan's entry point: picks the command and hands it the parsed command line. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "fedscan/err.h"
#include "cli.h"

int
main(int argc, char **argv)
{
	struct fs_cli cli;
	const char *cmd;
	int r;

	memset(&cli, 0, sizeof(cli));
	/* A peer that hangs up mid-write must end as a recorded close, never as a SIGPIPE exit. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fs_cli_usage(stderr);
		return FS_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fs_cli_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		puts("fedscan " PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "check") == 0) {
		if ((r = fs_cli_parse(cmd, argc - 1, argv + 1, &cli)) != 0)
			return r;
		return fs_cmd_check(&cli);
	}
	if (strcmp(cmd, "policy") == 0) {
		if (argc < 3 || (strcmp(argv[2], "check") != 0 && strcmp(argv[2], "import") != 0)) {
			fprintf(stderr, "fedscan: policy: the subcommands are 'check' and 'import'\n");
			return FS_EXIT_USAGE;
		}
		if (strcmp(argv[2], "import") == 0) {
			if ((r = fs_cli_parse("policy import", argc - 2, argv + 2, &cli)) != 0)
				return r;
			return fs_cmd_policy_import(&cli);
		}
		if ((r = fs_cli_parse("policy check", argc - 2, argv + 2, &cli)) != 0)
			return r;
		return fs_cmd_policy_check(&cli);
	}
	{
		static const struct { const char *name; int (*fn)(struct fs_cli *); } store_cmds[] = {
			{ "scan", fs_cmd_scan }, { "diff", fs_cmd_diff }, { "report", fs_cmd_report },
			{ "history", fs_cmd_history }, { "prune", fs_cmd_prune },
		};
		size_t k;

		for (k = 0; k < sizeof(store_cmds) / sizeof(store_cmds[0]); k++)
			if (strcmp(cmd, store_cmds[k].name) == 0) {
				if ((r = fs_cli_parse(cmd, argc - 1, argv + 1, &cli)) != 0)
					return r;
				return store_cmds[k].fn(&cli);
			}
	}
	if (strcmp(cmd, "pcap") == 0) {
		if ((r = fs_cli_parse(cmd, argc - 1, argv + 1, &cli)) != 0)
			return r;
		return fs_cmd_pcap(&cli);
	}
	fprintf(stderr, "fedscan: '%s' is not a command\n", cmd);
	fs_cli_usage(stderr);
	return FS_EXIT_USAGE;
}
