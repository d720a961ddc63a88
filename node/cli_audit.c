/* schakel-node audit ...: the privacy officer's commands over the node's
 * own audit log (verify, query, export, verify-export, report, review):
 * argument parsing and printing only; the work is done by audit/. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/cli.h"
#include "audit/export.h"
#include "audit/query.h"
#include "audit/report.h"
#include "audit/review.h"
#include "common/cli.h"
#include "common/db.h"
#include "common/file.h"
#include "node/cli.h"
#include "node/remote.h"
#include "node/client.h"
#include "node/professional.h"
#include "node/store.h"

#define PROG "schakel-node"
#define SIG_SUFFIX ".sig"

/* ---- plumbing ---------------------------------------------------------------- */

/* Prints a JSON document (released). */
static sk_status print_json(json_t *doc)
{
	if (doc == NULL)
		return SK_ERR_NOMEM;
	node_cli_print_json(doc);
	return SK_OK;
}

/* The filters query and export share. The client is copied out of argv
 * (it may be a BSN) and resolved to the local id; only that id is used. */
typedef struct filter_opts {
	char client_ref[NODE_CLIENT_ID_MAX + 1];
	char client[NODE_CLIENT_ID_MAX + 1];
	audit_filter f;
} filter_opts;

#define FILTER_LONG                                          \
	{"client", required_argument, NULL, 'c'},            \
	{"professional", required_argument, NULL, 'p'},      \
	{"event", required_argument, NULL, 'e'},             \
	{"action", required_argument, NULL, 'a'},            \
	{"outcome", required_argument, NULL, 'O'},           \
	{"since", required_argument, NULL, 's'},             \
	{"until", required_argument, NULL, 'u'}

#define FILTER_HELP                                                                        \
	"  --client BSN|ID       records about this client (a BSN is resolved to our local\n" \
	"                        client id; the BSN itself is never stored or shown)\n"      \
	"  --professional ID     records of this professional's actions\n"                  \
	"  --event E             one event type, e.g. lookup, case.open, disclosure.notice\n" \
	"  --action A            C, R, U, D or E (create, read, update, delete, execute)\n" \
	"  --outcome O           ok, denied or failed\n"                                    \
	"  --since T, --until T  YYYY-MM-DD (a local day, inclusive) or\n"                  \
	"                        YYYY-MM-DDTHH:MM:SSZ (UTC)\n"

#define FILTER_CASES                                                           \
	case 'c':                                                              \
	case 'p':                                                              \
	case 'e':                                                              \
	case 'a':                                                              \
	case 'O':                                                              \
	case 's':                                                              \
	case 'u':                                                              \
		if ((rc = filter_opt(cmd, &fo, c_, optarg)) != 0)              \
			return rc;                                             \
		break;

/* One filter option; 0 or the usage exit code. */
static int filter_opt(const char *cmd, filter_opts *fo, int c, char *arg)
{
	audit_action a;
	audit_outcome oc;

	switch (c) {
	case 'c':
		if (strlen(arg) >= sizeof(fo->client_ref))
			return sk_cli_usage(cmd, "--client takes a BSN or a local client id");
		memcpy(fo->client_ref, arg, strlen(arg) + 1);
		sodium_memzero(arg, strlen(arg)); /* out of /proc/PID/cmdline */
		return 0;
	case 'p':
		fo->f.user = arg;
		return 0;
	case 'e':
		fo->f.event = arg;
		return 0;
	case 'a':
		if (audit_action_parse(&a, arg) != SK_OK)
			return sk_cli_usage(cmd, "--action takes C, R, U, D or E");
		fo->f.action = a;
		return 0;
	case 'O':
		if (audit_outcome_parse(&oc, arg) != SK_OK)
			return sk_cli_usage(cmd, "--outcome takes ok, denied or failed");
		fo->f.outcome = oc;
		return 0;
	case 's':
		if (audit_time_parse(&fo->f.since_ms, arg, false) != SK_OK)
			return sk_cli_usage(cmd, "--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		return 0;
	default:
		if (audit_time_parse(&fo->f.until_ms, arg, true) != SK_OK)
			return sk_cli_usage(cmd, "--until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		return 0;
	}
}

/* Resolves fo's client (if any) to its local id and wipes the reference. */
static sk_status resolve_client(node_store *s, filter_opts *fo)
{
	MDB_txn *txn = NULL;
	sk_status st = SK_OK;

	if (fo->client_ref[0] != '\0' &&
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_client_resolve(s, txn, fo->client_ref, fo->client);
		mdb_txn_abort(txn);
		if (st == SK_OK)
			fo->f.client = fo->client;
	}
	sodium_memzero(fo->client_ref, sizeof(fo->client_ref));
	return st;
}

/* Reading the log is itself audited, before anything is shown. */
static sk_status audit_reading(node_store *s, const char *event, const char *client,
			       const char *what)
{
	char reason[AUDIT_REASON_MAX + 1];

	audit_text_clean(reason, sizeof(reason), what);
	return node_audit_access(s, event, NULL, NULL, "audit", client, reason);
}

/* ---- verify -------------------------------------------------------------------- */

static int cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"registry", no_argument, NULL, 'r'}, {0}};
	static const char help[] =
		"usage: schakel-node audit verify --dir D [--registry] [--json]\n\n"
		"Recomputes the node's audit hash chain from the first record, checks that\n"
		"every record is in the query indexes and that the last audit head anchored in\n"
		"the registry's log is still there (a cut-off tail or a changed record). With\n"
		"--registry, every anchor the registry holds for this node is checked too.\n"
		"Exit 3 names the first bad record.\n\n" SK_CLI_COMMON_HELP;
	int registry = 0;
	size_t checked = 0;
	uint64_t anchored = 0;
	node_remote *r = NULL;
	sk_cli_common o = {0};
	char detail[AUDIT_REASON_MAX + 1];
	uint64_t count = 0, bad = 0;
	audit_base base = {0};
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	SK_CLI_PARSE("audit verify", lo, help, case 'r' : registry = 1; break;);
	if ((rc = sk_cli_need_dir("audit verify", &o)) != 0)
		return rc;
	if ((rc = node_cli_open(&s, &kek, &o, "audit verify")) != 0)
		return rc;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = audit_log_verify(s->audit, txn, &count, &bad);
		if (st == SK_OK)
			st = audit_log_base(s->audit, txn, &base);
		if (st == SK_OK)
			st = node_audit_anchor_check(s, txn, count, &bad, &anchored);
		mdb_txn_abort(txn);
	}
	if (st == SK_OK && registry && (st = node_remote_open(&r, s, kek)) == SK_OK) {
		st = node_remote_anchors_check(r, count, &bad, &checked);
		node_remote_close(r);
	}
	if (st == SK_ERR_VERIFY) {
		audit_text_clean(detail, sizeof(detail), sk_error_detail());
		if (o.json)
			(void)print_json(json_pack("{s:b,s:I,s:I,s:s}", "ok", 0, "first_bad",
						   (json_int_t)bad, "records", (json_int_t)count,
						   "detail", detail));
		sk_error_set("the audit log is broken at record %llu (of %llu checked before it): "
			     "%s",
			     (unsigned long long)bad, (unsigned long long)count, detail);
	} else if (st == SK_OK && o.json) {
		st = print_json(json_pack("{s:b,s:I,s:I,s:I,s:I,s:I}", "ok", 1, "records",
					  (json_int_t)(count - base.seq), "last_seq", (json_int_t)count,
					  "anchored", (json_int_t)anchored,
					  "registry_anchors", (json_int_t)checked, "purged_through",
					  (json_int_t)base.seq));
	} else if (st == SK_OK) {
		if (base.seq)
			printf("records 1-%llu were purged under retention; the chain is checked "
			       "from their signed purge marker\n",
			       (unsigned long long)base.seq);
		if (anchored)
			printf("audit log verified: %llu records, anchored in the registry's log up "
			       "to record %llu\n",
			       (unsigned long long)(count - base.seq), (unsigned long long)anchored);
		else
			printf("audit log verified: %llu records\n",
			       (unsigned long long)(count - base.seq));
	}
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, "audit verify");
}

/* ---- query ----------------------------------------------------------------------- */

static sk_status print_line(const audit_record *rec, void *arg)
{
	char line[AUDIT_LINE_MAX];
	sk_status st = audit_record_line(line, sizeof(line), rec);

	if (st == SK_OK)
		puts(line);
	(*(uint64_t *)arg)++;
	return st;
}

static int cmd_query(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, FILTER_LONG, {0}};
	static const char help[] =
		"usage: schakel-node audit query --dir D [--client BSN|ID] [--professional ID]\n"
		"           [--event E] [--action A] [--outcome ok|denied|failed] [--since T]\n"
		"           [--until T] [--json]\n\n"
		"Lists the audit records that pass every filter given, oldest first, one line\n"
		"each (--json: an array of records). The query is itself recorded in the log\n"
		"(event audit.query) before anything is shown.\n\n" FILTER_HELP SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit query";
	sk_cli_common o = {0};
	filter_opts fo = {0};
	char what[AUDIT_FILTER_TEXT_MAX];
	audit_export *x = NULL;
	uint64_t n = 0;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	SK_CLI_PARSE(cmd, lo, help, FILTER_CASES);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto wipe;
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		goto wipe;
	if ((st = resolve_client(s, &fo)) != SK_OK)
		goto out;
	audit_filter_text(what, sizeof(what), &fo.f);
	if ((st = audit_reading(s, "audit.query", fo.f.client, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (o.json) {
		if ((st = audit_export_begin(&x, stdout, AUDIT_FORMAT_JSON, node_now_ms())) == SK_OK &&
		    (st = audit_query(s->audit, txn, &fo.f, audit_export_record, x)) == SK_OK) {
			st = audit_export_end(x, NULL);
			x = NULL;
		}
	} else {
		st = audit_query(s->audit, txn, &fo.f, print_line, &n);
		if (st == SK_OK && n == 0)
			sk_cli_say("no audit records match (%s)", what);
	}
	mdb_txn_abort(txn);
out:
	audit_export_free(x);
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
wipe:
	sodium_memzero(fo.client_ref, sizeof(fo.client_ref));
	return rc;
}

/* ---- export ------------------------------------------------------------------------ */

/* Signs the export file at path with the node's identity key into
 * path.sig. */
static sk_status sign_export(node_store *s, sk_kek *kek, const char *path, char *sig_path,
			     size_t cap)
{
	key_ed25519 *id = sodium_malloc(sizeof(*id));
	char text[AUDIT_SIG_TEXT_MAX];
	size_t len = 0;
	sk_status st = SK_ERR_NOMEM;

	if (id == NULL)
		return st;
	if (snprintf(sig_path, cap, "%s%s", path, SIG_SUFFIX) >= (int)cap)
		st = SK_ERR_TOOBIG;
	else if ((st = node_identity_load(s, kek, id)) == SK_OK &&
		 (st = audit_export_sign(text, sizeof(text), &len, path, s->org_id, id)) == SK_OK)
		st = sk_file_create(sig_path, text, len);
	if (st == SK_ERR_EXISTS)
		sk_error_set("%s exists; move it away or export to another file", sig_path);
	key_ed25519_wipe(id);
	sodium_free(id);
	return st;
}

/* A new export file: 0600, never over an existing file. */
static sk_status create_out(const char *path, FILE **fp)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	*fp = NULL;
	if (fd < 0) {
		sk_error_set(errno == EEXIST ? "%s exists; choose another --out file"
					     : "cannot create %s",
			     path);
		return errno == EEXIST ? SK_ERR_EXISTS : SK_ERR_IO;
	}
	if ((*fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return SK_ERR_IO;
	}
	return SK_OK;
}

static int cmd_export(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG, FILTER_LONG,
					   {"format", required_argument, NULL, 'f'},
					   {"out", required_argument, NULL, 'w'}, {0}};
	static const char help[] =
		"usage: schakel-node audit export --dir D --format csv|json|fhir [filters]\n"
		"           [--out F]\n\n"
		"Exports the audit records that pass the filters (as 'audit query'), oldest\n"
		"first: csv (a header row, RFC 4180), json (an array of records) or fhir (an R4\n"
		"Bundle of AuditEvent resources, after IHE BALP). To stdout, or with --out F to\n"
		"a new file F (mode 0600) with a detached signature F.sig by the node's identity\n"
		"key (Ed25519 over the file's size and SHA-256; check it with 'audit\n"
		"verify-export'). The export is itself recorded (event audit.export).\n\n"
		"  --format F            csv, json or fhir\n"
		"  --out F               write F and F.sig instead of stdout\n" FILTER_HELP
			SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit export";
	sk_cli_common o = {0};
	filter_opts fo = {0};
	audit_format fmt = 0;
	const char *out_path = NULL;
	char what[AUDIT_FILTER_TEXT_MAX + 64], filters[AUDIT_FILTER_TEXT_MAX];
	char sig_path[4096];
	audit_export *x = NULL;
	FILE *fp = NULL;
	uint64_t n = 0;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int rc;

	SK_CLI_PARSE(cmd, lo, help, FILTER_CASES case 'f'
		     : if (audit_format_parse(&fmt, optarg) != SK_OK) return sk_cli_usage(
			       cmd, "--format takes csv, json or fhir");
		     break; case 'w' : out_path = optarg; break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto wipe;
	if (fmt == 0) {
		rc = sk_cli_usage(cmd, "--format csv|json|fhir is required");
		goto wipe;
	}
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		goto wipe;
	if ((st = resolve_client(s, &fo)) != SK_OK)
		goto out;
	audit_filter_text(filters, sizeof(filters), &fo.f);
	snprintf(what, sizeof(what), "format=%s %s; %s", fmt == AUDIT_FORMAT_CSV ? "csv"
							: fmt == AUDIT_FORMAT_JSON ? "json"
										   : "fhir",
		 out_path != NULL ? "to a signed file" : "to stdout", filters);
	if ((out_path != NULL && (st = create_out(out_path, &fp)) != SK_OK) ||
	    (st = audit_reading(s, "audit.export", fo.f.client, what)) != SK_OK)
		goto out;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if ((st = audit_export_begin(&x, fp != NULL ? fp : stdout, fmt, node_now_ms())) == SK_OK &&
	    (st = audit_query(s->audit, txn, &fo.f, audit_export_record, x)) == SK_OK) {
		st = audit_export_end(x, &n);
		x = NULL;
	}
	mdb_txn_abort(txn);
	if (fp != NULL) {
		if (st == SK_OK && (fsync(fileno(fp)) != 0 || ferror(fp)))
			st = SK_ERR_IO;
		if (fclose(fp) != 0 && st == SK_OK)
			st = SK_ERR_IO;
		fp = NULL;
		if (st == SK_OK)
			st = sign_export(s, kek, out_path, sig_path, sizeof(sig_path));
		if (st != SK_OK)
			unlink(out_path); /* no unsigned or partial export is left */
		else if (o.json)
			st = print_json(json_pack("{s:I,s:s,s:s}", "records", (json_int_t)n, "file",
						  out_path, "signature", sig_path));
		else
			printf("%llu audit records exported to %s, signed in %s\n",
			       (unsigned long long)n, out_path, sig_path);
	}
out:
	audit_export_free(x);
	if (fp != NULL) {
		fclose(fp);
		unlink(out_path);
	}
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
wipe:
	sodium_memzero(fo.client_ref, sizeof(fo.client_ref));
	return rc;
}

static int cmd_verify_export(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"file", required_argument, NULL, 'f'},
					   {"sig", required_argument, NULL, 'g'}, {0}};
	static const char help[] =
		"usage: schakel-node audit verify-export --dir D --file F [--sig F.sig]\n\n"
		"Checks that F is, byte for byte, an export this node signed: the signature\n"
		"file names this node's identity key and verifies over F's size and SHA-256.\n"
		"Exit 3 when F was changed or the signature does not verify.\n\n"
		"  --file F              the exported file\n"
		"  --sig S               its signature (default F.sig)\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit verify-export";
	sk_cli_common o = {0};
	const char *file = NULL, *sig = NULL;
	char sig_path[4096];
	uint8_t *text = NULL;
	size_t len = 0;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	SK_CLI_PARSE(cmd, lo, help, case 'f' : file = optarg; break;
		     case 'g' : sig = optarg; break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (file == NULL)
		return sk_cli_usage(cmd, "--file F is required");
	if (sig == NULL) {
		if (snprintf(sig_path, sizeof(sig_path), "%s%s", file, SIG_SUFFIX) >=
		    (int)sizeof(sig_path))
			return sk_cli_usage(cmd, "the file name is too long");
		sig = sig_path;
	}
	if ((st = sk_file_read(sig, AUDIT_SIG_TEXT_MAX, &text, &len)) != SK_OK) {
		sk_error_set("cannot read the signature %s", sig);
		return sk_cli_fail(st, cmd);
	}
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0) {
		free(text);
		return rc;
	}
	st = audit_export_verify(file, (const char *)text, len, s->identity_pk);
	if (st == SK_OK && o.json)
		st = print_json(json_pack("{s:b,s:s,s:s}", "ok", 1, "file", file, "org", s->org_id));
	else if (st == SK_OK)
		printf("%s: signed by this node (%s), unchanged\n", file, s->org_id);
	free(text);
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* ---- report ----------------------------------------------------------------------- */

struct names {
	node_store *s;
	MDB_txn *txn;
	node_professional p;
};

static const char *prof_name(const char *user, void *arg)
{
	struct names *nm = arg;

	return node_professional_get(nm->s, nm->txn, user, &nm->p) == SK_OK ? nm->p.name : NULL;
}

static int cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"client", required_argument, NULL, 'c'},
					   {"lang", required_argument, NULL, 'l'},
					   {"names", no_argument, NULL, 'n'}, {0}};
	static const char help[] =
		"usage: schakel-node audit report --dir D --client BSN|ID [--lang nl|en]\n"
		"           [--names] [--json]\n\n"
		"The report for a client's request to see who used their data (AVG art. 15,\n"
		"Wabvpz): every action on the client at this organisation, and the other\n"
		"organisations that learned through the federation that we are involved (the\n"
		"disclosure notices received by 'sync'). Plain Dutch by default. People appear\n"
		"by role unless --names. The report is itself recorded (event audit.report).\n\n"
		"  --client BSN|ID       the client (a BSN is resolved to our local id)\n"
		"  --lang L              nl (default) or en\n"
		"  --names               name the professionals of this organisation\n"
		SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit report";
	sk_cli_common o = {0};
	filter_opts fo = {0};
	audit_report_opts ro = {0};
	struct names nm = {0};
	int names = 0, rc;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	ro.lang = AUDIT_LANG_NL;
	SK_CLI_PARSE(cmd, lo, help, case 'c'
		     : if ((rc = filter_opt(cmd, &fo, 'c', optarg)) != 0) return rc;
		     break; case 'l'
		     : if (audit_lang_parse(&ro.lang, optarg) != SK_OK) return sk_cli_usage(
			       cmd, "--lang takes nl or en");
		     break; case 'n' : names = 1; break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		goto wipe;
	if (fo.client_ref[0] == '\0') {
		rc = sk_cli_usage(cmd, "--client BSN|ID is required");
		goto wipe;
	}
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		goto wipe;
	if ((st = resolve_client(s, &fo)) != SK_OK ||
	    (st = audit_reading(s, "audit.report", fo.client,
				names ? "art. 15 report with names" : "art. 15 report")) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	nm.s = s;
	nm.txn = txn;
	ro.client = fo.client;
	ro.org_name = s->name;
	ro.name_of = names ? prof_name : NULL;
	ro.name_arg = &nm;
	ro.now_ms = node_now_ms();
	ro.json = o.json;
	st = audit_report_write(stdout, s->audit, txn, &ro);
	mdb_txn_abort(txn);
out:
	node_cli_close(s, kek);
	rc = st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
wipe:
	sodium_memzero(fo.client_ref, sizeof(fo.client_ref));
	return rc;
}

/* ---- review ------------------------------------------------------------------------ */

struct review_out {
	unsigned only; /* text: the flag of this section */
	json_t *list;  /* --json */
	uint64_t n[AUDIT_FLAG_COUNT];
	uint64_t shown;
};

static sk_status review_item(const audit_finding *f, void *arg)
{
	struct review_out *r = arg;
	char line[AUDIT_LINE_MAX], id[2 * AUDIT_ID_BYTES + 1];
	json_t *obj = NULL, *kinds;
	sk_status st;

	if (r->list == NULL && !(f->flags & r->only))
		return SK_OK;
	if (r->list == NULL) {
		r->shown++;
		if (f->rec == NULL) {
			printf("  %s: %llu lookups on %s\n", f->user, (unsigned long long)f->count,
			       f->day);
			return SK_OK;
		}
		if ((st = audit_record_line(line, sizeof(line), f->rec)) == SK_OK)
			printf("  %s\n", line);
		return st;
	}
	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		r->n[i] += (f->flags >> i) & 1;
	if ((kinds = json_array()) == NULL)
		return SK_ERR_NOMEM;
	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		if (f->flags & 1u << i)
			json_array_append_new(kinds, json_string(audit_flag_name(1u << i)));
	if (f->rec == NULL) {
		snprintf(line, sizeof(line), "volume:%s:%s", f->user, f->day);
		obj = json_pack("{s:s,s:o,s:s,s:s,s:I}", "id", line, "kinds", kinds, "user",
				f->user, "day", f->day, "count", (json_int_t)f->count);
	} else if ((st = audit_record_json(&obj, f->rec)) == SK_OK) {
		sodium_bin2hex(id, sizeof(id), f->rec->id, AUDIT_ID_BYTES);
		obj = json_pack("{s:s,s:o,s:o}", "id", id, "kinds", kinds, "record", obj);
	} else {
		json_decref(kinds);
		return st;
	}
	return obj != NULL && json_array_append_new(r->list, obj) == 0 ? SK_OK : SK_ERR_NOMEM;
}

static sk_status review_count(const audit_finding *f, void *arg)
{
	struct review_out *r = arg;

	for (int i = 0; i < AUDIT_FLAG_COUNT; i++)
		r->n[i] += (f->flags >> i) & 1;
	return SK_OK;
}

static const char *const section_title[AUDIT_FLAG_COUNT] = {
	"actions under a statutory basis (no consent)",
	"break-glass actions",
	"actions by professionals outside office hours",
	"denied attempts",
	"the registry's pattern flags about this organisation",
	"professionals with more lookups in a day than the limit",
};

/* The sign-off: who reviewed which period, with what result, at which
 * head of the log. */
static sk_status sign_off(node_store *s, const audit_review_opts *ro, const char *hours,
			  const char *days, uint64_t records, const struct review_out *r)
{
	char since[AUDIT_TIME_BYTES], until[AUDIT_TIME_BYTES], reason[AUDIT_REASON_MAX + 1];
	audit_record rec = {0};
	MDB_txn *txn = NULL;
	uint8_t head[AUDIT_HASH_BYTES];
	uint64_t head_seq = 0;
	sk_status st;

	audit_time_format(since, ro->since_ms);
	audit_time_format(until, ro->until_ms);
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = audit_log_head(s->audit, txn, &head_seq, head)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	snprintf(reason, sizeof(reason),
		 "reviewed %s to %s (office hours %s %s, limit %llu lookups a day): %llu records; "
		 "findings: statutory %llu, break-glass %llu, after-hours %llu, denied %llu, "
		 "pattern-flag %llu, volume %llu; log head %llu",
		 since, until, hours, days, (unsigned long long)ro->max_lookups,
		 (unsigned long long)records, (unsigned long long)r->n[0],
		 (unsigned long long)r->n[1], (unsigned long long)r->n[2],
		 (unsigned long long)r->n[3], (unsigned long long)r->n[4],
		 (unsigned long long)r->n[5], (unsigned long long)head_seq);
	rec.event = "audit.signoff";
	rec.action = AUDIT_ACTION_EXECUTE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.category = "audit";
	rec.purpose = "review";
	rec.reason = reason;
	if ((st = node_audit(s, txn, &rec)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

static int cmd_review(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"since", required_argument, NULL, 's'},
					   {"until", required_argument, NULL, 'u'},
					   {"office-hours", required_argument, NULL, 'h'},
					   {"office-days", required_argument, NULL, 'd'},
					   {"max-lookups", required_argument, NULL, 'm'},
					   {"sign-off", no_argument, NULL, 'S'}, {0}};
	static const char help[] =
		"usage: schakel-node audit review --dir D [--since T] [--until T]\n"
		"           [--office-hours HH:MM-HH:MM] [--office-days mon-fri]\n"
		"           [--max-lookups N] [--sign-off] [--json]\n\n"
		"Lists what the privacy officer should look at in a period: actions under a\n"
		"statutory basis, break-glass, actions by professionals outside office hours\n"
		"(local time), denied attempts, the registry's pattern flags, and professionals\n"
		"with more than N lookups in a day. --sign-off then records that the period was\n"
		"reviewed (event audit.signoff). The review is itself recorded (audit.review).\n\n"
		"  --since T, --until T  YYYY-MM-DD (local day, inclusive) or YYYY-MM-DDTHH:MM:SSZ;\n"
		"                        default the whole log up to now\n"
		"  --office-hours H      default 08:00-18:00\n"
		"  --office-days D       default mon-fri (e.g. mon-sat, or mon,wed,fri)\n"
		"  --max-lookups N       lookups per professional a day; default 50\n"
		"  --sign-off            record the review of this period\n" SK_CLI_COMMON_HELP;
	static const char cmd[] = "audit review";
	sk_cli_common o = {0};
	audit_review_opts ro;
	struct review_out r = {0};
	const char *hours = "08:00-18:00", *days = "mon-fri";
	char what[AUDIT_REASON_MAX + 1], since[AUDIT_TIME_BYTES], until[AUDIT_TIME_BYTES];
	unsigned long long max = 0;
	uint64_t records = 0;
	int signoff = 0, rc;
	node_store *s = NULL;
	sk_kek *kek = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	audit_review_defaults(&ro);
	SK_CLI_PARSE(cmd, lo, help,
		     case 's' : if (audit_time_parse(&ro.since_ms, optarg, false) != SK_OK) return
			     sk_cli_usage(cmd, "--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		     break;
		     case 'u' : if (audit_time_parse(&ro.until_ms, optarg, true) != SK_OK) return
			     sk_cli_usage(cmd, "--until takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
		     break;
		     case 'h' : hours = optarg;
		     if (audit_hours_parse(&ro, optarg) != SK_OK) return sk_cli_usage(
			     cmd, "--office-hours takes HH:MM-HH:MM, e.g. 08:00-18:00");
		     break;
		     case 'd' : days = optarg;
		     if (audit_days_parse(&ro, optarg) != SK_OK) return sk_cli_usage(
			     cmd, "--office-days takes days like mon-fri or mon,wed,fri");
		     break;
		     case 'm' : if (sk_cli_u64(optarg, &max) != SK_OK) return sk_cli_usage(
			     cmd, "--max-lookups takes a number");
		     ro.max_lookups = max;
		     break;
		     case 'S' : signoff = 1; break;);
	if ((rc = sk_cli_need_dir(cmd, &o)) != 0)
		return rc;
	if (ro.until_ms == 0)
		ro.until_ms = node_now_ms();
	if (ro.since_ms > ro.until_ms)
		return sk_cli_usage(cmd, "--since is after --until");
	if ((rc = node_cli_open(&s, &kek, &o, cmd)) != 0)
		return rc;
	audit_time_format(since, ro.since_ms);
	audit_time_format(until, ro.until_ms);
	snprintf(what, sizeof(what), "review %s to %s", since, until);
	if ((st = audit_reading(s, "audit.review", NULL, what)) != SK_OK ||
	    (st = sk_db_status(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn))) != SK_OK)
		goto out;
	if (o.json) {
		if ((r.list = json_array()) == NULL)
			st = SK_ERR_NOMEM;
		else if ((st = audit_review(s->audit, txn, &ro, review_item, &r, &records)) ==
			 SK_OK)
			st = print_json(r.list);
		else
			json_decref(r.list);
		r.list = NULL;
	} else {
		st = audit_review(s->audit, txn, &ro, review_count, &r, &records);
		printf("review of %s to %s: %llu records\n", since, until,
		       (unsigned long long)records);
		for (int i = 0; i < AUDIT_FLAG_COUNT && st == SK_OK; i++) {
			printf("\n%s: %llu\n", section_title[i], (unsigned long long)r.n[i]);
			r.only = 1u << i;
			if (r.n[i] > 0)
				st = audit_review(s->audit, txn, &ro, review_item, &r, NULL);
		}
	}
	mdb_txn_abort(txn);
	if (st == SK_OK && signoff) {
		st = sign_off(s, &ro, hours, days, records, &r);
		if (st == SK_OK && !o.json)
			printf("\nsigned off: the review of this period is recorded (audit.signoff)\n");
	}
out:
	node_cli_close(s, kek);
	return st == SK_OK ? SK_EXIT_OK : sk_cli_fail(st, cmd);
}

/* ---- retention: purge, hold, retention (audit/cli.h) ----------------------------- */

struct host_ctx {
	node_store *s;
	sk_kek *kek;
};

static int host_open(void **ctx, const sk_cli_common *o, const char *cmd, audit_log **log,
		     MDB_env **env, audit_record *tmpl)
{
	struct host_ctx *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return sk_cli_fail(SK_ERR_NOMEM, cmd);
	if ((rc = node_cli_open(&c->s, &c->kek, o, cmd)) != 0) {
		free(c);
		return rc;
	}
	*log = c->s->audit;
	*env = c->s->env;
	node_audit_fill(c->s, tmpl);
	*ctx = c;
	return 0;
}

static sk_status host_identity(void *ctx, key_ed25519 *out)
{
	struct host_ctx *c = ctx;

	return node_identity_load(c->s, c->kek, out);
}

static void host_close(void *ctx)
{
	struct host_ctx *c = ctx;

	if (c != NULL)
		node_cli_close(c->s, c->kek);
	free(c);
}

static const audit_cli_host host = {PROG, "node", host_open, host_identity, host_close};

static int cmd_purge(int argc, char **argv)
{
	return audit_cli_purge(argc, argv, &host);
}

static int cmd_hold(int argc, char **argv)
{
	return audit_cli_hold(argc, argv, &host);
}

static int cmd_retention(int argc, char **argv)
{
	return audit_cli_retention(argc, argv, &host);
}

/* ---- the group --------------------------------------------------------------------- */

static const sk_cli_cmd audit_cmds[] = {
	{"verify", cmd_verify, "recompute the hash chain; exit 3 names the first bad record"},
	{"query", cmd_query, "list audit records by client, professional, action, time"},
	{"export", cmd_export, "export records as csv, json or fhir, signed with --out"},
	{"verify-export", cmd_verify_export, "check a signed export against this node's key"},
	{"report", cmd_report, "a client's AVG art. 15 report (Dutch or English)"},
	{"review", cmd_review, "what the privacy officer should look at; --sign-off"},
	{"purge", cmd_purge, "remove records past their retention (signed marker)"},
	{"hold", cmd_hold, "set, show or release a legal hold that blocks purges"},
	{"retention", cmd_retention, "show or set how long records are kept"},
};

int node_cli_audit(int argc, char **argv)
{
	size_t n = sizeof(audit_cmds) / sizeof(audit_cmds[0]);

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		printf("usage: %s audit SUBCOMMAND [options]   (SUBCOMMAND --help for its "
		       "options)\n\n",
		       PROG);
		for (size_t i = 0; i < n; i++)
			printf("  %-14s %s\n", audit_cmds[i].name, audit_cmds[i].summary);
		return argc < 2 ? SK_EXIT_USAGE : SK_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[1], audit_cmds[i].name) == 0)
			return audit_cmds[i].fn(argc - 1, argv + 1);
	return sk_cli_usage("audit", "unknown subcommand '%s'", argv[1]);
}
