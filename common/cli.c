#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "sk_version.h"

const char *sk_cli_prog = "schakel";

/* The binary's command table (sk_cli_main), for binary_takes(). */
static const sk_cli_cmd *top_cmds;
static size_t top_n;

/* While probing: the option name asked for, and whether a table had it. */
static struct {
	int active, found;
	const char *name;
} probe;

/* The configuration file the last sk_cli_parse() read: option values
 * point into it, so it lives until the next one. */
static sk_config *loaded;

#define LONGOPTS_MAX 128

void sk_cli_say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", sk_cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sk_cli_fail(sk_status st, const char *what)
{
	const char *detail = sk_error_detail();

	if (detail[0] != '\0')
		sk_cli_say("%s: %s", what, detail);
	else
		sk_cli_say("%s: %s", what, sk_strerror(st));
	return st == SK_ERR_VERIFY ? SK_EXIT_INTEGRITY : SK_EXIT_FAIL;
}

int sk_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", sk_cli_prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; try '%s %s --help'\n", sk_cli_prog, cmd);
	return SK_EXIT_USAGE;
}

const char *sk_cli_dir(const char *opt)
{
	const char *env = getenv("SCHAKEL_DIR");

	if (opt != NULL)
		return opt;
	return env != NULL && env[0] != '\0' ? env : NULL;
}

sk_status sk_cli_u64(const char *s, unsigned long long *out)
{
	char *end = NULL;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return SK_ERR_INVALID;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return SK_ERR_INVALID;
	return SK_OK;
}

sk_status sk_cli_duration_ms(const char *s, unsigned long long *ms)
{
	static const struct {
		char unit;
		unsigned long long ms;
	} units[] = {{'s', 1000ull}, {'m', 60000ull}, {'h', 3600000ull}, {'d', 86400000ull}};
	char num[24];
	size_t n = s != NULL ? strlen(s) : 0;
	unsigned long long v;

	if (n < 2 || n > sizeof(num))
		return SK_ERR_INVALID;
	memcpy(num, s, n - 1);
	num[n - 1] = 0;
	if (sk_cli_u64(num, &v) != SK_OK)
		return SK_ERR_INVALID;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n - 1] == units[i].unit) {
			if (v > 3650ull * 86400000ull / units[i].ms)
				return SK_ERR_INVALID;
			*ms = v * units[i].ms;
			return SK_OK;
		}
	return SK_ERR_INVALID;
}

long long sk_cli_days_left(int64_t not_after, uint64_t now_ms)
{
	const long long day = 86400;
	long long d = (long long)not_after - (long long)(now_ms / 1000);

	return d < 0 ? -1 - (-d - 1) / day : d / day;
}

void sk_cli_cert_warn(const char *what, int64_t not_after, uint64_t now_ms, const char *advice)
{
	long long d = sk_cli_days_left(not_after, now_ms);

	if (d < SK_CLI_CERT_WARN_DAYS)
		sk_cli_say("warning: %s %s; %s", what,
			   d < 0 ? "has expired" : "expires within 30 days", advice);
}

void sk_cli_deprecated(const char *cmd, const char *old_name, const char *new_name)
{
	fprintf(stderr, "%s %s: deprecated: --%s is now called --%s (the old name still works)\n",
		sk_cli_prog, cmd, old_name, new_name);
}

int sk_cli_common_opt(sk_cli_common *o, int c, const char *arg)
{
	switch (c) {
	case SK_CLI_O_DIR:
		o->dir = arg;
		return 1;
	case SK_CLI_O_DEV:
		o->dev = 1;
		sk_clock_allow_offset();
		return 1;
	case SK_CLI_O_PASS:
		o->passphrase = arg;
		return 1;
	case SK_CLI_O_JSON:
		o->json = 1;
		return 1;
	case SK_CLI_O_HELP:
		return -1;
	default:
		return 0;
	}
}

int sk_cli_probing(void)
{
	return probe.active;
}

/* Runs cmd in probe mode: its sk_cli_parse() notes whether its table has
 * probe.name and returns at once; "--help" stops any parser of its own. */
static void probe_cmd(const sk_cli_cmd *cmd)
{
	char a0[64], a1[] = "--help";
	char *av[] = {a0, a1, NULL};

	snprintf(a0, sizeof(a0), "%s", cmd->name);
	(void)cmd->fn(2, av);
}

/* 1 if some command of the binary takes --name. */
static int binary_takes(const char *name)
{
	probe.active = 1;
	probe.found = 0;
	probe.name = name;
	for (size_t i = 0; i < top_n && !probe.found; i++)
		probe_cmd(&top_cmds[i]);
	probe.active = 0;
	return probe.found;
}

static const struct option config_opt = {"config", required_argument, NULL, SK_CLI_O_CONFIG};

/* Applies the entries of cfg that this command takes and the command line
 * did not give (seen[i] for lo[i]); SK_CLI_RUN or an exit code. */
static int config_apply(const char *cmd, const char *path, const sk_config *cfg,
			const struct option *lo, const unsigned char *seen, sk_cli_common *o,
			sk_cli_opt_fn opt, void *arg)
{
	for (size_t k = 0; k < cfg->n; k++) {
		const sk_config_entry *e = &cfg->entries[k];
		const char *v = e->value;
		size_t i;
		int r;

		for (i = 0; lo[i].name != NULL; i++)
			if (strcmp(lo[i].name, e->name) == 0)
				break;
		if (strcmp(e->name, "config") == 0)
			return sk_cli_usage(cmd, "%s line %u: a configuration file cannot name another",
					    path, e->line);
		if (lo[i].name == NULL) {
			if (strcmp(e->name, "help") == 0 || binary_takes(e->name))
				continue;
			return sk_cli_usage(cmd,
					    "%s line %u: no command of %s takes --%s; correct or remove "
					    "the line",
					    path, e->line, sk_cli_prog, e->name);
		}
		if (seen[i])
			continue;
		if (lo[i].has_arg == no_argument) {
			if (strcmp(v, "false") == 0)
				continue;
			if (strcmp(v, "true") != 0)
				return sk_cli_usage(cmd, "%s line %u: --%s takes no value; write '%s = true'",
						    path, e->line, e->name, e->name);
			v = NULL;
		} else if (lo[i].has_arg == required_argument && v[0] == '\0') {
			return sk_cli_usage(cmd, "%s line %u: --%s needs a value after '='", path,
					    e->line, e->name);
		}
		if (lo[i].flag != NULL) {
			*lo[i].flag = lo[i].val;
			continue;
		}
		if ((r = sk_cli_common_opt(o, lo[i].val, v)) != 0)
			continue; /* 1: stored; -1: "help = true" means nothing here */
		r = opt == NULL ? SK_CLI_UNKNOWN : opt(lo[i].val, v, arg);
		if (r == SK_CLI_UNKNOWN)
			return sk_cli_usage(cmd, "%s line %u: --%s is not accepted here", path,
					    e->line, e->name);
		if (r != SK_CLI_RUN) {
			sk_cli_say("that value came from %s line %u", path, e->line);
			return r;
		}
	}
	return SK_CLI_RUN;
}

int sk_cli_parse(const char *cmd, int argc, char **argv, const struct option *longopts,
		 const char *help, sk_cli_common *o, sk_cli_opt_fn opt, void *arg)
{
	struct option lo[LONGOPTS_MAX + 2];
	unsigned char seen[LONGOPTS_MAX + 2] = {0};
	const char *path = NULL;
	size_t n = 0;
	int c, r, idx;
	sk_status st;

	if (probe.active) {
		for (size_t i = 0; longopts[i].name != NULL; i++)
			if (strcmp(longopts[i].name, probe.name) == 0)
				probe.found = 1;
		return SK_EXIT_OK;
	}
	/* the command's table plus --config, which every command takes */
	for (; longopts[n].name != NULL; n++) {
		if (n == LONGOPTS_MAX) {
			sk_cli_say("%s: more than %d options (a bug; please report it)", cmd,
				   LONGOPTS_MAX);
			return SK_EXIT_FAIL;
		}
		lo[n] = longopts[n];
	}
	lo[n] = config_opt;
	memset(&lo[n + 1], 0, sizeof(lo[n + 1]));
	/* first pass: the file, and which options the command line gives */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		if (c == '?' || c == ':')
			continue;
		seen[idx] = 1;
		if (c == SK_CLI_O_CONFIG && path != NULL)
			return sk_cli_usage(cmd, "--config given twice");
		if (c == SK_CLI_O_CONFIG)
			path = optarg;
	}
	if (path != NULL) {
		sk_config_free(loaded);
		loaded = NULL;
		if ((st = sk_config_load(&loaded, path)) != SK_OK)
			return st == SK_ERR_INVALID || st == SK_ERR_TOOBIG
				       ? sk_cli_usage(cmd, "%s", sk_error_detail())
				       : sk_cli_fail(st, "--config");
		if ((r = config_apply(cmd, path, loaded, lo, seen, o, opt, arg)) != SK_CLI_RUN)
			return r;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == SK_CLI_O_CONFIG)
			continue;
		if ((r = sk_cli_common_opt(o, c, optarg)) == -1) {
			fputs(help, stdout);
			return SK_EXIT_OK;
		}
		if (r == 1)
			continue;
		r = c == '?' || c == ':' || opt == NULL ? SK_CLI_UNKNOWN : opt(c, optarg, arg);
		if (r == SK_CLI_UNKNOWN)
			return sk_cli_usage(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
		if (r != SK_CLI_RUN)
			return r;
	}
	if (optind < argc)
		return sk_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	return SK_CLI_RUN;
}

void sk_cli_arg_wipe(const char *optarg_)
{
	if (optarg_ != NULL)
		sodium_memzero((char *)optarg_, strlen(optarg_));
}

sk_status sk_cli_kek(sk_kek **kek, const sk_cli_common *o)
{
	sk_status st = sk_kek_open(kek, o->passphrase, o->dev);

	if (st == SK_OK && o->dev && sk_kek_is_dev(*kek))
		sk_cli_say("warning: --dev: keys are stored unwrapped; never use this for real data");
	return st;
}

int sk_cli_need_dir(const char *cmd, sk_cli_common *o)
{
	o->dir = sk_cli_dir(o->dir);
	if (o->dir == NULL)
		return sk_cli_usage(cmd, "--dir D (or SCHAKEL_DIR) is required");
	return 0;
}

const char *sk_cli_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw != NULL && pw->pw_name != NULL ? pw->pw_name : "unknown";
}

static void print_table(const char *about, const sk_cli_cmd *cmds, size_t n)
{
	printf("%s\n\nusage: %s COMMAND [options]   (COMMAND --help for its options)\n"
	       "       %s --version\n\n",
	       about, sk_cli_prog, sk_cli_prog);
	for (size_t i = 0; i < n; i++)
		printf("  %-12s %s\n", cmds[i].name, cmds[i].summary);
	printf("\nExit codes: 0 ok, 1 failed or refused, 2 usage error, 3 integrity failure.\n");
}

int sk_cli_main(const char *prog, const char *about, const sk_cli_cmd *cmds, size_t n,
		int argc, char **argv)
{
	sk_cli_prog = prog;
	top_cmds = cmds;
	top_n = n;
	sk_log_set_name(prog);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		if (SK_GIT_COMMIT[0] != '\0')
			printf("%s %s (commit %s)\n", prog, SK_VERSION, SK_GIT_COMMIT);
		else
			printf("%s %s\n", prog, SK_VERSION);
		return SK_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_table(about, cmds, n);
		return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	sk_cli_say("unknown command '%s'; try '%s --help'", argv[1], prog);
	return SK_EXIT_USAGE;
}

int sk_cli_group(const char *prog, const char *group, const sk_cli_cmd *cmds, size_t n,
		 int argc, char **argv)
{
	if (probe.active) {
		for (size_t i = 0; i < n && !probe.found; i++)
			probe_cmd(&cmds[i]);
		return SK_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		printf("usage: %s %s SUBCOMMAND [options]   (SUBCOMMAND --help for its options)\n\n",
		       prog, group);
		for (size_t i = 0; i < n; i++)
			printf("  %-12s %s\n", cmds[i].name, cmds[i].summary);
		return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	return sk_cli_usage(group, "unknown subcommand '%s'", argv[1]);
}
