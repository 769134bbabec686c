/* registry.c: the list of every probe; the engine runs each that applies to an endpoint. */
#include <stddef.h>

#include "fedscan/probe.h"

extern const struct fs_probe fs_probe_starttls;
extern const struct fs_probe fs_probe_plain;
extern const struct fs_probe fs_probe_direct_tls;
extern const struct fs_probe fs_probe_nocert;
extern const struct fs_probe fs_probe_dialback_cert;

/* Order matters only for display: the evidence is keyed by each probe's kind. */
const struct fs_probe *const fs_probes[] = {
	&fs_probe_starttls,
	&fs_probe_plain,
	&fs_probe_direct_tls,
	&fs_probe_nocert,
	&fs_probe_dialback_cert,
	/* add new probes here */
	NULL,
};
