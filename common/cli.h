/* Shared command-line plumbing of the schakel binaries: a subcommand table
 * ({name, fn, summary}), exit codes, and one-sentence diagnostics on stderr
 * ("schakel-registry: enrol: ...: what to do"). Only mains call exit(). */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kek.h"
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
/* A group of subcommands (e.g. "schakel-node discuss SUB"): runs the one
 * argv[1] names with argv shifted, or lists them; returns the exit code. */
int sk_cli_group(const char *prog, const char *group, const sk_cli_cmd *cmds, size_t n,
		 int argc, char **argv);

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

/* A duration: a decimal count with one unit, s, m, h or d ("30d", "90s"),
 * into milliseconds (at most ten years). */
sk_status sk_cli_duration_ms(const char *s, unsigned long long *ms) SK_MUST_CHECK;

/* Options every data-dir command of every binary takes: --dir, --dev,
 * --passphrase-file, --json, --help. A command lists SK_CLI_COMMON_LONG in
 * its getopt_long table, prints SK_CLI_COMMON_HELP in its help, and hands
 * each option to sk_cli_common_opt() first (sk_cli_parse() does). */
typedef struct sk_cli_common {
	const char *dir, *passphrase;
	int dev, json;
} sk_cli_common;

enum { SK_CLI_O_DIR = 1000, SK_CLI_O_DEV, SK_CLI_O_PASS, SK_CLI_O_JSON, SK_CLI_O_HELP,
       SK_CLI_O_CONFIG };

#define SK_CLI_COMMON_LONG                                              \
	{"dir", required_argument, NULL, SK_CLI_O_DIR},                 \
	{"dev", no_argument, NULL, SK_CLI_O_DEV},                       \
	{"passphrase-file", required_argument, NULL, SK_CLI_O_PASS},    \
	{"json", no_argument, NULL, SK_CLI_O_JSON},                     \
	{"help", no_argument, NULL, SK_CLI_O_HELP}

#define SK_CLI_COMMON_HELP                                                             \
	"  --dir D               the data dir (default $SCHAKEL_DIR)\n"                 \
	"  --passphrase-file F   key-encryption passphrase (or the systemd credential\n" \
	"                        schakel-kek)\n"                                          \
	"  --dev                 allow unwrapped keys (demos and tests only)\n"          \
	"  --json                machine-readable output\n"                             \
	"  --config F            options from file F: 'name = value' lines (options given win)\n"

/* 1 if c was a common option (stored in o), -1 for --help, 0 otherwise. */
int sk_cli_common_opt(sk_cli_common *o, int c, const char *arg);

/* The KEK the options ask for, warning on stderr when keys are unwrapped. */
sk_status sk_cli_kek(sk_kek **kek, const sk_cli_common *o) SK_MUST_CHECK;

/* Resolves o->dir (--dir, else $SCHAKEL_DIR); 0, or the usage exit code. */
int sk_cli_need_dir(const char *cmd, sk_cli_common *o);

/* Configuration files. sk_cli_parse() takes --config FILE for every
 * command (no table needs to list it): FILE's "name = value" lines
 * (common/config.h) are options as if given before the command line, a
 * flag written "name = true". An option given on the command line wins
 * over the file: the file's lines for it are skipped, so for a repeatable
 * option the command line replaces the file's list. A name this command
 * does not take is skipped when another command of the binary takes it
 * (one file serves 'serve' and 'status'); any other name is a usage error
 * naming the file and line. The file must not be writable by group or
 * others. Nothing is read without --config. Values from the file stay
 * valid until the next sk_cli_parse() that reads a file. */

/* 1 while sk_cli_parse() is only asking which options the binary's commands
 * take (it then returns SK_EXIT_OK at once): a command or group that does
 * its own dispatch or parsing must reach sk_cli_parse() for each of its
 * option tables without side effects when this is 1. */
int sk_cli_probing(void);

/* The option parser as a function. sk_cli_parse() parses argv of command
 * cmd with getopt_long (options anywhere, no positional arguments): the
 * common options go into *o, --help prints help, everything else goes to
 * opt(c, optarg, arg), which stores it and returns SK_CLI_RUN, an exit
 * code (e.g. from sk_cli_usage) to stop, or SK_CLI_UNKNOWN for an option
 * it does not take. Returns SK_CLI_RUN when the
 * command should run, else the exit code: SK_EXIT_OK after --help, the
 * usage code for an unknown option or a stray argument, or what opt
 * returned. Every outcome comes back to the caller, so a command holding
 * a BSN or a passphrase has one path that wipes it and exits:
 *     if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, opt, &a)) != SK_CLI_RUN)
 *             goto wipe;
 * opt may be NULL when the command has only the common options. */
#define SK_CLI_RUN (-1)
#define SK_CLI_UNKNOWN (-2)
typedef int (*sk_cli_opt_fn)(int c, const char *optarg_, void *arg);
int sk_cli_parse(const char *cmd, int argc, char **argv, const struct option *longopts,
		 const char *help, sk_cli_common *o, sk_cli_opt_fn opt, void *arg);

/* Wipes an option's value in argv once opt has copied it (a BSN out of
 * /proc/PID/cmdline). optarg_ must point into the process's own argv,
 * which is writable whatever the callback's const says. */
void sk_cli_arg_wipe(const char *optarg_);

/* For an option kept under its former name: the one-line notice on stderr
 * ("prog cmd: --old is now --new; ..."). The caller then treats it as
 * --new_name. */
void sk_cli_deprecated(const char *cmd, const char *old_name, const char *new_name);

/* 'status' warns when a certificate expires within this many days. */
#define SK_CLI_CERT_WARN_DAYS 30

/* Whole days from now_ms (unix ms) until not_after (unix seconds), rounded
 * down: negative once it has passed. */
long long sk_cli_days_left(int64_t not_after, uint64_t now_ms);

/* 'status': when a certificate (what, e.g. "the certificate") expires
 * within SK_CLI_CERT_WARN_DAYS of now, says so on stderr with what to do. */
void sk_cli_cert_warn(const char *what, int64_t not_after, uint64_t now_ms, const char *advice);

/* The OS user running the command (the audit's responsible user), e.g.
 * "root"; never NULL. */
const char *sk_cli_user(void);

#endif
