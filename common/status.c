#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/status.h"

static const char *const messages[SK_STATUS_COUNT] = {
	[SK_OK] = "success",
	[SK_ERR_NOMEM] = "out of memory",
	[SK_ERR_INVALID] = "invalid input",
	[SK_ERR_VERIFY] = "verification failed",
	[SK_ERR_IO] = "input/output error",
	[SK_ERR_PERM] = "file or directory permissions are too loose",
	[SK_ERR_EXISTS] = "already exists",
	[SK_ERR_NOTFOUND] = "not found",
	[SK_ERR_TOOBIG] = "input exceeds the size limit",
	[SK_ERR_TRUNCATED] = "input is truncated",
	[SK_ERR_CRYPTO] = "cryptographic operation failed",
	[SK_ERR_DB] = "database error",
	[SK_ERR_DISKFULL] = "no space left (disk or database map full)",
	[SK_ERR_KEY] = "key could not be unwrapped: wrong passphrase or credential",
	[SK_ERR_NOKEK] = "no key-encryption key: give --passphrase-file or the "
			 "systemd credential schakel-kek (or --dev for tests)",
	[SK_ERR_UNWRAPPED] = "key file is not wrapped; it is accepted only with --dev",
	[SK_ERR_WRAPPED] = "key file is wrapped; give --passphrase-file or the "
			   "systemd credential schakel-kek",
	[SK_ERR_BSN] = "not a valid BSN (nine digits passing the elfproef)",
	[SK_ERR_IDENTITY] = "identity element not allowed",
	[SK_ERR_FAILED] = "operation refused after an earlier failure",
};

const char *sk_strerror(sk_status st)
{
	if ((unsigned)st >= SK_STATUS_COUNT || messages[st] == NULL)
		return "unknown status";
	return messages[st];
}

static _Thread_local char detail[512];

void sk_error_set(const char *fmt, ...)
{
	char tmp[sizeof(detail)];
	va_list ap;

	/* through a copy: callers may pass sk_error_detail() as an argument */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(detail, tmp, sizeof(detail));
}

void sk_error_clear(void)
{
	detail[0] = '\0';
}

const char *sk_error_detail(void)
{
	return detail;
}
