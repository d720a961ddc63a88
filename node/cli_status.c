/* schakel-node status: what this node is, whom it talks to, how its last
 * sync went, and what needs attention soon. Reads only what is stored in
 * the clear: no key passphrase. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/record.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/when.h"
#include "crypto/note.h"
#include "node/cli.h"
#include "node/enckeys.h"
#include "node/sync.h"

#define DAY_MS (24ull * 3600 * 1000)

/* What status gathers in one read transaction. */
struct status {
	node_federation *f;
	uint64_t sync_ok, sync_tried, log_size, enc_created, now;
	char sync_error[256];
	int64_t cert_until; /* unix seconds; 0: unknown */
	int have_log;
	size_t professionals, clients, pending;
};

static sk_status newest_key(const node_enc_info *k, void *arg)
{
	uint64_t *created = arg;

	if (k->created_ms > *created)
		*created = k->created_ms;
	return SK_OK;
}

static size_t entries(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_stat st;

	return mdb_stat(txn, dbi, &st) == 0 ? st.ms_entries : 0;
}

/* The tree size of the stored checkpoint (its signed text comes first). */
static int log_size(const uint8_t *note, size_t len, uint64_t *size)
{
	note_checkpoint cp;
	size_t text = 0;

	while (text + 1 < len && !(note[text] == '\n' && note[text + 1] == '\n'))
		text++;
	if (text + 1 >= len || note_checkpoint_parse(&cp, note, text + 1) != SK_OK)
		return 0;
	*size = cp.size;
	return 1;
}

static sk_status gather(node_store *s, struct status *g)
{
	MDB_txn *txn = NULL;
	uint8_t *v = NULL;
	size_t len = 0;
	int64_t from;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		return st;
	if (s->joined && (st = node_federation_load(s, txn, &g->f)) != SK_OK)
		goto out;
	if ((st = node_meta_u64(s, txn, NODE_META_SYNC_OK, 0, &g->sync_ok)) != SK_OK ||
	    (st = node_meta_u64(s, txn, NODE_META_SYNC_TRIED, 0, &g->sync_tried)) != SK_OK)
		goto out;
	if ((st = node_meta_get(s, txn, NODE_META_SYNC_ERROR, &v, &len)) == SK_OK)
		snprintf(g->sync_error, sizeof(g->sync_error), "%.*s", (int)len, (const char *)v);
	else if (st != SK_ERR_NOTFOUND)
		goto out;
	free(v);
	v = NULL;
	if ((st = node_checkpoint_get(s, txn, &v, &len)) == SK_OK)
		g->have_log = log_size(v, len, &g->log_size);
	else if (st != SK_ERR_NOTFOUND)
		goto out;
	st = SK_OK;
	if (g->f != NULL &&
	    net_cert_validity(g->f->member_cert, g->f->member_cert_len, &from, &g->cert_until) != SK_OK)
		g->cert_until = 0;
	g->professionals = entries(txn, s->professionals);
	g->clients = entries(txn, s->clients);
	g->pending = entries(txn, s->dirty);
out:
	free(v);
	mdb_txn_abort(txn);
	if (st == SK_OK)
		st = node_enc_list(s, newest_key, &g->enc_created);
	return st;
}

/* ms as ISO 8601 UTC for JSON, or JSON null for 0. */
static json_t *iso_or_null(uint64_t ms)
{
	char iso[AUDIT_TIME_ISO_BYTES];

	if (ms == 0 || audit_time_iso(iso, ms) != SK_OK)
		return json_null();
	return json_string(iso);
}

static long long days_left(const struct status *g)
{
	return sk_cli_days_left(g->cert_until, g->now);
}

static json_t *status_json(const node_store *s, const char *dir, const struct status *g)
{
	json_t *ps = json_array(), *ws = json_array(), *doc;
	const node_federation *f = g->f;

	for (size_t i = 0; f != NULL && i < f->n_pseudonymisers; i++)
		json_array_append_new(ps, json_pack("{s:s,s:s,s:i}", "id", f->pseudonymisers[i].org_id,
						    "address", f->pseudonymisers[i].address, "epoch",
						    (int)f->pseudonymisers[i].epoch));
	for (size_t i = 0; f != NULL && i < f->n_witnesses; i++)
		json_array_append_new(ws, json_pack("{s:s,s:s}", "id", f->witnesses[i].id, "url",
						    f->witnesses[i].url));
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s?,s:o,s:o,s:o,s:i}", "role", "node", "id",
			s->org_id, "name", s->name, "category", s->category, "dir", dir, "joined",
			f != NULL, "federation", f ? f->federation : NULL, "registry",
			f ? json_pack("{s:s,s:s}", "address", f->registry_address, "id",
				      f->registry_org_id)
			  : json_null(),
			"pseudonymisers", ps, "witnesses", ws, "quorum", f ? (int)f->quorum : 0);
	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "last_sync", iso_or_null(g->sync_ok));
	json_object_set_new(doc, "last_sync_attempt", iso_or_null(g->sync_tried));
	json_object_set_new(doc, "last_sync_error",
			    g->sync_error[0] ? json_string(g->sync_error) : json_null());
	json_object_set_new(doc, "log_size", g->have_log ? json_integer((json_int_t)g->log_size)
							 : json_null());
	json_object_set_new(doc, "certificate",
			    g->cert_until != 0
				    ? json_pack("{s:o,s:I,s:b}", "not_after",
						iso_or_null((uint64_t)g->cert_until * 1000), "days_left",
						(json_int_t)days_left(g), "warning",
						days_left(g) < SK_CLI_CERT_WARN_DAYS)
				    : json_null());
	json_object_set_new(doc, "encryption_key",
			    g->enc_created != 0
				    ? json_pack("{s:o,s:I}", "created", iso_or_null(g->enc_created),
						"age_days",
						(json_int_t)((g->now - g->enc_created) / DAY_MS))
				    : json_null());
	json_object_set_new(doc, "professionals", json_integer((json_int_t)g->professionals));
	json_object_set_new(doc, "clients", json_integer((json_int_t)g->clients));
	json_object_set_new(doc, "pending_entries", json_integer((json_int_t)g->pending));
	return doc;
}

static void status_print(const node_store *s, const char *dir, const struct status *g)
{
	const node_federation *f = g->f;
	char when[SK_WHEN_BYTES];

	printf("node           %s \u2014 %s (%s)\n", s->org_id, s->name, s->category);
	printf("data dir       %s\n", dir);
	if (f == NULL) {
		printf("federation     not joined yet: run 'schakel-node join --bundle B'\n");
	} else {
		printf("federation     %s\n", f->federation);
		printf("registry       %s at %s\n", f->registry_org_id, f->registry_address);
		for (size_t i = 0; i < f->n_pseudonymisers; i++)
			printf("%-14s %s at %s (epoch %u)\n", i == 0 ? "pseudonymisers" : "",
			       f->pseudonymisers[i].org_id, f->pseudonymisers[i].address,
			       (unsigned)f->pseudonymisers[i].epoch);
		for (size_t i = 0; i < f->n_witnesses; i++)
			printf("%-14s %s at %s\n", i == 0 ? "witnesses" : "", f->witnesses[i].id,
			       f->witnesses[i].url);
		if (f->n_witnesses == 0)
			printf("witnesses      none\n");
		else
			printf("quorum         %u cosignature(s) on every checkpoint\n",
			       (unsigned)f->quorum);
	}
	sk_when(when, g->sync_ok, SK_WHEN_EN);
	printf("last sync      %s\n", g->sync_ok ? when : "never");
	if (g->sync_error[0]) {
		sk_when(when, g->sync_tried, SK_WHEN_EN);
		printf("               the last one, %s, failed: %s\n", when, g->sync_error);
	}
	if (g->have_log)
		printf("log            %llu leaves (the last checkpoint verified)\n",
		       (unsigned long long)g->log_size);
	if (g->cert_until != 0) {
		sk_when_date(when, (uint64_t)g->cert_until * 1000, SK_WHEN_EN);
		printf("certificate    valid until %s (%lld days)\n", when, days_left(g));
	}
	if (g->enc_created != 0) {
		sk_when(when, g->enc_created, SK_WHEN_EN);
		printf("encryption key made %s (%llu days old)\n", when,
		       (unsigned long long)((g->now - g->enc_created) / DAY_MS));
	}
	printf("records        %zu professional(s), %zu client(s), %zu entr%s to publish\n",
	       g->professionals, g->clients, g->pending, g->pending == 1 ? "y" : "ies");
}

int node_cli_status(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, {0}};
	static const char help[] =
		"usage: schakel-node status --dir D [--json]\n\n"
		"What this node is (org, name, category, data dir), whom it talks to (the\n"
		"registry, the pseudonymisers in chain order, the witnesses and their quorum),\n"
		"when it last synced and why the last attempt failed, the size of the log it\n"
		"verified, when its certificate expires (a warning on stderr within 30 days),\n"
		"how old its encryption key is, and how many records it holds. Reads only: it\n"
		"needs no key passphrase.\n\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct status g = {0};
	char dir[PATH_MAX];
	node_store *s = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("status", argc, argv, lo, help, &o, NULL, NULL)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("status", &o)) != 0)
		return rc;
	if ((st = node_store_open_public(&s, o.dir)) != SK_OK)
		return sk_cli_fail(st, "status");
	g.now = sk_clock_now_ms();
	if (realpath(o.dir, dir) != NULL)
		o.dir = dir;
	if ((st = gather(s, &g)) != SK_OK)
		goto out;
	if (o.json) {
		json_t *doc = status_json(s, o.dir, &g);

		if (doc == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		node_cli_print_json(doc);
	} else {
		status_print(s, o.dir, &g);
	}
	if (g.cert_until != 0)
		sk_cli_cert_warn("the certificate", g.cert_until, g.now,
				 "ask the federation operator for a refreshed bundle (enrol "
				 "--refresh) and install it with 'join'");
out:
	node_federation_free(g.f);
	node_store_close(s);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "status");
}
