/*
 * transcript-t.c: replays the .txt files of tests/unit/transcripts through the engine's driver (probes/drive.c)
 * with a fake clock: what a partner sent, read by read, and what fedscan must answer and record. The format (one
 * step a line, '#' comments, blank lines ignored; settings before the first step):
 *
 *   probe NAME | from DOMAIN | to DOMAIN | cert yes|no | direct yes|no | cert-request yes|no
 *   authoritative yes|no | timeout DURATION | grace DURATION            settings (DURATION: 250ms, 3s)
 *   event connected|tls-up|tls-failed [REASON]|closed [REASON]|timeout [REASON]
 *   recv XML                  one read from the partner (\r \n \t \\ escapes)
 *   clock +DURATION           time passes: the dialback grace and the connection's timeout fire as the engine's
 *                             timers would; every event carries the fake clock, as the engine's carry its own
 *   expect-send TEXT          the next of our writes not yet expected contains TEXT
 *   expect-no-send            every write so far was expected
 *   expect-actions A B ...    the actions so far, in order (SEND STARTTLS RESTART CLOSE QUIET)
 *   expect-state NAME         the session's state (probes/session.c state_names[])
 *   expect-drive NAME         the driver's state (probes/drive.c state_names[])
 *   expect-trace TEXT         the state-change trace so far contains TEXT ("session: features -> dialback")
 *   expect-evidence KEY=VALUE the connection's evidence as JSON (fedscan(1), JSON OUTPUT), KEY a dotted path
 *
 * Every expect-* line is one test named FILE:LINE; a line the runner cannot read fails the test with FILE:LINE,
 * and so does a write nobody expected.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fedscan/drive.h"
#include "fedscan/evjson.h"
#include "tap/basic.h"

#define MAX_SENDS 32
#define SEND_MAX 4096

struct tr {
	const char *file;
	unsigned line;
	/* settings */
	const struct fs_probe *probe;
	char from[256], to[256];
	bool cert, direct, cert_req, authoritative;
	long timeout_ms, grace_ms;
	/* the run */
	struct fs_probe_env env;
	struct fs_conn_ev ev;
	struct fs_drive *d;
	bool closed, tls_pending;
	long now, quiet_at;      /* the fake clock, and when the grace ends (-1: not armed) */
	char sends[MAX_SENDS][SEND_MAX];
	unsigned nsends, checked;
	char log[1024];          /* the actions so far */
	char trace[4096];        /* the state changes so far */
	char err[512];           /* why a line cannot be run */
};

static const unsigned char secret[32] = { 1 };

/* The runner cannot go on (not a transcript's fault): stop the TAP stream. */
static void
bail(const char *what, const char *arg)
{
	printf("Bail out! %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

static int bad(struct tr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Why a line cannot be run, as "FILE:LINE: what"; returns -1. */
static int
bad(struct tr *t, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(t->err, sizeof(t->err), "%s:%u: %s", t->file, t->line, what);
	return -1;
}

static void
append(char *buf, size_t size, const char *w, const char *sep)
{
	size_t l = strlen(buf);

	snprintf(buf + l, size - l, "%s%s", l > 0 ? sep : "", w);
}

static void
on_trace(void *ud, const char *machine, const char *from, const char *to)
{
	struct tr *t = ud;
	char w[128];

	snprintf(w, sizeof(w), "%s: %s -> %s", machine, from, to);
	append(t->trace, sizeof(t->trace), w, "; ");
}

/* What the engine does with the queued actions, recorded; QUIET arms the grace as engine.c's arm_quiet() does. */
static int
take(struct tr *t, int r)
{
	static const char *const names[] = { "SEND", "STARTTLS", "RESTART", "CLOSE", "QUIET" };
	struct fs_drive_acts acts;
	size_t i;

	if (r != 0)
		return bad(t, "%s", "the driver failed (out of memory)");
	fs_drive_take(t->d, &acts);
	for (i = 0; i < acts.n; i++) {
		const struct fs_act *a = &acts.a[i];

		append(t->log, sizeof(t->log), names[a->type], " ");
		if (a->type == FS_ACT_SEND) {
			if (t->nsends >= MAX_SENDS || a->len >= SEND_MAX)
				return bad(t, "%s", "more or longer writes than the runner keeps");
			memcpy(t->sends[t->nsends], acts.buf + a->off, a->len);
			t->sends[t->nsends++][a->len] = '\0';
		} else if (a->type == FS_ACT_STARTTLS) {
			t->tls_pending = true;
		} else if (a->type == FS_ACT_CLOSE) {
			t->closed = true;
		} else if (a->type == FS_ACT_QUIET && t->now + t->grace_ms < t->timeout_ms) {
			t->quiet_at = t->now + t->grace_ms;
		}
	}
	return 0;
}

static int
deliver(struct tr *t, enum fs_pev_type type, const char *reason)
{
	fs_drive_clock(t->d, t->now);
	return take(t, fs_drive_event(t->d, type, reason));
}

static int
open_run(struct tr *t)
{
	struct fs_drive_opts o = { .trace = on_trace, .trace_ud = t };

	if (t->probe == NULL)
		return bad(t, "%s", "no 'probe' setting before the first step");
	t->env.domain = t->to;
	t->env.from = t->from;
	t->env.db_key = "6b2f1f0e9a1c4d3b8e7f60514a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b";
	t->env.db_secret = t->authoritative ? secret : NULL;
	t->env.have_client_cert = t->cert;
	t->env.endpoint_direct_tls = t->direct;
	if (fs_drive_open(t->probe, &t->env, &t->ev, &o, &t->d) != 0)
		return bad(t, "%s", "cannot open the driver");
	return 0;
}

static int
parse_bool(struct tr *t, const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return bad(t, "'%s' is not yes or no", v);
	return 0;
}

/* "250ms", "3s" (with a leading '+' for clock). */
static int
parse_ms(struct tr *t, const char *v, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || n < 0)
		return bad(t, "'%s' is not a duration (250ms, 3s)", v);
	if (strcmp(end, "ms") == 0)
		*out = n;
	else if (strcmp(end, "s") == 0)
		*out = n * 1000;
	else
		return bad(t, "'%s' is not a duration (250ms, 3s)", v);
	return 0;
}

static int
setting(struct tr *t, const char *key, const char *v)
{
	unsigned i;

	if (t->d != NULL)
		return bad(t, "setting '%s' after the first step", key);
	if (strcmp(key, "probe") == 0) {
		for (i = 0; fs_probes[i] != NULL; i++)
			if (strcmp(fs_probes[i]->name, v) == 0)
				t->probe = fs_probes[i];
		return t->probe != NULL ? 0 : bad(t, "no probe '%s'", v);
	}
	if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0) {
		snprintf(strcmp(key, "from") == 0 ? t->from : t->to, sizeof(t->from), "%s", v);
		return 0;
	}
	if (strcmp(key, "cert") == 0)
		return parse_bool(t, v, &t->cert);
	if (strcmp(key, "direct") == 0)
		return parse_bool(t, v, &t->direct);
	if (strcmp(key, "cert-request") == 0)
		return parse_bool(t, v, &t->cert_req);
	if (strcmp(key, "authoritative") == 0)
		return parse_bool(t, v, &t->authoritative);
	if (strcmp(key, "timeout") == 0)
		return parse_ms(t, v, &t->timeout_ms);
	return parse_ms(t, v, &t->grace_ms);
}

/* The handshake finished: fill ev->tls as fs_tls_record() would. */
static int
tls_up(struct tr *t)
{
	struct fs_tls_ev *x = &t->ev.tls;

	if (!t->tls_pending)
		return bad(t, "%s", "tls-up, but no handshake was asked for");
	t->tls_pending = false;
	x->attempted = x->ok = x->chain_ok = x->name_ok = x->cert.present = true;
	FS_EV_SET(x->version, "TLSv1.3");
	FS_EV_SET(x->cipher, "TLS_AES_256_GCM_SHA384");
	x->cert_requested = t->cert_req;
	x->cert_sent = t->cert_req && fs_session_uses_client_cert(fs_drive_session(t->d));
	return deliver(t, FS_PEV_TLS_UP, NULL);
}

static int
event(struct tr *t, const char *v)
{
	char name[32];
	const char *reason = NULL, *sp = strchr(v, ' ');
	size_t n = sp != NULL ? (size_t)(sp - v) : strlen(v);
	int r;

	snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), v);
	if (sp != NULL)
		reason = sp + 1;
	if (t->closed)
		return bad(t, "event %s after the connection closed", name);
	if (strcmp(name, "connected") == 0)
		return deliver(t, FS_PEV_CONNECTED, NULL);
	if (strcmp(name, "tls-up") == 0)
		return tls_up(t);
	if (strcmp(name, "tls-failed") == 0) {
		t->tls_pending = false;
		t->ev.tls.attempted = true;
		FS_EV_SET(t->ev.tls.error, reason != NULL ? reason : "handshake failure");
		r = deliver(t, FS_PEV_TLS_FAILED, t->ev.tls.error);
	} else if (strcmp(name, "closed") == 0) {
		r = deliver(t, FS_PEV_CLOSED, reason);
	} else if (strcmp(name, "timeout") == 0) {
		r = deliver(t, FS_PEV_TIMEOUT, reason != NULL ? reason : "timed out");
	} else {
		return bad(t, "unknown event '%s'", name);
	}
	t->closed = true;   /* the engine closes the socket after these */
	return r;
}

/* One read: the escapes undone. */
static int
recv_line(struct tr *t, const char *v)
{
	static char buf[65536];
	size_t n = 0, used;

	if (t->closed)
		return bad(t, "%s", "recv after the connection closed");
	for (; *v != '\0' && n < sizeof(buf); v++) {
		if (*v != '\\') {
			buf[n++] = *v;
			continue;
		}
		switch (*++v) {
		case 'r': buf[n++] = '\r'; break;
		case 'n': buf[n++] = '\n'; break;
		case 't': buf[n++] = '\t'; break;
		case '\\': buf[n++] = '\\'; break;
		default: return bad(t, "unknown escape '\\%.1s'", *v != '\0' ? v : "");
		}
	}
	fs_drive_clock(t->d, t->now);
	return take(t, fs_drive_feed(t->d, buf, n, &used));
}

/* Time passes; the grace and the timeout fire in the order they fall due, as the engine's timers would. */
static int
clock_step(struct tr *t, const char *v)
{
	long d, until;

	if (*v != '+' || parse_ms(t, v + 1, &d) != 0)
		return t->err[0] != '\0' ? -1 : bad(t, "'%s' is not +DURATION", v);
	until = t->now + d;
	while (!t->closed) {
		if (t->quiet_at >= 0 && t->quiet_at <= until && t->quiet_at < t->timeout_ms) {
			t->now = t->quiet_at;
			t->quiet_at = -1;
			fs_drive_clock(t->d, t->now);
			if (take(t, fs_drive_quiet(t->d, t->grace_ms)) != 0)
				return -1;
		} else if (t->timeout_ms <= until) {
			t->now = t->timeout_ms;
			if (t->tls_pending && t->ev.tls.error[0] == '\0')
				FS_EV_SET(t->ev.tls.error, "no answer to the TLS handshake before the timeout");
			if (deliver(t, FS_PEV_TIMEOUT, "timed out") != 0)
				return -1;
			t->closed = true;
		} else {
			break;
		}
	}
	t->now = until;
	return 0;
}

/* The evidence at a dotted path, as text ("stream-error", "true", "0"); false when there is no such key. */
static bool
evidence(const struct tr *t, const char *path, char *out, size_t outlen)
{
	json_t *root = fs_conn_ev_to_json(&t->ev), *v = root;
	char key[128], *p, *save = NULL;
	bool found = true;

	snprintf(key, sizeof(key), "%s", path);
	for (p = strtok_r(key, ".", &save); p != NULL && v != NULL; p = strtok_r(NULL, ".", &save))
		v = json_is_object(v) ? json_object_get(v, p) : NULL;
	if (v == NULL || json_is_object(v))
		found = false;
	else if (json_is_string(v))
		snprintf(out, outlen, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
	else
		found = false;
	json_decref(root);
	return found;
}

static int
expect(struct tr *t, const char *key, const char *v)
{
	char got[1024];
	const char *eq;

	if (strcmp(key, "expect-send") == 0) {
		if (!ok(t->checked < t->nsends && strstr(t->sends[t->checked], v) != NULL, "%s:%u: sends %s", t->file,
		    t->line, v))
			diag("  write %u: %s", t->checked, t->checked < t->nsends ? t->sends[t->checked] : "(none)");
		t->checked++;
	} else if (strcmp(key, "expect-no-send") == 0) {
		ok(t->checked >= t->nsends, "%s:%u: nothing else sent", t->file, t->line);
	} else if (strcmp(key, "expect-actions") == 0) {
		is_string(v, t->log, "%s:%u: the actions in order", t->file, t->line);
	} else if (strcmp(key, "expect-state") == 0) {
		is_string(v, fs_drive_session_state_name(t->d), "%s:%u: session state %s", t->file, t->line, v);
	} else if (strcmp(key, "expect-drive") == 0) {
		is_string(v, fs_drive_state_name(t->d), "%s:%u: driver state %s", t->file, t->line, v);
	} else if (strcmp(key, "expect-trace") == 0) {
		ok(strstr(t->trace, v) != NULL, "%s:%u: trace has %s", t->file, t->line, v);
		if (strstr(t->trace, v) == NULL)
			diag("  trace: %s", t->trace);
	} else if (strcmp(key, "expect-evidence") == 0) {
		if ((eq = strchr(v, '=')) == NULL || eq == v)
			return bad(t, "'%s' is not KEY=VALUE", v);
		snprintf(got, sizeof(got), "%.*s", (int)(eq - v), v);
		if (!evidence(t, got, got, sizeof(got)))
			return bad(t, "no evidence key '%s'", got);
		is_string(eq + 1, got, "%s:%u: evidence %s", t->file, t->line, v);
	} else {
		return bad(t, "unknown step '%s'", key);
	}
	return 0;
}

/* One line: a setting, a step or an expectation. */
static int
line(struct tr *t, char *s)
{
	static const char *const settings[] = { "probe", "from", "to", "cert", "direct", "cert-request",
		"authoritative", "timeout", "grace", NULL };
	char *v = strchr(s, ' ');
	unsigned i;

	if (v != NULL)
		*v++ = '\0';
	else
		v = s + strlen(s);
	for (i = 0; settings[i] != NULL; i++)
		if (strcmp(s, settings[i]) == 0)
			return setting(t, s, v);
	if (t->d == NULL && open_run(t) != 0)
		return -1;
	if (strcmp(s, "event") == 0)
		return event(t, v);
	if (strcmp(s, "recv") == 0)
		return recv_line(t, v);
	if (strcmp(s, "clock") == 0)
		return clock_step(t, v);
	if (strncmp(s, "expect-", 7) != 0)
		return bad(t, "unknown step '%s'", s);
	return expect(t, s, v);
}

/* Run one transcript from f. 0, or -1 with err filled ("FILE:LINE: what") for a line that cannot be run. */
static int
run_stream(FILE *f, const char *name, char *err, size_t errlen)
{
	static struct tr t;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	memset(&t, 0, sizeof(t));
	t.file = name;
	snprintf(t.from, sizeof(t.from), "fedscan.invalid");
	snprintf(t.to, sizeof(t.to), "partner.test");
	t.cert_req = true;
	t.timeout_ms = 15000;
	t.grace_ms = 250;
	t.quiet_at = -1;
	while (r == 0 && (n = getline(&buf, &cap, f)) >= 0) {
		t.line++;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		if (n == 0 || buf[0] == '#')
			continue;
		r = line(&t, buf);
	}
	if (r == 0) {
		ok(t.checked >= t.nsends, "%s: every write was expected (%u of %u)", name, t.checked, t.nsends);
		if (t.checked < t.nsends)
			diag("  first unexpected write: %s", t.sends[t.checked]);
	}
	free(buf);
	fs_drive_free(t.d);
	snprintf(err, errlen, "%s", t.err);
	return r;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The runner itself: a line it cannot read fails with FILE:LINE, not silently. */
static void
test_malformed(void)
{
	static const char text[] = "probe plain\nevent connected\nfrobnicate now\nexpect-state done\n";
	static const char bad_value[] = "probe plain\ncert maybe\n";
	char err[512];
	FILE *f;

	if ((f = fmemopen((void *)text, sizeof(text) - 1, "r")) == NULL)
		bail("fmemopen", "");
	ok(run_stream(f, "bad.txt", err, sizeof(err)) != 0, "an unknown step fails the transcript");
	is_string("bad.txt:3: unknown step 'frobnicate'", err, "... naming the file and line");
	fclose(f);
	if ((f = fmemopen((void *)bad_value, sizeof(bad_value) - 1, "r")) == NULL)
		bail("fmemopen", "");
	ok(run_stream(f, "bad.txt", err, sizeof(err)) != 0, "a bad setting fails the transcript");
	is_string("bad.txt:2: 'maybe' is not yes or no", err, "... naming the file and line");
	fclose(f);
}

int
main(void)
{
	const char *src = getenv("FS_SRCDIR");
	char dir[4096], path[8192], err[512], *names[256];
	struct dirent *de;
	size_t n = 0, i, l;
	DIR *dp;
	FILE *f;

	test_malformed();
	snprintf(dir, sizeof(dir), "%s/tests/unit/transcripts", src != NULL ? src : ".");
	if ((dp = opendir(dir)) == NULL)
		bail("cannot open", dir);
	while ((de = readdir(dp)) != NULL && n < sizeof(names) / sizeof(names[0])) {
		l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".txt") == 0 && (names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(dp);
	qsort(names, n, sizeof(names[0]), by_name);
	ok(n >= 6, "%zu transcripts in %s", n, dir);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((f = fopen(path, "r")) == NULL)
			bail("cannot open", path);
		if (run_stream(f, names[i], err, sizeof(err)) != 0)
			ok(0, "%s", err);
		fclose(f);
		free(names[i]);
	}
	return done_testing();
}
