/* The audit commands node and registry share (query, export,
 * verify-export, review, purge, hold, retention; the registry's verify):
 * argument parsing and printing over audit/, for an owner that opens its
 * data dir through the host callbacks. Reading the log is recorded in it
 * before anything is shown. */
#ifndef SK_AUDIT_CLI_H
#define SK_AUDIT_CLI_H

#include <lmdb.h>

#include "audit/log.h"
#include "common/cli.h"
#include "crypto/key.h"

typedef struct audit_cli_host {
	const char *prog;  /* "schakel-node", in the usage lines */
	const char *owner; /* "node", "registry": whose identity key signs */
	/* Opens the data dir of o (KEK from the options): the log, its env,
	 * and tmpl with org, system, responsible and access point filled.
	 * 0, or the exit code after printing why. */
	int (*open)(void **ctx, const sk_cli_common *o, const char *cmd, audit_log **log,
		    MDB_env **env, audit_record *tmpl);
	/* The owner's identity key into out (sodium_malloc'd by the caller). */
	sk_status (*identity)(void *ctx, key_ed25519 *out);
	void (*close)(void *ctx); /* accepts NULL */
	/* The option naming the acting user in filters and the review:
	 * "professional" at a node, "org" at the registry. */
	const char *who;
	const char *whos; /* its plural in the review: "professionals" */
	const char *client_help; /* the help of --client (a filter line) */
	/* --client VALUE to the record's client field (a node resolves a BSN
	 * to its local id); NULL: the value is the field. The caller wipes
	 * ref. */
	sk_status (*resolve_client)(void *ctx, const char *ref,
				    char out[static AUDIT_FIELD_MAX + 1]);
	/* records that purges may take: audit_purge_fn's arg is ctx; NULL:
	 * none (the registry folds records into daily aggregates) */
	audit_purge_fn each;
	/* --as ID: checks that ID is a privacy officer of the owner and names
	 * her in tmpl (user and role; the strings live in ctx). SK_ERR_PERM
	 * with a detail otherwise. NULL: --as is refused. */
	sk_status (*actor)(void *ctx, const char *id, audit_record *tmpl);
} audit_cli_host;

/* One subcommand of an owner's audit group: a shared one (fn, given the
 * host) or the owner's own (own). */
typedef struct audit_cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, const audit_cli_host *h);
	int (*own)(int argc, char **argv);
	const char *summary;
} audit_cli_cmd;

/* `PROG audit SUBCOMMAND ...`: the table on no argument or --help, else
 * the subcommand (argv[1]) with argv shifted. `--as ID` anywhere names the
 * privacy officer acting (taken out of argv before the subcommand parses
 * it; audit_cli_actor()): her records (audit.query, .export, .review,
 * .signoff, ...) carry her id and role as user. Returns the exit code. */
int audit_cli_group(const audit_cli_host *h, const audit_cli_cmd *cmds, size_t n, int argc,
		    char **argv);

/* The id given with --as, or NULL. */
const char *audit_cli_actor(void);

/* Appends a record of the owner (tmpl's org, system, responsible, access
 * point) in a transaction of its own: event, action, outcome ok, category
 * "audit", the purpose and client given (may be NULL) and what as reason
 * (cleaned). Reads are recorded so before anything is shown. */
sk_status audit_cli_record(audit_log *log, MDB_env *env, const audit_record *tmpl,
			   const char *event, audit_action action, const char *client,
			   const char *purpose, const char *what) SK_MUST_CHECK;

int audit_cli_verify(int argc, char **argv, const audit_cli_host *h);
int audit_cli_query(int argc, char **argv, const audit_cli_host *h);
int audit_cli_export(int argc, char **argv, const audit_cli_host *h);
int audit_cli_verify_export(int argc, char **argv, const audit_cli_host *h);
int audit_cli_review(int argc, char **argv, const audit_cli_host *h);

/* audit purge [--dry-run] [--as-of T]: exit 1 (and a denied record)
 * under a legal hold. */
int audit_cli_purge(int argc, char **argv, const audit_cli_host *h);

/* audit hold [--until T --reason TEXT | --release]: without options shows
 * the hold. */
int audit_cli_hold(int argc, char **argv, const audit_cli_host *h);

/* audit retention [--set-years N | --set-days N]: shows or sets the
 * retention, and shows the purge base and the hold. */
int audit_cli_retention(int argc, char **argv, const audit_cli_host *h);

#endif
