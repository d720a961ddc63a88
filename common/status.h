/* The one status type of schakel. Every function that can fail returns an
 * sk_status; SK_OK is 0. Codes are only ever appended, never renumbered, so
 * they may appear in logs and on the wire (Error.code). */
#ifndef SK_STATUS_H
#define SK_STATUS_H

typedef enum sk_status {
	SK_OK = 0,
	SK_ERR_NOMEM = 1,       /* out of memory */
	SK_ERR_INVALID = 2,     /* invalid argument or malformed input */
	SK_ERR_VERIFY = 3,      /* a signature, proof or MAC did not verify */
	SK_ERR_IO = 4,          /* a file or socket operation failed (see errno) */
	SK_ERR_PERM = 5,        /* a file or directory mode is looser than allowed */
	SK_ERR_EXISTS = 6,      /* the file or record already exists */
	SK_ERR_NOTFOUND = 7,    /* no such file or record */
	SK_ERR_TOOBIG = 8,      /* input exceeds a hard size limit */
	SK_ERR_TRUNCATED = 9,   /* input ends early; more bytes are needed */
	SK_ERR_CRYPTO = 10,     /* a cryptographic primitive failed internally */
	SK_ERR_DB = 11,         /* LMDB reported an error */
	SK_ERR_DISKFULL = 12,   /* no space left: disk or LMDB map full */
	SK_ERR_KEY = 13,        /* a wrapped key could not be unwrapped (wrong KEK) */
	SK_ERR_NOKEK = 14,      /* no key-encryption key was given */
	SK_ERR_UNWRAPPED = 15,  /* an unwrapped key file without --dev */
	SK_ERR_WRAPPED = 16,    /* a wrapped key file but no key-encryption key */
	SK_ERR_BSN = 17,        /* not a valid BSN (nine digits, elfproef) */
	SK_ERR_IDENTITY = 18,   /* the identity element where it is forbidden */
	SK_ERR_FAILED = 19,     /* the transaction or connection failed earlier */
	SK_STATUS_COUNT
} sk_status;

/* A short English sentence for the status; never NULL, static storage. */
const char *sk_strerror(sk_status st);

/* Detail for the last failure on this thread: what and where, e.g. "data
 * directory /srv/schakel has mode 0755; run chmod 700 /srv/schakel".
 * Functions that fail for a reason the operator can act on set it; it never
 * holds secrets. sk_error_detail() returns "" when nothing was set since the
 * last sk_error_clear(). The string is thread-local, valid until the next
 * sk_error_set on this thread. */
void sk_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sk_error_clear(void);
const char *sk_error_detail(void);

#if defined(__GNUC__)
#define SK_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SK_MUST_CHECK
#endif

#endif
