/* schakel-registry status: what this registry is, the address members get,
 * its log and witnesses, its members, and when its certificates expire.
 * Reads without the registry's keys: no key passphrase. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/record.h"
#include "common/cli.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "common/when.h"
#include "registry/cli.h"
#include "registry/cosign.h"
#include "registry/enrol.h"
#include "registry/store.h"

#define ADDRESS_MAX 255

struct status {
	char address[ADDRESS_MAX + 1];
	uint64_t size, served;
	uint32_t quorum;
	size_t n_witnesses;
	reg_witness *ws;
	size_t live, revoked, nodes, pseudonymisers, witnesses;
	int64_t tls_until, ca_until; /* unix seconds; 0: unknown */
	int64_t now;
};

static sk_status count_members(reg_store *s, MDB_txn *txn, struct status *g)
{
	MDB_cursor *cur = NULL;
	MDB_val k, d;
	sk_status st;
	int rc;

	if ((st = sk_db_status(mdb_cursor_open(txn, s->members, &cur))) != SK_OK)
		return st;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		Schakel__V1__Member *m = schakel__v1__member__unpack(NULL, d.mv_size, d.mv_data);

		if (m == NULL) {
			st = SK_ERR_DB;
			break;
		}
		if (m->has_revoked_at) {
			g->revoked++;
		} else {
			g->live++;
			if (m->role == SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER)
				g->pseudonymisers++;
			else if (m->role == SCHAKEL__V1__ROLE__ROLE_WITNESS)
				g->witnesses++;
			else
				g->nodes++;
		}
		schakel__v1__member__free_unpacked(m, NULL);
	}
	if (st == SK_OK && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

/* The expiry of the DER certificate in file name of the data dir; 0 when
 * there is none or it does not parse. */
static int64_t cert_until(const reg_store *s, const char *name)
{
	char path[PATH_MAX];
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t from, until = 0;

	if (sk_path_join(path, sizeof(path), s->dir, name) == SK_OK &&
	    sk_file_read(path, NET_CERT_MAX, &der, &len) == SK_OK &&
	    net_cert_validity(der, len, &from, &until) != SK_OK)
		until = 0;
	free(der);
	sk_error_clear();
	return until;
}

static sk_status gather(reg_store *s, struct status *g)
{
	MDB_txn *txn = NULL;
	uint8_t *note = NULL;
	size_t len = 0;
	sk_status st;

	if ((g->ws = calloc(REG_WITNESS_MAX, sizeof(*g->ws))) == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if ((st = reg_address_get(s, txn, g->address, sizeof(g->address))) == SK_OK &&
	    (st = reg_log_size(&s->log, txn, &g->size)) == SK_OK &&
	    (st = reg_checkpoint_served(s, txn, NULL, 0, &note, &len, &g->served)) == SK_OK &&
	    (st = reg_witness_list(s, txn, g->ws, REG_WITNESS_MAX, &g->n_witnesses)) == SK_OK &&
	    (st = reg_quorum_get(s, txn, &g->quorum)) == SK_OK)
		st = count_members(s, txn, g);
	mdb_txn_abort(txn);
	free(note);
	g->tls_until = cert_until(s, REG_FILE_TLS_CERT);
	g->ca_until = cert_until(s, REG_FILE_CA_CERT);
	return st;
}

static long long days(int64_t until, int64_t now)
{
	return sk_cli_days_left(until, (uint64_t)now * 1000);
}

static json_t *cert_json(int64_t until, int64_t now)
{
	char iso[AUDIT_TIME_ISO_BYTES];

	if (until == 0 || audit_time_iso(iso, (uint64_t)until * 1000) != SK_OK)
		return json_null();
	return json_pack("{s:s,s:I,s:b}", "not_after", iso, "days_left",
			 (json_int_t)days(until, now), "warning",
			 days(until, now) < SK_CLI_CERT_WARN_DAYS);
}

static json_t *status_json(const reg_store *s, const char *dir, const struct status *g)
{
	json_t *ws = json_array();

	for (size_t i = 0; ws != NULL && i < g->n_witnesses; i++)
		json_array_append_new(ws, json_pack("{s:s,s:s}", "id", g->ws[i].id, "url",
						    g->ws[i].url));
	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:I,s:I,s:o,s:i,s:{s:I,s:I,s:I,s:I,s:I},"
			 "s:o,s:o}",
			 "role", "registry", "id", s->org_id, "name", s->origin, "dir", dir,
			 "address", g->address[0] ? g->address : NULL, "vkey",
			 s->vkey[0] ? s->vkey : NULL, "log_size", (json_int_t)g->size,
			 "served_size", (json_int_t)g->served, "witnesses", ws, "quorum",
			 (int)g->quorum, "members", "live", (json_int_t)g->live, "revoked",
			 (json_int_t)g->revoked, "nodes", (json_int_t)g->nodes, "pseudonymisers",
			 (json_int_t)g->pseudonymisers, "witnesses", (json_int_t)g->witnesses,
			 "certificate", cert_json(g->tls_until, g->now), "ca_certificate",
			 cert_json(g->ca_until, g->now));
}

static void cert_line(const char *what, int64_t until, int64_t now)
{
	char when[SK_WHEN_BYTES];

	if (until == 0) {
		printf("%-14s none found\n", what);
		return;
	}
	sk_when_date(when, (uint64_t)until * 1000, SK_WHEN_EN);
	printf("%-14s valid until %s (%lld days)\n", what, when, days(until, now));
}

static void status_print(const reg_store *s, const char *dir, const struct status *g)
{
	printf("registry       %s (log %s)\n", s->org_id, s->origin);
	printf("data dir       %s\n", dir);
	printf("address        %s\n",
	       g->address[0] ? g->address : "none recorded yet (the first 'serve' records it)");
	printf("log            %llu leaves", (unsigned long long)g->size);
	if (g->quorum > 0)
		printf("; the checkpoint members get covers %llu", (unsigned long long)g->served);
	printf("\n");
	for (size_t i = 0; i < g->n_witnesses; i++)
		printf("%-14s %s at %s\n", i == 0 ? "witnesses" : "", g->ws[i].id, g->ws[i].url);
	if (g->n_witnesses == 0)
		printf("witnesses      none\n");
	else
		printf("quorum         %u\n", (unsigned)g->quorum);
	printf("members        %zu live (%zu node(s), %zu pseudonymiser(s), %zu witness(es)), %zu "
	       "revoked\n",
	       g->live, g->nodes, g->pseudonymisers, g->witnesses, g->revoked);
	cert_line("certificate", g->tls_until, g->now);
	cert_line("CA certificate", g->ca_until, g->now);
}

int reg_cli_status(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-registry status --dir D [--json]\n\n"
		"What this registry is (org id, log name, data dir), the address bundles give\n"
		"members (the one 'serve' recorded), the log's size, the witnesses and their\n"
		"quorum, how many members are live or revoked, and when the TLS and CA\n"
		"certificates expire (a warning on stderr within 30 days). Reads only: it needs\n"
		"no key passphrase.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct status g = {0};
	char dir[PATH_MAX];
	reg_store *s = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("status", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("status", &o)) != 0)
		return rc;
	if ((st = reg_store_open_public(&s, o.dir)) != SK_OK)
		return sk_cli_fail(st, "status");
	if (realpath(o.dir, dir) != NULL)
		o.dir = dir;
	g.now = (int64_t)(sk_clock_now_ms() / 1000);
	if ((st = gather(s, &g)) != SK_OK)
		goto out;
	if (o.json) {
		json_t *doc = status_json(s, o.dir, &g);
		char *txt = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;

		if (txt != NULL)
			puts(txt);
		else
			st = SK_ERR_NOMEM;
		free(txt);
		json_decref(doc);
	} else {
		status_print(s, o.dir, &g);
	}
	if (st == SK_OK && g.tls_until != 0)
		sk_cli_cert_warn("the registry's TLS certificate", g.tls_until,
				 (uint64_t)g.now * 1000, "re-key it (docs/operator.md, section 8)");
	if (st == SK_OK && g.ca_until != 0)
		sk_cli_cert_warn("the federation CA certificate", g.ca_until, (uint64_t)g.now * 1000,
				 "every certificate it signed stops verifying with it");
out:
	free(g.ws);
	reg_store_close(s);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "status");
}
