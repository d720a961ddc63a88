/* The one logger of schakel's library code and servers (after Redis's
 * serverLog): a level, one line, a timestamp. Lines go to stderr as
 *   2026-12-07T06:40:12.123Z warning: the registry is not reachable
 * (after the program's name when sk_log_set_name gave one) or, when stderr is the systemd journal (JOURNAL_STREAM names it), as
 * "<4>the registry is not reachable" so the journal keeps the level and
 * its own time. A line is written with one write(2), so threads never
 * interleave within a line. Log lines never hold keys, BSNs or case
 * content. The CLI's own messages to the person at the terminal are not
 * log lines and do not go through here. */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stdarg.h>

typedef enum sk_log_level {
	SK_LOG_ERROR = 3,   /* the syslog priorities, for the journal */
	SK_LOG_WARNING = 4,
	SK_LOG_NOTICE = 5,
	SK_LOG_INFO = 6,
	SK_LOG_DEBUG = 7
} sk_log_level;

#define SK_LOG_LINE_MAX 1024 /* longer lines are cut, ending in "..." */

/* Logs one line (no trailing newline needed) at lvl, if lvl is at or
 * below the threshold (sk_log_set_level; default SK_LOG_INFO). */
void sk_log(sk_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sk_logv(sk_log_level lvl, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Lines above max are dropped from now on (any thread). */
void sk_log_set_level(sk_log_level max);

/* The program's name before the level on stderr, e.g. "schakel-node";
 * sk_cli_main sets it. name must outlive the process's logging. */
void sk_log_set_name(const char *name);

/* "error", "warning", "notice", "info", "debug". */
const char *sk_log_level_name(sk_log_level lvl);

/* Sends every line to fn instead (tests capture the log this way): fn gets
 * the level and the message without timestamp or newline, and must not
 * call sk_log. NULL restores stderr. Not for use while other threads log. */
typedef void (*sk_log_sink)(sk_log_level lvl, const char *msg, void *arg);
void sk_log_set_sink(sk_log_sink fn, void *arg);

#endif
