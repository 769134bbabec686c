/* basic.h: a minimal TAP producer for fedscan's C unit tests (run by automake's tap-driver.sh). */
#ifndef FEDSCAN_TAP_BASIC_H
#define FEDSCAN_TAP_BASIC_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

/* Print "ok N - desc" or "not ok N - desc"; returns the condition. */
static inline int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* Compare two integers, with a diagnostic on failure. */
#define is_int(want, got, ...) do { long long w_ = (want), g_ = (got); \
	if (!ok(w_ == g_, __VA_ARGS__)) printf("#   want %lld, got %lld\n", w_, g_); } while (0)

/* Compare two strings (NULL-safe), with a diagnostic on failure. */
#define is_string(want, got, ...) do { const char *w_ = (want), *g_ = (got); \
	int c_ = (w_ == NULL && g_ == NULL) || (w_ && g_ && strcmp(w_, g_) == 0); \
	if (!ok(c_, __VA_ARGS__)) printf("#   want \"%s\", got \"%s\"\n", w_ ? w_ : "(null)", g_ ? g_ : "(null)"); } while (0)

/* A diagnostic line. */
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* A skipped test. */
#define skip(...) do { tap_n++; printf("ok %d # SKIP ", tap_n); printf(__VA_ARGS__); printf("\n"); } while (0)

/* Print the plan at the end and return the exit status. */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
