/* schakel-registry journal verify|replay, and the note every
 * member-changing command makes in the operator's journal: argument
 * parsing and printing only (registry/journal.h, registry/replay.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/cli.h"
#include "crypto/note.h"
#include "registry/cli.h"
#include "registry/journal.h"
#include "registry/replay.h"
#include "registry/store.h"

int reg_cli_journal_note(struct reg_store *s, const char *path, struct json_t *body,
			 const char *what)
{
	sk_status st;

	if (path == NULL) {
		json_decref(body);
		return 0;
	}
	st = body == NULL ? SK_ERR_NOMEM : reg_journal_note(s, path, body);
	json_decref(body);
	if (st == SK_OK)
		return 0;
	sk_cli_say("%s: done, but not written to the journal %s: %s; write it down yourself and "
		   "repair the journal (or start a new one)",
		   what, path, sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
	return SK_EXIT_FAIL;
}

static int journal_opt(int c, const char *arg, void *p)
{
	if (c != 'j')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

static const struct option journal_lo[] = {SK_CLI_COMMON_LONG,
					   {"journal", required_argument, NULL, 'j'}, {0}};

static int cmd_verify(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-registry journal verify --dir D --journal FILE [--json]\n\n"
		"Checks the operator's journal of member changes under the registry's key:\n"
		"every record signed, numbered and chained to the one before. Exit 3 names the\n"
		"first record that was changed, removed or cut off. Needs no passphrase.\n\n"
		"  --journal FILE        the journal\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *path = NULL;
	reg_store *s = NULL;
	note_verifier v;
	uint64_t n = 0;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("journal verify", argc, argv, journal_lo, help, &o, journal_opt,
			       &path)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("journal verify", &o)) != 0)
		return rc;
	if (path == NULL)
		return sk_cli_usage("journal verify", "--journal FILE is required");
	if ((st = reg_store_open_public(&s, o.dir)) != SK_OK)
		return sk_cli_fail(st, "journal verify");
	if (s->vkey[0] == '\0' || note_verifier_parse(&v, s->vkey, strlen(s->vkey)) != SK_OK) {
		sk_error_set("this registry's key is not known without its passphrase yet; run "
			     "'schakel-registry checkpoint --vkey' once");
		st = SK_ERR_INVALID;
	} else {
		st = reg_journal_read(path, v.public_key, NULL, NULL, &n);
	}
	reg_store_close(s);
	if (st != SK_OK)
		return sk_cli_fail(st, "journal verify");
	if (o.json)
		printf("{\"records\": %llu, \"verified\": true}\n", (unsigned long long)n);
	else
		printf("journal %s: %llu records, verified\n", path, (unsigned long long)n);
	return SK_EXIT_OK;
}

static void replay_line(const reg_replay_item *it, void *arg)
{
	static const char *const words[] = {"replayed", "already there", "in the backup",
					    "refused"};
	json_t *list = arg;

	if (list != NULL) {
		json_array_append_new(list, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s}", "id",
						      (json_int_t)it->seq, "time",
						      (json_int_t)it->time, "command", it->cmd, "org",
						      it->org, "outcome", words[it->outcome], "reason",
						      it->why));
		return;
	}
	printf("%-6llu %-8s %-24s %s%s%s\n", (unsigned long long)it->seq, it->cmd, it->org,
	       words[it->outcome], it->why[0] ? ": " : "", it->why);
}

static int cmd_replay(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-registry journal replay --dir D --journal FILE [--json]\n\n"
		"After a restore and 'rollover', with serve stopped: records again every member\n"
		"change in the operator's journal that the restored store lacks (revoke, enrol,\n"
		"enrol --refresh, quota), in order, and notes each in the journal again (under\n"
		"the new log). One line a record: replayed, already there, in the backup, or\n"
		"refused with the reason; new keys and certificates come back with the\n"
		"certificate the member holds. Each outcome is audited (journal.replay).\n"
		"Running it twice changes\n"
		"nothing the second time. Exit 3 when the journal does not verify (nothing is\n"
		"replayed then); exit 1 when a record was refused.\n\n"
		"  --journal FILE        the journal\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *path = NULL;
	reg_store *s = NULL;
	sk_kek *kek = NULL;
	reg_replay_counts c = {0};
	json_t *list = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("journal replay", argc, argv, journal_lo, help, &o, journal_opt,
			       &path)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("journal replay", &o)) != 0)
		return rc;
	if (path == NULL)
		return sk_cli_usage("journal replay", "--journal FILE is required");
	if ((st = sk_cli_kek(&kek, &o)) != SK_OK)
		return sk_cli_fail(st, "journal replay");
	if ((st = reg_store_open(&s, o.dir, kek)) != SK_OK) {
		sk_kek_free(kek);
		return sk_cli_fail(st, "journal replay");
	}
	if (o.json && (list = json_array()) == NULL)
		st = SK_ERR_NOMEM;
	else
		st = reg_journal_replay(s, path, path, replay_line, list, &c);
	if (st == SK_OK && list != NULL) {
		char *txt = json_dumps(list, JSON_INDENT(2));

		if (txt != NULL)
			puts(txt);
		free(txt);
	} else if (st == SK_OK) {
		printf("%u replayed, %u already there, %u in the backup, %u refused\n", c.done,
		       c.there, c.backup, c.refused);
	}
	json_decref(list);
	reg_store_close(s);
	sk_kek_free(kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "journal replay");
	if (c.refused > 0) {
		sk_cli_say("journal replay: %u record(s) refused; see the lines above", c.refused);
		return SK_EXIT_FAIL;
	}
	return SK_EXIT_OK;
}

static const sk_cli_cmd journal_cmds[] = {
	{"verify", cmd_verify, "check the journal's signatures and chain"},
	{"replay", cmd_replay, "after a restore and rollover: record the journal's changes again"},
};

int reg_cli_journal(int argc, char **argv)
{
	return sk_cli_group("schakel-registry", "journal", journal_cmds,
			    sizeof(journal_cmds) / sizeof(journal_cmds[0]), argc, argv);
}
