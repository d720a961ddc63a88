#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

static atomic_int threshold = SK_LOG_INFO;
static const char *prog_name;
static sk_log_sink sink_fn;
static void *sink_arg;

void sk_log_set_level(sk_log_level max)
{
	atomic_store(&threshold, (int)max);
}

void sk_log_set_name(const char *name)
{
	prog_name = name;
}

void sk_log_set_sink(sk_log_sink fn, void *arg)
{
	sink_fn = fn;
	sink_arg = arg;
}

const char *sk_log_level_name(sk_log_level lvl)
{
	switch (lvl) {
	case SK_LOG_ERROR:
		return "error";
	case SK_LOG_WARNING:
		return "warning";
	case SK_LOG_NOTICE:
		return "notice";
	case SK_LOG_INFO:
		return "info";
	case SK_LOG_DEBUG:
		return "debug";
	}
	return "log";
}

/* 1 when stderr is the journal's stream: systemd sets JOURNAL_STREAM to
 * "DEV:INODE" of the socket it connected stderr to (a child whose stderr
 * went elsewhere keeps the variable, hence the fstat). */
static int to_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to say so */
		p += w;
		n -= (size_t)w;
	}
}

void sk_logv(sk_log_level lvl, const char *fmt, va_list ap)
{
	char msg[SK_LOG_LINE_MAX], line[SK_LOG_LINE_MAX + 64];
	int n, saved = errno;
	size_t len;

	if ((int)lvl > atomic_load(&threshold))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(a log line that could not be formatted)");
	else if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (sink_fn != NULL) {
		sink_fn(lvl, msg, sink_arg);
	} else if (to_journal()) {
		n = snprintf(line, sizeof(line), "<%d>%s\n", (int)lvl, msg);
		write_all(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	} else {
		uint64_t now = sk_clock_now_ms();
		time_t secs = (time_t)(now / 1000);
		struct tm tm;
		char when[32] = "";

		if (gmtime_r(&secs, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03uZ %s%s%s: %s\n", when,
			     (unsigned)(now % 1000), prog_name != NULL ? prog_name : "",
			     prog_name != NULL ? " " : "", sk_log_level_name(lvl), msg);
		write_all(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	errno = saved;
}

void sk_log(sk_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sk_logv(lvl, fmt, ap);
	va_end(ap);
}
