/* log.c: diagnostics on stderr, and terminal-safe printing of text that came from the network. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fedscan/log.h"
#include "fedscan/utf8.h"

int fs_log_level = 1;

static void (*log_before)(void *);
static void *log_before_ud;

void
fs_log_set_before(void (*fn)(void *ud), void *ud)
{
	log_before = fn;
	log_before_ud = ud;
}

void
fs_fputs_safe(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 && *p != '\n' && *p != '\t') {
			fputc('?', f);
		} else if (*p == 0x7f) {
			fputc('?', f);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls in UTF-8 (U+0080..U+009F): CSI and friends. */
			fputc('?', f);
			p++;
		} else if (*p == 0xe2 && p[1] == 0x80 && (p[2] >= 0xaa && p[2] <= 0xae)) {
			/* U+202A..U+202E: bidi embeddings and overrides. */
			fputc('?', f);
			p += 2;
		} else if (*p == 0xe2 && p[1] == 0x81 && (p[2] >= 0xa6 && p[2] <= 0xa9)) {
			/* U+2066..U+2069: bidi isolates. */
			fputc('?', f);
			p += 2;
		} else {
			fputc(*p, f);
		}
	}
}

void
fs_log(int level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (level > fs_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_before != NULL)
		log_before(log_before_ud);
	fputs("fedscan: ", stderr);
	fs_fputs_safe(buf, stderr);
	fputc('\n', stderr);
}

void
fs_error_lines(const char *msg)
{
	const char *line, *nl;
	char one[1024];
	size_t n;

	for (line = msg; line != NULL && *line; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (n >= sizeof(one))
			n = fs_utf8_cut(line, sizeof(one) - 1);
		memcpy(one, line, n);
		one[n] = '\0';
		/* The messages quote file content escaped already (fs_policyfile_escape); this is the terminal's guard. */
		fputs("fedscan: ", stderr);
		fs_fputs_safe(one, stderr);
		fputc('\n', stderr);
	}
}
