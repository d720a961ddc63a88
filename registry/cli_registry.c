/* schakel-registry subcommands: argument parsing only, then the library. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/cli.h"
#include "common/cli_backup.h"
#include "common/db.h"
#include "common/clock.h"
#include "common/file.h"
#include "registry/cli.h"
#include "registry/cosign.h"
#include "registry/enrol.h"
#include "registry/quota.h"
#include "registry/replay.h"
#include "protos/rollover.h"
#include "registry/rollover.h"
#include "registry/serve.h"


/* Opens the store of o->dir; returns an exit code or 0. */
static int open_store(reg_store **s, sk_kek **kek, const sk_cli_common *o, const char *what)
{
	sk_status st;

	if ((st = sk_cli_kek(kek, o)) != SK_OK)
		return sk_cli_fail(st, what);
	if ((st = reg_store_open(s, o->dir, *kek)) != SK_OK) {
		sk_kek_free(*kek);
		*kek = NULL;
		return sk_cli_fail(st, what);
	}
	return 0;
}

/* Opens the store for a read-only command: no key, so no passphrase. */
static int open_public(reg_store **s, const sk_cli_common *o, const char *what)
{
	sk_status st = reg_store_open_public(s, o->dir);

	return st == SK_OK ? 0 : sk_cli_fail(st, what);
}

/* The options of ca-init and init; each table gives only its own. */
struct init_args {
	const char *ca_dir, *name, *org, *policy_file;
	net_hosts hosts;
};

/* --host NAME for a certificate's subjectAltName; returns an exit code or
 * SK_CLI_RUN. */
static int host_opt(const char *cmd, net_hosts *h, const char *arg)
{
	if (net_hosts_add(h, arg) != SK_OK)
		return sk_cli_usage(cmd, "--host: %s", sk_error_detail());
	return SK_CLI_RUN;
}

static int init_opt(int c, const char *arg, void *p)
{
	struct init_args *a = p;

	switch (c) {
	case 'a':
		a->ca_dir = arg;
		break;
	case 'n':
		a->name = arg;
		break;
	case 'o':
		a->org = arg;
		break;
	case 'p':
		a->policy_file = arg;
		break;
	case 'H':
		return host_opt("init", &a->hosts, arg);
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_ca_init(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"name", required_argument, NULL, 'n'},
					   {"ca", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-registry ca-init --ca CA --name NAME\n\n"
		"Creates the federation authority (CA key and certificate) in the directory CA.\n"
		"Keep CA apart from the registry's data dir, offline when not admitting.\n\n"
		"  --ca CA               the CA directory (created 0700)\n"
		"  --name NAME           the federation's name, e.g. 'Regio Utrecht'\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct init_args a = {0};
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("ca-init", argc, argv, lo, help, &o, init_opt, &a)) != SK_CLI_RUN)
		return rc;
	if (a.ca_dir == NULL || a.name == NULL)
		return sk_cli_usage("ca-init", "--ca CA and --name NAME are required");
	if ((st = sk_cli_kek(&kek, &o)) != SK_OK)
		return sk_cli_fail(st, "ca-init");
	st = reg_ca_init(a.ca_dir, a.name, kek);
	sk_kek_free(kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "ca-init");
	printf("federation CA '%s' created in %s\n", a.name, a.ca_dir);
	return SK_EXIT_OK;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"name", required_argument, NULL, 'n'},
					   {"org-id", required_argument, NULL, 'o'},
					   {"policy", required_argument, NULL, 'p'},
					   {"host", required_argument, NULL, 'H'},
					   {"ca", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-registry init --dir D --name NAME [--ca CA] [--org-id ID]\n"
		"           [--host NAME]... [--policy FILE]\n\n"
		"Creates the registry: its identity key, its database and the signed checkpoint\n"
		"of the empty log. With --ca it also gets its TLS certificate (else the first\n"
		"enrol with --ca issues it). D/ca.pem is the federation CA as PEM, for monitors'\n"
		"clients (curl --cacert, Python, Go).\n\n"
		"  --name NAME           the log's origin, e.g. 'regio-utrecht.example/registry'\n"
		"  --org-id ID           the registry's id in certificates (default 'registry')\n"
		"  --host NAME           a DNS name or IP address clients reach the registry and\n"
		"                        its tiles under (repeatable, at most 16): the TLS\n"
		"                        certificate's subjectAltName, with the org id\n"
		"  --policy FILE         the federation policy matrix, instead of the default:\n"
		"                        one line a category, 'category: the categories it may\n"
		"                        see' (space-separated; '#' starts a comment line).\n"
		"                        Two orgs see each other only when both directions are\n"
		"                        allowed. Fixed at init; bundles carry it to members.\n"
		SK_CLI_COMMON_HELP "  --ca CA               the federation CA directory\n";
	sk_cli_common o = {0};
	struct init_args a = {.org = REG_ORG_ID_DEFAULT};
	wire_policy policy;
	uint8_t *text = NULL;
	size_t len = 0;
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	reg_ca *ca = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("init", argc, argv, lo, help, &o, init_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("init", &o)) != 0)
		return rc;
	if (a.name == NULL)
		return sk_cli_usage("init", "--name NAME is required");
	if (a.policy_file != NULL) {
		if ((st = sk_file_read(a.policy_file, WIRE_POLICY_TEXT_MAX, &text, &len)) != SK_OK)
			return sk_cli_fail(st, "init");
		st = wire_policy_parse(&policy, (const char *)text, len);
		free(text);
		if (st != SK_OK)
			return sk_cli_fail(st, "init");
	}
	if ((st = sk_cli_kek(&kek, &o)) != SK_OK)
		return sk_cli_fail(st, "init");
	if (a.ca_dir != NULL && (st = reg_ca_open(&ca, a.ca_dir, kek)) != SK_OK)
		goto out;
	if ((st = reg_store_init(o.dir, a.name, a.org, kek)) != SK_OK)
		goto out;
	if ((ca != NULL || a.policy_file != NULL || a.hosts.n > 0) &&
	    (st = reg_store_open(&s, o.dir, kek)) != SK_OK)
		goto out;
	if (a.hosts.n > 0 && (st = reg_tls_hosts_set(s, &a.hosts)) != SK_OK)
		goto out;
	if (a.policy_file != NULL && (st = reg_store_policy_init(s, &policy)) != SK_OK)
		goto out;
	if (ca != NULL && (st = reg_tls_ensure(s, ca, kek)) != SK_OK)
		goto out;
	printf("registry '%s' created in %s\n"
	       "keep a journal of member changes outside the data dir, for a restore: give\n"
	       "enrol, revoke and quota --journal FILE (or 'journal = FILE' in --config), e.g.\n"
	       "/var/backups/schakel/registry.journal\n",
	       a.name, o.dir);
out:
	reg_store_close(s);
	reg_ca_close(ca);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "init");
}

struct enrol_args {
	reg_enrol_opts eo;
	const char *ca_dir, *request, *out, *refresh, *journal;
	net_hosts hosts;
};

static int enrol_opt(int c, const char *arg, void *p)
{
	struct enrol_args *a = p;
	unsigned long long quorum = 0;

	switch (c) {
	case 'a':
		a->ca_dir = arg;
		break;
	case 'r':
		a->request = arg;
		break;
	case 'o':
		a->out = arg;
		break;
	case 'R':
		break; /* the request says its role */
	case 'g':
		a->eo.registry_address = arg;
		break;
	case 'f':
		a->refresh = arg;
		break;
	case 'j':
		a->journal = arg;
		break;
	case 'w':
		if (a->eo.n_witnesses == REG_MAX_WITNESSES)
			return sk_cli_usage("enrol", "at most %d witnesses", REG_MAX_WITNESSES);
		a->eo.witnesses[a->eo.n_witnesses++] = arg;
		break;
	case 'q':
		if (sk_cli_u64(arg, &quorum) != SK_OK || quorum > REG_MAX_WITNESSES)
			return sk_cli_usage("enrol", "--quorum takes 0..%d", REG_MAX_WITNESSES);
		a->eo.has_quorum = 1;
		a->eo.quorum = (uint32_t)quorum;
		break;
	case 'p':
		if (a->eo.n_pseudonymisers == REG_MAX_PSEUDONYMISERS)
			return sk_cli_usage("enrol", "at most %d pseudonymisers",
					    REG_MAX_PSEUDONYMISERS);
		a->eo.pseudonymisers[a->eo.n_pseudonymisers++] = arg;
		break;
	case 'H':
		a->eo.hosts = &a->hosts;
		return host_opt("enrol", &a->hosts, arg);
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

/* A base64 string value, or NULL. */
static json_t *b64_json(const uint8_t *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *t = malloc(n);
	json_t *j;

	if (t == NULL)
		return NULL;
	sodium_bin2base64(t, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	j = json_string(t);
	free(t);
	return j;
}

/* The journal record of an enrol (cmd enrol, rekey, recert or refresh):
 * what a replay needs to record it again without the CA: the request and
 * the certificate the member now holds, and the bundle's options. */
static json_t *enrol_record(reg_store *s, const char *cmd, const char *org, const uint8_t *req,
			    size_t req_len, const reg_enrol_opts *eo)
{
	json_t *j = json_pack("{s:s,s:s}", "cmd", cmd, "org", org), *ps, *ws;
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;

	if (j == NULL || (ps = json_array()) == NULL)
		goto fail;
	json_object_set_new(j, "pseudonymisers", ps);
	for (size_t i = 0; i < eo->n_pseudonymisers; i++)
		json_array_append_new(ps, json_string(eo->pseudonymisers[i]));
	if ((ws = json_array()) == NULL)
		goto fail;
	json_object_set_new(j, "witnesses", ws);
	for (size_t i = 0; i < eo->n_witnesses; i++)
		json_array_append_new(ws, json_string(eo->witnesses[i]));
	if (eo->has_quorum)
		json_object_set_new(j, "quorum", json_integer(eo->quorum));
	if (eo->registry_address != NULL)
		json_object_set_new(j, "registry", json_string(eo->registry_address));
	if (req != NULL && json_object_set_new(j, "request", b64_json(req, req_len)) != 0)
		goto fail;
	if (strcmp(cmd, "refresh") != 0) {
		if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0 ||
		    reg_member_get(s, txn, org, &m) != SK_OK ||
		    json_object_set_new(j, "cert", b64_json(m->cert.data, m->cert.len)) != 0) {
			schakel__v1__member__free_unpacked(m, NULL);
			mdb_txn_abort(txn);
			goto fail;
		}
		schakel__v1__member__free_unpacked(m, NULL);
		mdb_txn_abort(txn);
	}
	return j;
fail:
	json_decref(j);
	return NULL;
}

static int cmd_enrol(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"request", required_argument, NULL, 'r'},
					   {"out", required_argument, NULL, 'o'},
					   {"role", required_argument, NULL, 'R'},
					   {"registry", required_argument, NULL, 'g'},
					   {"pseudonymiser", required_argument, NULL, 'p'},
					   {"refresh", required_argument, NULL, 'f'},
					   {"witness", required_argument, NULL, 'w'},
					   {"quorum", required_argument, NULL, 'q'},
					   {"host", required_argument, NULL, 'H'},
					   {"journal", required_argument, NULL, 'j'},
					   {"ca", required_argument, NULL, 'a'}, {0}};
	static const char help[] =
		"usage: schakel-registry enrol --dir D --ca CA --request FILE --out BUNDLE\n"
		"           [--registry HOST:PORT] [--pseudonymiser ID@HOST:PORT]...\n"
		"           [--witness ID@https://HOST:PORT]... [--quorum N] [--host NAME]...\n"
		"       schakel-registry enrol --dir D --refresh ORG --out BUNDLE [...]\n"
		"       schakel-registry enrol --dir D --refresh ORG --request REKEY --ca CA --out BUNDLE\n"
		"       schakel-registry enrol --dir D --refresh ORG --ca CA --host NAME... --out BUNDLE\n\n"
		"Admits a member from its enrolment request (written by its 'init'): issues its\n"
		"certificate, records it in the log and writes the bundle its 'join' installs.\n"
		"Safe while 'serve' runs. --refresh issues a new bundle to a live member; with\n"
		"--request it countersigns a node's rekey (D/rekey-request, signed by its current\n"
		"and its new identity key): a certificate for the new TLS key, the new keys in the\n"
		"member record and a MEMBER_REFRESHED leaf; the old certificate is refused at once.\n"
		"--refresh ORG --ca CA --host NAME... gives the member a new certificate for its\n"
		"current key, naming those hosts (e.g. one issued before certificates named\n"
		"hosts); the member installs the bundle with 'join' before it connects again.\n"
		"Every bundle pins the registry's TLS key; --refresh with --ca makes a new TLS key\n"
		"and certificate first when D/tls.key and D/tls.crt were moved away (a re-key).\n"
		"Org ids that are the registry's own id or name, or a reserved word (registry,\n"
		"witness, pseudonymiser, schakel, admin, root, ca, operator, localhost, ...),\n"
		"are refused. A certificate names the org id and the host names of the\n"
		"member's request (its 'init --host') as subjectAltName; --host replaces them\n"
		"(the operator decides), also for a rekey's new certificate.\n\n"
		"  --request FILE        the member's enrol-request\n"
		"  --out BUNDLE          where to write the bundle (must not exist)\n"
		"  --registry HOST:PORT  the address members reach (default: what serve recorded)\n"
		"  --pseudonymiser ID@HOST:PORT  an enrolled pseudonymiser, in chain order\n"
		"  --witness ID@URL      an enrolled member cosigning checkpoints at URL\n"
		"                        (https://HOST:PORT of its witness); 'serve' asks it\n"
		"  --quorum N            cosignatures (under an hour old) members require of\n"
		"                        every checkpoint (default 0: none)\n"
		"  --role ROLE           node|pseudonymiser|witness (default: the request's)\n"
		"  --host NAME           a DNS name or IP address for the member's certificate\n"
		"                        (repeatable, at most 16), instead of the request's\n"
		REG_CLI_JOURNAL_HELP
		SK_CLI_COMMON_HELP "  --ca CA               the federation CA directory\n";
	sk_cli_common o = {0};
	struct enrol_args a = {0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	reg_ca *ca = NULL;
	uint8_t *req = NULL, *bundle = NULL;
	size_t req_len = 0, bundle_len = 0;
	char org[64] = "";
	sk_status st;
	int rc, changed;

	if ((rc = sk_cli_parse("enrol", argc, argv, lo, help, &o, enrol_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("enrol", &o)) != 0)
		return rc;
	if (a.out == NULL || (a.refresh == NULL && (a.request == NULL || a.ca_dir == NULL)))
		return sk_cli_usage("enrol", "--out BUNDLE and either --request FILE with --ca CA "
					     "or --refresh ORG are required");
	if (a.eo.hosts != NULL && a.refresh != NULL && a.request == NULL && a.ca_dir == NULL)
		return sk_cli_usage("enrol", "--refresh ORG --host NAME issues a new certificate: "
					     "give --ca CA");
	if ((rc = open_store(&s, &kek, &o, "enrol")) != 0)
		return rc;
	if (a.refresh != NULL && a.request != NULL) {
		if (a.ca_dir == NULL) {
			st = SK_ERR_INVALID;
			sk_error_set("a rekey (--refresh ORG --request F) issues a certificate: give --ca CA");
		} else if ((st = reg_ca_open(&ca, a.ca_dir, kek)) == SK_OK &&
			   (st = sk_file_read(a.request, 65536, &req, &req_len)) == SK_OK) {
			st = reg_rekey(s, ca, a.refresh, req, req_len, &a.eo, &bundle, &bundle_len);
		}
		memcpy(org, a.refresh, strnlen(a.refresh, sizeof(org) - 1));
	} else if (a.refresh != NULL) {
		/* with --ca, a registry whose TLS files were moved away gets a new
		 * TLS key and certificate first, which the bundle pins; with
		 * --host, the member gets a new certificate naming them */
		if (a.ca_dir == NULL || ((st = reg_ca_open(&ca, a.ca_dir, kek)) == SK_OK &&
					 (st = reg_tls_ensure(s, ca, kek)) == SK_OK))
			st = a.eo.hosts != NULL
				? reg_enrol_recert(s, ca, a.refresh, &a.eo, &bundle, &bundle_len)
				: reg_enrol_refresh(s, a.refresh, &a.eo, &bundle, &bundle_len);
		memcpy(org, a.refresh, strnlen(a.refresh, sizeof(org) - 1));
	} else if ((st = reg_ca_open(&ca, a.ca_dir, kek)) == SK_OK &&
		   (st = reg_tls_ensure(s, ca, kek)) == SK_OK &&
		   (st = sk_file_read(a.request, 65536, &req, &req_len)) == SK_OK) {
		st = reg_enrol(s, ca, req, req_len, &a.eo, &bundle, &bundle_len, org);
	}
	changed = st == SK_OK;
	if (st == SK_OK && (st = sk_file_create(a.out, bundle, bundle_len)) != SK_OK)
		sk_cli_say("the member is enrolled but its bundle could not be written; issue it "
			   "again with: schakel-registry enrol --refresh %s --out FILE", org);
	/* on disk in the journal before the command says it is done (also
	 * when only the bundle file failed: the store changed) */
	if (changed)
		rc = reg_cli_journal_note(s, a.journal,
					  enrol_record(s, a.refresh && a.request  ? "rekey"
							  : a.refresh && a.eo.hosts ? "recert"
							  : a.refresh               ? "refresh"
										    : "enrol",
						       org, req, req_len, &a.eo),
					  "enrol");
	if (st == SK_OK)
		printf("%s %s; bundle written to %s\n", org,
		       a.refresh && a.request ? "rekeyed" : a.refresh ? "refreshed" : "enrolled",
		       a.out);
	free(req);
	free(bundle);
	reg_ca_close(ca);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? rc : sk_cli_fail(st, "enrol");
}

struct revoke_args {
	const char *org, *journal;
	int purge;
};

static int revoke_opt(int c, const char *arg, void *p)
{
	struct revoke_args *a = p;

	switch (c) {
	case 'o':
		a->org = arg;
		break;
	case 'p':
		a->purge = 1;
		break;
	case 'j':
		a->journal = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_revoke(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"org", required_argument, NULL, 'o'},
					   {"purge", no_argument, NULL, 'p'},
					   {"journal", required_argument, NULL, 'j'}, {0}};
	static const char help[] =
		"usage: schakel-registry revoke --dir D --org ORG [--purge]\n\n"
		"Revokes a member at once, also while 'serve' runs: its connections are refused\n"
		"from their next request on. The revocation is a leaf of the log.\n\n"
		"  --org ORG             the member's org id\n"
		"  --purge               also remove its entries' contents (a departed org);\n"
		"                        partners whose matches disappear get a notice\n"
		REG_CLI_JOURNAL_HELP SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct revoke_args a = {0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("revoke", argc, argv, lo, help, &o, revoke_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("revoke", &o)) != 0)
		return rc;
	if (a.org == NULL)
		return sk_cli_usage("revoke", "--org ORG is required");
	if ((rc = open_store(&s, &kek, &o, "revoke")) != 0)
		return rc;
	size_t purged = 0;

	st = reg_revoke(s, a.org, a.purge, &purged);
	if (st == SK_OK)
		rc = reg_cli_journal_note(s, a.journal,
					  json_pack("{s:s,s:s,s:b}", "cmd", "revoke", "org", a.org,
						    "purge", a.purge),
					  "revoke");
	if (st == SK_OK && a.purge)
		printf("%s revoked; %zu entries purged, partners notified\n", a.org, purged);
	else if (st == SK_OK)
		printf("%s revoked\n", a.org);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? rc : sk_cli_fail(st, "revoke");
}

static const char *role_name(Schakel__V1__Role r)
{
	switch (r) {
	case SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER:
		return "pseudonymiser";
	case SCHAKEL__V1__ROLE__ROLE_WITNESS:
		return "witness";
	default:
		return "node";
	}
}

/* A listing command over one database of the store: rows printed as a
 * table (header first) or collected as a JSON array. */
typedef sk_status (*row_fn)(reg_store *s, MDB_txn *txn, const MDB_val *v, json_t *list);

static int list_cmd(int argc, char **argv, const char *cmd, const char *help, size_t dbi_at,
		    const char *header, row_fn row)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	sk_cli_common o = {0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	json_t *list = NULL;
	sk_status st;
	int rc, mrc;

	if ((rc = sk_cli_parse(cmd, argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if ((rc = open_public(&s, &o, cmd)) != 0)
		return rc;
	if (o.json && (list = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK ||
	    (st = sk_db_status(mdb_cursor_open(txn, *(MDB_dbi *)((char *)s + dbi_at), &cur))) !=
		    SK_OK)
		goto out;
	if (!o.json && header != NULL)
		puts(header);
	for (mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); mrc == 0 && st == SK_OK;
	     mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
		st = row(s, txn, &d, list);
	if (st == SK_OK && o.json) {
		char *txt = json_dumps(list, JSON_INDENT(2));

		if (txt != NULL)
			puts(txt);
		free(txt);
	}
out:
	json_decref(list);
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* The quota of an org as JSON: limits in force and the live count. */
static json_t *quota_json(const reg_quota *q)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "entries",
			 (json_int_t)reg_quota_limit(q, REG_QUOTA_ENTRIES_MAX), "live_entries",
			 (json_int_t)q->v[REG_QUOTA_LIVE], "publishes_per_minute",
			 (json_int_t)reg_quota_limit(q, REG_QUOTA_PUBLISH_MAX),
			 "messages_per_discussion",
			 (json_int_t)reg_quota_limit(q, REG_QUOTA_DISCUSSION_MAX), "messages_per_day",
			 (json_int_t)reg_quota_limit(q, REG_QUOTA_DAY_MAX));
}

static sk_status member_row(reg_store *s, MDB_txn *txn, const MDB_val *d, json_t *list)
{
	Schakel__V1__Member *m = schakel__v1__member__unpack(NULL, d->mv_size, d->mv_data);
	reg_quota q;
	char entries[48];
	sk_status st;

	if (m == NULL)
		return SK_ERR_DB;
	if ((st = reg_quota_get(s, txn, m->org_id, &q)) != SK_OK) {
		schakel__v1__member__free_unpacked(m, NULL);
		return st;
	}
	snprintf(entries, sizeof(entries), "%llu/%llu", (unsigned long long)q.v[REG_QUOTA_LIVE],
		 (unsigned long long)reg_quota_limit(&q, REG_QUOTA_ENTRIES_MAX));
	if (list != NULL)
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o}", "id",
						      m->org_id, "name", m->name, "category",
						      m->category ? m->category : "", "role",
						      role_name(m->role), "state",
						      m->has_revoked_at ? "revoked" : "live",
						      "enrolled_at", (json_int_t)m->enrolled_at,
						      "leaf_index", (json_int_t)m->leaf_index,
						      "quota", quota_json(&q)));
	else
		printf("%-24s %-16s %-10s %-8s %-16s %-8llu %-8llu %-8llu %s\n", m->org_id,
		       m->category ? m->category : "", role_name(m->role),
		       m->has_revoked_at ? "revoked" : "live", entries,
		       (unsigned long long)reg_quota_limit(&q, REG_QUOTA_PUBLISH_MAX),
		       (unsigned long long)reg_quota_limit(&q, REG_QUOTA_DISCUSSION_MAX),
		       (unsigned long long)reg_quota_limit(&q, REG_QUOTA_DAY_MAX), m->name);
	schakel__v1__member__free_unpacked(m, NULL);
	return SK_OK;
}

static int cmd_members(int argc, char **argv)
{
	static const char help[] = "usage: schakel-registry members --dir D [--json]\n\n"
				   "Lists every member ever enrolled, with its state and quotas:\n"
				   "ENTRIES live entries / their limit, PUB/MIN publishes a minute,\n"
				   "MSG/DISC messages a discussion, MSG/DAY messages a day (see 'quota').\n\n"
				   SK_CLI_COMMON_HELP;

	return list_cmd(argc, argv, "members", help, offsetof(reg_store, members),
			"ORG                      CATEGORY         ROLE       STATE    ENTRIES          "
			"PUB/MIN  MSG/DISC MSG/DAY  NAME",
			member_row);
}

static int cmd_witnesses(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-registry witnesses --dir D [--json]\n\n"
		"Lists the witnesses 'serve' asks to cosign each checkpoint (every live member\n"
		"a bundle named with enrol --witness), their cosigning keys, and the quorum a\n"
		"round needs (the largest --quorum of the bundles issued).\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	reg_witness *ws = NULL;
	char vkey[NOTE_VKEY_MAX];
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	MDB_txn *txn = NULL;
	json_t *arr = NULL;
	uint32_t quorum = 0;
	size_t n = 0;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("witnesses", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("witnesses", &o)) != 0)
		return rc;
	if ((rc = open_public(&s, &o, "witnesses")) != 0)
		return rc;
	if ((ws = calloc(REG_WITNESS_MAX, sizeof(*ws))) == NULL || (arr = json_array()) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = reg_witness_list(s, txn, ws, REG_WITNESS_MAX, &n)) == SK_OK)
		st = reg_quorum_get(s, txn, &quorum);
	mdb_txn_abort(txn);
	if (!o.json && st == SK_OK)
		printf("quorum %u of %zu\n%-20s %-32s %s\n", quorum, n, "ID", "URL", "KEY");
	for (size_t i = 0; st == SK_OK && i < n; i++) {
		if ((st = note_verifier_format(vkey, &ws[i].key)) != SK_OK)
			break;
		if (o.json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "id", ws[i].id, "url",
							     ws[i].url, "vkey", vkey));
		else
			printf("%-20s %-32s %s\n", ws[i].id, ws[i].url, vkey);
	}
	if (o.json && st == SK_OK) {
		char *txt = json_dumps(arr, JSON_COMPACT);

		if (txt == NULL)
			st = SK_ERR_NOMEM;
		else
			printf("%s\n", txt);
		free(txt);
	}
out:
	json_decref(arr);
	free(ws);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "witnesses");
}

struct serve_args {
	reg_serve_opts so;
	unsigned long long workers, sweep, limit, idle, check, retain, case_max;
};

static int serve_opt(int c, const char *arg, void *p)
{
	struct serve_args *a = p;

	switch (c) {
	case 'I':
		if (sk_cli_duration_ms(arg, &a->idle) != SK_OK || a->idle == 0)
			return sk_cli_usage("serve", "--discuss-idle takes e.g. 30d, 12h or 90s");
		break;
	case 'T':
		if (sk_cli_duration_ms(arg, &a->retain) != SK_OK || a->retain == 0)
			return sk_cli_usage("serve", "--table-retain takes e.g. 90d, 12h or 90s");
		break;
	case 'C':
		if (sk_cli_duration_ms(arg, &a->case_max) != SK_OK || a->case_max == 0)
			return sk_cli_usage("serve",
					    "--table-case-max takes e.g. 365d, 12h or 90s");
		break;
	case 'l':
		a->so.listen = arg;
		break;
	case 'H':
		sk_cli_deprecated("serve", "http", "tiles");
		/* fall through */
	case 'h':
		a->so.http = arg;
		break;
	case 'w':
		if (sk_cli_u64(arg, &a->workers) != SK_OK || a->workers > 64)
			return sk_cli_usage("serve", "--workers takes 0..64");
		break;
	case 's':
		if (sk_cli_u64(arg, &a->sweep) != SK_OK || a->sweep == 0 || a->sweep > 86400)
			return sk_cli_usage("serve", "--sweep-seconds takes 1..86400");
		break;
	case 'L':
		if (sk_cli_u64(arg, &a->limit) != SK_OK || a->limit == 0)
			return sk_cli_usage("serve", "--lookup-limit takes a positive count");
		break;
	case 'M':
		if (sk_cli_u64(arg, &a->check) != SK_OK || a->check == 0 || a->check > 3600000)
			return sk_cli_usage("serve", "--members-check-ms takes 1..3600000");
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"listen", required_argument, NULL, 'l'},
					   {"workers", required_argument, NULL, 'w'},
					   {"sweep-seconds", required_argument, NULL, 's'},
					   {"lookup-limit", required_argument, NULL, 'L'},
					   {"discuss-idle", required_argument, NULL, 'I'},
					   {"table-retain", required_argument, NULL, 'T'},
					   {"table-case-max", required_argument, NULL, 'C'},
					   {"tiles", required_argument, NULL, 'h'},
					   {"http", required_argument, NULL, 'H'}, /* --tiles' former name */
					   {"members-check-ms", required_argument, NULL, 'M'},
					   {0}};
	static const char help[] =
		"usage: schakel-registry serve --dir D --listen HOST:PORT [--tiles HOST:PORT]\n\n"
		"Serves members over TLS 1.3 with mutual authentication. Prints\n"
		"'listening on HOST:PORT' once ready (port 0 picks a free one). SIGTERM drains\n"
		"in-flight requests and exits 0. Asks the witnesses that bundles name (enrol\n"
		"--witness) to cosign each new checkpoint, in the background.\n\n"
		"  --listen HOST:PORT    where to listen\n"
		"  --tiles HOST:PORT     also serve the log read-only as C2SP tlog-tiles over\n"
		"                        HTTPS (/checkpoint, /tile/..., /tile/entries/...);\n"
		"                        prints 'tiles listening on HOST:PORT' first (formerly\n"
		"                        --http, which still works)\n"
		"  --workers N           signature-checking threads (default: one per CPU)\n"
		"  --sweep-seconds N     how often expired entries are purged (default 60)\n"
		"  --lookup-limit N      lookups per org per day before a pattern flag (500)\n"
		"  --discuss-idle T      a case discussion without activity for T ends and its\n"
		"                        ciphertext is purged (default 30d; units s, m, h, d)\n"
		"  --table-retain T      a case table case's ciphertext is purged T after its\n"
		"                        outcome (default 90d)\n"
		"  --table-case-max T    ... and T after it was brought when it has no\n"
		"                        outcome; it then takes no more messages (default 365d)\n"
		"  --members-check-ms N  how often open connections are checked against\n"
		"                        revocations by another process (default 250); every\n"
		"                        request checks too\n"
		SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct serve_args a = {0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("serve", argc, argv, lo, help, &o, serve_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("serve", &o)) != 0)
		return rc;
	if (a.so.listen == NULL)
		return sk_cli_usage("serve", "--listen HOST:PORT is required");
	a.so.workers = (unsigned)a.workers;
	a.so.sweep_seconds = (unsigned)a.sweep;
	a.so.members_check_ms = (unsigned)a.check;
	if ((rc = open_store(&s, &kek, &o, "serve")) != 0)
		return rc;
	s->lookup_limit = a.limit;
	s->discuss_idle_ms = a.idle;
	s->table_retain_ms = a.retain;
	s->table_case_max_ms = a.case_max;
	st = reg_serve(s, kek, &a.so);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "serve");
}

struct checkpoint_args {
	int vkey, cosigned;
};

static int checkpoint_opt(int c, const char *arg, void *p)
{
	struct checkpoint_args *a = p;

	switch (c) {
	case 'v':
		a->vkey = 1;
		break;
	case 'c':
		a->cosigned = 1;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_checkpoint(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"vkey", no_argument, NULL, 'v'},
					   {"cosigned", no_argument, NULL, 'c'}, {0}};
	static const char help[] =
		"usage: schakel-registry checkpoint --dir D [--vkey | --cosigned]\n\n"
		"Prints the latest signed checkpoint (C2SP signed note), or with --vkey the\n"
		"verifier key string that checks it, or with --cosigned the checkpoint with\n"
		"the witnesses' cosignatures that members with a quorum get (the latest\n"
		"signed one before the first cosigning round).\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct checkpoint_args a = {0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	MDB_txn *txn = NULL;
	uint8_t *note = NULL;
	size_t len = 0;
	uint64_t size;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("checkpoint", argc, argv, lo, help, &o, checkpoint_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("checkpoint", &o)) != 0)
		return rc;
	if ((rc = open_public(&s, &o, "checkpoint")) != 0)
		return rc;
	/* a registry from before the verifier key was kept: once with the key */
	if (a.vkey && s->vkey[0] == '\0') {
		reg_store_close(s);
		s = NULL;
		if ((rc = open_store(&s, &kek, &o, "checkpoint")) != 0)
			return rc;
	}
	if (a.vkey) {
		printf("%s\n", s->vkey);
		st = SK_OK;
	} else if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = a.cosigned ? reg_checkpoint_served(s, txn, NULL, 0, &note, &len, &size)
				: reg_log_checkpoint(&s->log, txn, &note, &len, &size);
		mdb_txn_abort(txn);
		if (st == SK_OK)
			fwrite(note, 1, len, stdout);
	}
	free(note);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "checkpoint");
}

struct proof_args {
	unsigned long long from, to;
	int have_from, have_to;
};

static int proof_opt(int c, const char *arg, void *p)
{
	struct proof_args *a = p;

	switch (c) {
	case 'f':
		a->have_from = sk_cli_u64(arg, &a->from) == SK_OK;
		if (!a->have_from)
			return sk_cli_usage("proof", "--from takes a tree size");
		break;
	case 't':
		a->have_to = sk_cli_u64(arg, &a->to) == SK_OK;
		if (!a->have_to)
			return sk_cli_usage("proof", "--to takes a tree size");
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_proof(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {"from", required_argument, NULL, 'f'},
					   {"to", required_argument, NULL, 't'}, {0}};
	static const char help[] =
		"usage: schakel-registry proof --dir D --from N --to M\n\n"
		"Prints the RFC 9162 consistency proof from tree size N to M, one base64 hash a\n"
		"line (nothing when N = M).\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct proof_args a = {0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	MDB_txn *txn = NULL;
	uint8_t proof[MERKLE_PROOF_BYTES];
	size_t plen = 0;
	uint64_t size;
	struct reg_log_ctx ctx;
	merkle_source src;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("proof", argc, argv, lo, help, &o, proof_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("proof", &o)) != 0)
		return rc;
	if (!a.have_from || !a.have_to || a.from == 0 || a.from > a.to)
		return sk_cli_usage("proof", "--from N --to M with 0 < N <= M are required");
	if ((rc = open_public(&s, &o, "proof")) != 0)
		return rc;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		reg_log_source(&src, &ctx, &s->log, txn);
		if ((st = reg_log_size(&s->log, txn, &size)) == SK_OK && a.to > size) {
			sk_error_set("the log has only %llu leaves", (unsigned long long)size);
			st = SK_ERR_INVALID;
		}
		if (st == SK_OK)
			st = merkle_consistency_proof(proof, &plen, &src, a.from, a.to);
		mdb_txn_abort(txn);
	}
	for (size_t i = 0; st == SK_OK && i < plen; i++) {
		char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];

		sodium_bin2base64(b64, sizeof(b64), proof + 32 * i, 32,
				  sodium_base64_VARIANT_ORIGINAL);
		printf("%s\n", b64);
	}
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "proof");
}

static sk_status flag_row(reg_store *s, MDB_txn *txn, const MDB_val *d, json_t *list)
{
	Schakel__V1__MailboxItem *it = schakel__v1__mailbox_item__unpack(NULL, d->mv_size, d->mv_data);

	(void)s;
	(void)txn;
	if (it == NULL)
		return SK_ERR_DB;
	if (list != NULL)
		json_array_append_new(list, json_pack("{s:I,s:s,s:I,s:s}", "id", (json_int_t)it->time,
						      "org", it->counterpart ? it->counterpart : "",
						      "time", (json_int_t)it->time, "detail",
						      it->detail ? it->detail : ""));
	else
		printf("%llu %-24s %s\n", (unsigned long long)it->time,
		       it->counterpart ? it->counterpart : "", it->detail ? it->detail : "");
	schakel__v1__mailbox_item__free_unpacked(it, NULL);
	return SK_OK;
}

static int cmd_flags(int argc, char **argv)
{
	static const char help[] =
		"usage: schakel-registry flags --dir D [--json]\n\n"
		"Pattern flags for the operator, oldest first: an entry published, looked up\n"
		"and withdrawn within 48 hours, and lookup volume per org above the daily limit.\n"
		"Each flagged org's privacy officer gets the same item in its mailbox.\n\n" SK_CLI_COMMON_HELP;

	return list_cmd(argc, argv, "flags", help, offsetof(reg_store, flags), NULL, flag_row);
}

struct quota_args {
	const char *org, *journal;
	uint64_t set[REG_QUOTA_LIMITS];
	int any, bad;
};

/* A limit: a positive number, or 'default' (UINT64_MAX); a bad one is
 * reported after parsing. */
static void quota_arg(struct quota_args *a, int i, const char *arg)
{
	unsigned long long v;

	a->any = 1;
	if (strcmp(arg, "default") == 0)
		a->set[i] = UINT64_MAX;
	else if (sk_cli_u64(arg, &v) != SK_OK || v == 0 || v == UINT64_MAX)
		a->bad = 1;
	else
		a->set[i] = v;
}

static int quota_opt(int c, const char *arg, void *p)
{
	struct quota_args *a = p;

	switch (c) {
	case 'o':
		a->org = arg;
		break;
	case 'e':
		quota_arg(a, REG_QUOTA_ENTRIES_MAX, arg);
		break;
	case 'p':
		quota_arg(a, REG_QUOTA_PUBLISH_MAX, arg);
		break;
	case 'm':
		quota_arg(a, REG_QUOTA_DISCUSSION_MAX, arg);
		break;
	case 'y':
		quota_arg(a, REG_QUOTA_DAY_MAX, arg);
		break;
	case 'j':
		a->journal = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_quota(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"org", required_argument, NULL, 'o'},
					   {"entries", required_argument, NULL, 'e'},
					   {"publishes-per-minute", required_argument, NULL, 'p'},
					   {"messages-per-discussion", required_argument, NULL, 'm'},
					   {"messages-per-day", required_argument, NULL, 'y'},
					   {"journal", required_argument, NULL, 'j'},
					   {0}};
	static const char help[] =
		"usage: schakel-registry quota --dir D --org ORG [--entries N]\n"
		"         [--publishes-per-minute N] [--messages-per-discussion N]\n"
		"         [--messages-per-day N] [--json]\n\n"
		"Shows an org's quotas at the registry and, with a limit given, sets it: safe\n"
		"while 'serve' runs, which applies it to the next request. Each change is\n"
		"audited (quota.set). N is a positive number, or 'default'. Defaults: 50000\n"
		"live entries, 6000 publishes a minute, 2000 messages a discussion, 10000\n"
		"messages a day. Withdrawals are never refused.\n\n"
		"  --org ORG                      the member's org id\n"
		"  --entries N                    live entries (neither withdrawn nor purged)\n"
		"  --publishes-per-minute N       entries, anchors and keys the org adds to the log\n"
		"                                 in one clock minute\n"
		"  --messages-per-discussion N    sealed messages held by one discussion\n"
		"  --messages-per-day N           sealed messages and discussion requests the org\n"
		"                                 sends in a UTC day\n"
		REG_CLI_JOURNAL_HELP SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct quota_args a = {0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	MDB_txn *txn = NULL;
	reg_quota q;
	json_t *j = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("quota", argc, argv, lo, help, &o, quota_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("quota", &o)) != 0)
		return rc;
	if (a.org == NULL)
		return sk_cli_usage("quota", "--org ORG is required");
	if (a.bad)
		return sk_cli_usage("quota", "a limit is a positive number or 'default'");
	if ((rc = open_store(&s, &kek, &o, "quota")) != 0)
		return rc;
	if (a.any) {
		static const char *names[REG_QUOTA_LIMITS] = {
			"entries", "publishes-per-minute", "messages-per-discussion",
			"messages-per-day"};
		json_t *set = json_object();

		if ((st = reg_quota_set(s, a.org, a.set, &q)) == SK_OK) {
			for (int i = 0; set != NULL && i < REG_QUOTA_LIMITS; i++)
				if (a.set[i] != 0)
					json_object_set_new(set, names[i],
							    a.set[i] == UINT64_MAX
								    ? json_string("default")
								    : json_integer((json_int_t)a.set[i]));
			rc = reg_cli_journal_note(s, a.journal,
						  set == NULL ? NULL
							      : json_pack("{s:s,s:s,s:O}", "cmd",
									  "quota", "org", a.org,
									  "set", set),
						  "quota");
		}
		json_decref(set);
	} else if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		Schakel__V1__Member *m = NULL;

		if ((st = reg_member_get(s, txn, a.org, &m)) == SK_ERR_NOTFOUND)
			sk_error_set("org '%s' is not enrolled in this federation", a.org);
		schakel__v1__member__free_unpacked(m, NULL);
		if (st == SK_OK)
			st = reg_quota_get(s, txn, a.org, &q);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && o.json) {
		char *txt = NULL;

		if ((j = quota_json(&q)) == NULL ||
		    json_object_set_new(j, "id", json_string(a.org)) != 0 ||
		    (txt = json_dumps(j, JSON_COMPACT)) == NULL)
			st = SK_ERR_NOMEM;
		else
			printf("%s\n", txt);
		free(txt);
	} else if (st == SK_OK) {
		printf("%s: %llu of %llu live entries, %llu publishes a minute, %llu messages a "
		       "discussion, %llu messages a day\n",
		       a.org, (unsigned long long)q.v[REG_QUOTA_LIVE],
		       (unsigned long long)reg_quota_limit(&q, REG_QUOTA_ENTRIES_MAX),
		       (unsigned long long)reg_quota_limit(&q, REG_QUOTA_PUBLISH_MAX),
		       (unsigned long long)reg_quota_limit(&q, REG_QUOTA_DISCUSSION_MAX),
		       (unsigned long long)reg_quota_limit(&q, REG_QUOTA_DAY_MAX));
	}
	json_decref(j);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? rc : sk_cli_fail(st, "quota");
}

struct rollover_args {
	const char *origin, *witnessed, *request;
	int reason, report;
};

struct report_count {
	size_t nodes, back;
};

static sk_status report_line(const char *org_id, int role, int back, void *arg)
{
	struct report_count *c = arg;

	if (role == SCHAKEL__V1__ROLE__ROLE_NODE) {
		c->nodes++;
		c->back += back == 1;
	}
	printf("%-32s %s\n", org_id,
	       back == 1   ? "back: published again since the rollover"
	       : back == 0 ? "not yet back: no sync since the rollover"
			   : "nothing to replay (not a node)");
	return SK_OK;
}

static int rollover_opt(int c, const char *arg, void *p)
{
	struct rollover_args *a = p;

	switch (c) {
	case 'O':
		a->origin = arg;
		break;
	case 'w':
		a->witnessed = arg;
		break;
	case 'q':
		a->request = arg;
		break;
	case 'R':
		a->report = 1;
		break;
	case 'r':
		if (strcmp(arg, "lost") == 0)
			a->reason = SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST;
		else if (strcmp(arg, "move") == 0)
			a->reason = SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_MOVE;
		else
			return sk_cli_usage("rollover", "--reason is lost or move");
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

static int cmd_rollover(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"origin", required_argument, NULL, 'O'},
					   {"witnessed", required_argument, NULL, 'w'},
					   {"reason", required_argument, NULL, 'r'},
					   {"request", required_argument, NULL, 'q'},
					   {"report", no_argument, NULL, 'R'},
					   {0}};
	static const char help[] =
		"usage: schakel-registry rollover --dir D --origin NEW --witnessed FILE\n"
		"                                 [--reason lost|move] [--request FILE]\n"
		"       schakel-registry rollover --dir D --report\n\n"
		"After a restore (or to move the registry): goes on with a new log under the\n"
		"name NEW and the same key. The restored tree stays its first part and a\n"
		"signed statement, its next leaf, links it to the old log: to the restored\n"
		"checkpoint and to the checkpoint in FILE, the latest one any witness\n"
		"cosigned (fetch each witness's at /<hex SHA-256 of the log name>/checkpoint\n"
		"and take the largest). Run it with serve stopped. --request writes the\n"
		"witnesses' add-rollover request to FILE. Exit 3 when FILE is not a\n"
		"checkpoint of this log signed by this registry, or is smaller than the\n"
		"restored tree. Each node follows the new log at its next sync and publishes\n"
		"its open cases again. --report lists the members: which nodes are back\n"
		"(published again since the rollover) and which are not yet.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct rollover_args a = {NULL, NULL, NULL, SCHAKEL__V1__ROLLOVER_REASON__ROLLOVER_LOST, 0};
	sk_kek *kek = NULL;
	reg_store *s = NULL;
	MDB_txn *txn = NULL;
	uint8_t *w = NULL, *req = NULL;
	size_t wlen = 0, rlen = 0;
	char old[NOTE_ORIGIN_MAX + 1];
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("rollover", argc, argv, lo, help, &o, rollover_opt, &a)) !=
	    SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("rollover", &o)) != 0)
		return rc;
	if (a.report) {
		struct report_count c = {0};

		if (a.origin != NULL || a.witnessed != NULL || a.request != NULL)
			return sk_cli_usage("rollover", "--report takes no other option");
		if ((rc = open_public(&s, &o, "rollover")) != 0)
			return rc;
		if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
			st = reg_rollover_report(s, txn, report_line, &c);
			mdb_txn_abort(txn);
		}
		if (st == SK_OK)
			printf("%zu of %zu nodes back on log %s\n", c.back, c.nodes, s->origin);
		else if (st == SK_ERR_NOTFOUND)
			sk_error_set("log %s never rolled over", s->origin);
		reg_store_close(s);
		return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "rollover");
	}
	if (a.origin == NULL || a.witnessed == NULL)
		return sk_cli_usage("rollover", "--origin and --witnessed are required");
	if ((st = sk_file_read(a.witnessed, WIRE_ROLLOVER_NOTE_MAX, &w, &wlen)) != SK_OK)
		return sk_cli_fail(st, "rollover");
	if ((rc = open_store(&s, &kek, &o, "rollover")) != 0) {
		free(w);
		return rc;
	}
	memcpy(old, s->origin, sizeof(old));
	if ((st = reg_rollover(s, a.origin, w, wlen, a.reason, sk_clock_now_ms())) == SK_OK &&
	    a.request != NULL &&
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = reg_rollover_request(s, txn, &req, &rlen, NULL);
		mdb_txn_abort(txn);
		if (st == SK_OK)
			st = sk_file_create(a.request, req, rlen);
	}
	if (st == SK_OK)
		printf("log %s goes on as %s\n", old, s->origin);
	free(w);
	free(req);
	reg_store_close(s);
	sk_kek_free(kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "rollover");
}

SK_CLI_BACKUP_DEFINE(SK_BACKUP_REGISTRY, reg_store_restored)

static const sk_cli_cmd commands[] = {
	{"ca-init", cmd_ca_init, "create the federation CA in its own directory"},
	{"init", cmd_init, "create the registry: keys, log, empty checkpoint"},
	{"enrol", cmd_enrol, "admit a member from its request and write its bundle"},
	{"revoke", cmd_revoke, "revoke a member at once"},
	{"members", cmd_members, "list members"},
	{"witnesses", cmd_witnesses, "list the witnesses asked to cosign, and the quorum"},
	{"status", reg_cli_status, "what this registry is, its log, members and expiries"},
	{"serve", cmd_serve, "serve members over TLS"},
	SK_CLI_BACKUP_COMMANDS,
	{"checkpoint", cmd_checkpoint, "print the latest signed checkpoint (or --vkey)"},
	{"proof", cmd_proof, "print a consistency proof between two tree sizes"},
	{"rollover", cmd_rollover, "after a restore: go on with a new log linked to the old one"},
	{"flags", cmd_flags, "list pattern flags for the operator"},
	{"quota", cmd_quota, "show or set an org's quotas (live entries, publishes, messages)"},
	{"audit", reg_cli_audit, "the registry's access log: verify, query, export, review, purge"},
	{"journal", reg_cli_journal, "the operator's journal of member changes: verify, replay"},
};

int reg_cli_main(int argc, char **argv)
{
	return sk_cli_main("schakel-registry",
			   "schakel-registry: the federation's signed registry of case tokens",
			   commands, sizeof(commands) / sizeof(commands[0]), argc, argv);
}
