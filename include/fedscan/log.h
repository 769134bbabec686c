/* log.h: diagnostics on stderr: -v traces, warnings and errors, with terminal-safe text. */
#ifndef FEDSCAN_LOG_H
#define FEDSCAN_LOG_H

#include <stdio.h>

/* 0 = errors only (-q), 1 = warnings (default), 2 = -v, 3 = -vv. */
extern int fs_log_level;

/* Print a message at a level, prefixed "fedscan: ". */
void fs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Call fn(ud) before each message fs_log() prints (NULL: none): a command that keeps a line on a terminal
 * (scan's progress) erases it there first, so a message from deeper down (the engine) never lands inside it.
 */
void fs_log_set_before(void (*fn)(void *ud), void *ud);

#define fs_error(...) fs_log(0, __VA_ARGS__)
#define fs_warn(...) fs_log(1, __VA_ARGS__)
#define fs_info(...) fs_log(2, __VA_ARGS__)
#define fs_debug(...) fs_log(3, __VA_ARGS__)

/* Print a multi-line message as "fedscan: LINE" lines on stderr, each cut to 1 KiB on a UTF-8 boundary, terminal-safe. */
void fs_error_lines(const char *msg);
/* Write s to f with control characters, ESC, C1 controls and bidi overrides replaced, so a peer cannot steer a terminal. */
void fs_fputs_safe(const char *s, FILE *f);

#endif
