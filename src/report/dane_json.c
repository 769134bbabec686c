/* dane_json.c: an endpoint's DNSSEC and DANE facts as the "dnssec" object of the contract JSON, and back. */
#include <string.h>

#include "fedscan/evjson.h"

json_t *
fs_dane_ev_to_json(const struct fs_dane_ev *ev)
{
	json_t *o, *recs = json_array();
	const char *p = ev->tlsa_records, *semi;
	char rec[FS_EV_LONG];
	size_t n;

	while (recs != NULL && *p != '\0') {
		semi = strchr(p, ';');
		n = semi != NULL ? (size_t)(semi - p) : strlen(p);
		if (n >= sizeof(rec))
			n = sizeof(rec) - 1;
		memcpy(rec, p, n);
		rec[n] = '\0';
		json_array_append_new(recs, json_string(rec));
		if (semi == NULL)
			break;
		for (p = semi + 1; *p == ' '; p++)
			;
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:i, s:o, s:b, s:s, s:o, s:o}",
	    "srv", fs_dnssec_name(ev->srv), "address", fs_dnssec_name(ev->addr), "tlsa", fs_dnssec_name(ev->tlsa),
	    "tlsa_name", fs_json_string_lossy(ev->tlsa_name), "tlsa_count", (int)ev->ntlsa,
	    "tlsa_records", recs != NULL ? recs : json_array(), "dane_applies", ev->usable,
	    "dane", fs_dane_status(ev), "detail", fs_json_string_lossy(ev->detail),
	    "error", fs_json_string_lossy(ev->error));
	return o;
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

void
fs_dane_ev_from_json(const json_t *o, struct fs_dane_ev *ev)
{
	const json_t *x;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(o))
		return;
	ev->looked_up = true;
	ev->srv = fs_dnssec_parse(str(o, "srv"));
	ev->addr = fs_dnssec_parse(str(o, "address"));
	ev->tlsa = fs_dnssec_parse(str(o, "tlsa"));
	FS_EV_SET(ev->tlsa_name, str(o, "tlsa_name"));
	ev->ntlsa = json_is_integer(json_object_get(o, "tlsa_count")) ?
	    (unsigned)json_integer_value(json_object_get(o, "tlsa_count")) : 0;
	json_array_foreach(json_object_get(o, "tlsa_records"), i, x) {
		if (!json_is_string(x))
			continue;
		if (ev->tlsa_records[0] != '\0')
			fs_ev_append(ev->tlsa_records, sizeof(ev->tlsa_records), ";");
		fs_ev_append(ev->tlsa_records, sizeof(ev->tlsa_records), json_string_value(x));
	}
	ev->usable = json_is_true(json_object_get(o, "dane_applies"));
	ev->result = strcmp(str(o, "dane"), "valid") == 0 ? FS_DANE_VALID :
	    strcmp(str(o, "dane"), "mismatch") == 0 ? FS_DANE_MISMATCH : FS_DANE_NOT_CHECKED;
	FS_EV_SET(ev->detail, str(o, "detail"));
	FS_EV_SET(ev->error, str(o, "error"));
}
