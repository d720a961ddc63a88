/* Shared command-line plumbing of the schakel binaries: a subcommand table
 * ({name, fn, summary}), exit codes, and one-sentence diagnostics on stderr
 * ("schakel-registry: enrol: ...: what to do"). Only mains call exit(). */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <stddef.h>

#include "common/status.h"

enum {
	SK_EXIT_OK = 0,
	SK_EXIT_FAIL = 1,      /* operation failed or refused */
	SK_EXIT_USAGE = 2,     /* usage error */
	SK_EXIT_INTEGRITY = 3, /* tampered log, bad proof, inconsistent checkpoint */
};

typedef struct sk_cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the subcommand */
	const char *summary;
} sk_cli_cmd;

/* The program name used in diagnostics, set by sk_cli_main. */
extern const char *sk_cli_prog;

/* Runs the subcommand named by argv[1]; --help, help or no argument print
 * the table. Returns the exit code. */
int sk_cli_main(const char *prog, const char *about, const sk_cli_cmd *cmds, size_t n,
		int argc, char **argv);

/* "prog: fmt" on stderr with a newline. */
void sk_cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a failed status: "prog: what: <detail or strerror>" and returns
 * the exit code for it (3 for SK_ERR_VERIFY, else 1). */
int sk_cli_fail(sk_status st, const char *what);

/* Usage error: the message plus "try '<prog> <cmd> --help'"; returns 2. */
int sk_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The data dir: the --dir value, else $SCHAKEL_DIR, else NULL. */
const char *sk_cli_dir(const char *opt);

/* Parses a decimal uint64 strictly (no sign, no spaces, no trailing junk). */
sk_status sk_cli_u64(const char *s, unsigned long long *out) SK_MUST_CHECK;

/* The OS user running the command (the audit's responsible user), e.g.
 * "root"; never NULL. */
const char *sk_cli_user(void);

#endif
