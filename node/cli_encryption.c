/* schakel-node encryption: the node's X25519 encryption keys. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/when.h"
#include "node/cli.h"
#include "node/enckeys.h"

struct listing {
	json_t *all;
	int json;
	uint64_t now_s;
};

static sk_status list_one(const node_enc_info *k, void *arg)
{
	struct listing *l = arg;
	char hex[2 * KEY_X25519_PK_BYTES + 1], until[SK_WHEN_BYTES];
	time_t t = (time_t)k->not_after_s;
	struct tm tm;

	sodium_bin2hex(hex, sizeof(hex), k->pk, sizeof(k->pk));
	gmtime_r(&t, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (l->json)
		return json_array_append_new(l->all, json_pack("{s:s,s:I,s:s,s:b,s:b}", "id", hex,
							       "created", (json_int_t)k->created_ms,
							       "valid_until", until, "published",
							       k->published, "expired",
							       k->not_after_s < l->now_s)) == 0
			       ? SK_OK
			       : SK_ERR_NOMEM;
	sk_when(until, (uint64_t)k->not_after_s * 1000, SK_WHEN_EN); /* people: local time */
	printf("%s  valid until %s%s%s\n", hex, until, k->published ? "" : ", not yet published",
	       k->not_after_s < l->now_s ? ", expired (deleted at the next sync)" : "");
	return SK_OK;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node encryption list [--json]\n\n"
		"The node's encryption keys (public halves): a new one every week, each valid\n"
		"two weeks; 'sync' makes and publishes them and deletes expired ones.\n\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct listing l = {NULL, 0, sk_clock_now_ms() / 1000};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("encryption list", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("encryption list", &o)) != 0)
		return rc;
	if ((rc = node_cli_open_public(&s, &o, "encryption list")) != 0)
		return rc;
	l.json = o.json;
	l.all = json_array();
	st = node_enc_list(s, list_one, &l);
	if (st == SK_OK && l.json)
		node_cli_print_json(l.all);
	else
		json_decref(l.all);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "encryption list");
}

static int cmd_rotate(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node encryption rotate\n\n"
		"Makes a new encryption key now and publishes it in the registry's log (for\n"
		"example after a suspected compromise); partners seal to it from their next\n"
		"sync. Older keys stay until they expire, so messages in flight still open.\n\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	node_store *s = NULL;
	node_remote *r = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc, made = 0;

	if ((rc = sk_cli_parse("encryption rotate", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("encryption rotate", &o)) != 0)
		return rc;
	if ((rc = node_cli_open_remote(&s, &kek, &r, &o, "encryption rotate")) != 0)
		return rc;
	st = node_enc_maintain(r, sk_clock_now_ms(), 1, &made);
	if (st == SK_OK)
		printf("new encryption key published\n");
	node_remote_close(r);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "encryption rotate");
}

static const sk_cli_cmd encryption_cmds[] = {
	{"list", cmd_list, "the node's encryption keys"},
	{"rotate", cmd_rotate, "make and publish a new encryption key now"},
};

int node_cli_encryption(int argc, char **argv)
{
	return sk_cli_group("schakel-node", "encryption", encryption_cmds,
			    sizeof(encryption_cmds) / sizeof(encryption_cmds[0]), argc, argv);
}
