/* cmd_probes.c: `fedscan check --list-probes`: the probes of the registry, each with its own help line. */
#include <stdio.h>

#include "fedscan/err.h"
#include "fedscan/probe.h"
#include "cli.h"

/* Apart from cmd_check.c: fedscan/probe.h and fedscan/policyfile.h both define FS_PF_TLS-style names. */
int
fs_cmd_list_probes(void)
{
	size_t i;

	for (i = 0; fs_probes[i] != NULL; i++)
		printf("%-16s %s\n", fs_probes[i]->name, fs_probes[i]->help != NULL ? fs_probes[i]->help : "");
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : FS_EXIT_ERROR;
}
