/* audit/export.h: CSV escaping (quotes, commas, formulas, absent and
 * empty fields), JSON as one array, the FHIR Bundle's shape and codes, and
 * the detached signature: it verifies, and a changed file, another key, a
 * changed .sig line or a malformed .sig do not. */
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "audit_fx.h"
#include "audit/export.h"
#include "audit/query.h"
#include "common/init.h"

static uint64_t T0;

/* Three records: an awkward one, a denied lookup, a disclosure notice. */
static void fill(struct fx *f)
{
	audit_record r = fx_rec("case.open", AUDIT_ACTION_CREATE, AUDIT_OUTCOME_OK, T0, "c-1",
				"anna");

	r.reason = "said \"no\", then yes";
	r.role = "";
	r.legal_basis = "=HYPERLINK(\"http://x\")";
	r.consent_ref = "case 1 v1";
	r.purpose = "afstemming";
	r.break_glass = true;
	fx_add(f, &r);
	r = fx_rec("lookup", AUDIT_ACTION_READ, AUDIT_OUTCOME_DENIED, T0 + 1, "c-1", "dora");
	r.role = "spv";
	r.reason = "the professional is not assigned";
	r.correlation_id = "00112233445566778899aabbccddeeff";
	r.counterpart = "altrecht,tactus";
	fx_add(f, &r);
	r = fx_rec("disclosure.notice", AUDIT_ACTION_READ, AUDIT_OUTCOME_OK, T0 + 2, "c-1", NULL);
	r.role = "spv";
	r.purpose = "afstemming";
	r.counterpart = "altrecht";
	r.category = "ggz";
	r.access_point = "registry";
	fx_add(f, &r);
}

/* The export of the whole log in fmt, as a string (free it). */
static char *export_all(struct fx *f, audit_format fmt, uint64_t *count)
{
	struct fx_mem m;
	audit_export *x = NULL;
	audit_filter flt = {0};
	MDB_txn *txn = fx_txn(f, MDB_RDONLY);

	fx_mem_open(&m);
	E(audit_export_begin(&x, m.fp, fmt, T0 + 60000));
	E(audit_query(f->log, txn, &flt, audit_export_record, x));
	E(audit_export_end(x, count));
	mdb_txn_abort(txn);
	return fx_mem_close(&m);
}

static void test_csv(void **state)
{
	struct fx f = fx_new();
	uint64_t n = 0;
	char *csv, *row1, *row2, *end;

	fill(&f);
	csv = export_all(&f, AUDIT_FORMAT_CSV, &n);
	assert_int_equal(n, 3);
	{
		static const char header[] =
			"id,seq,time,org,system,event,action,outcome,reason,user,role,responsible,"
			"access_point,client,category,purpose,legal_basis,consent_ref,break_glass,"
			"correlation_id,counterpart,peer_head,retain_until,prev_hash,hash\r\n";

		assert_true(strncmp(csv, header, strlen(header)) == 0);
	}
	row1 = strstr(csv, "\r\n") + 2;
	/* id, then the fields from seq: quotes doubled, "" for an empty role,
	 * nothing for an absent category, the formula defused */
	row1 = strchr(row1, ',') + 1;
	{
		static const char want[] =
			"1,2026-01-05T09:00:00.000Z,wijkteam,schakel-node,case.open,C,ok,"
			"\"said \"\"no\"\", then yes\",anna,\"\",root,cli,c-1,,afstemming,"
			"\"'=HYPERLINK(\"\"http://x\"\")\",case 1 v1,true,,,,2031-";

		assert_true(strncmp(row1, want, strlen(want)) == 0);
	}
	row2 = strstr(row1, "\r\n") + 2;
	assert_non_null(strstr(row2, ",lookup,R,denied,the professional is not assigned,dora,spv,"));
	assert_non_null(strstr(row2, ",\"altrecht,tactus\","));
	end = strstr(row2, "\r\n") + 2;
	end = strstr(end, "\r\n") + 2;
	assert_int_equal(*end, '\0'); /* three rows and the header, no more */
	free(csv);
	fx_free(&f);
}

/* ';' for Dutch spreadsheets: a UTF-8 BOM first, ';' between fields, and
 * a field with ';' quoted while one with ',' now is not. */
static void test_csv_semicolon(void **state)
{
	struct fx f = fx_new();
	struct fx_mem m;
	audit_export *x = NULL;
	audit_filter flt = {0};
	MDB_txn *txn;
	audit_record r;
	char *csv, *row, sep = 0;

	fill(&f);
	r = fx_rec("case.open", AUDIT_ACTION_CREATE, AUDIT_OUTCOME_OK, T0 + 3, "c-2", "anna");
	r.reason = "een; twee";
	fx_add(&f, &r);
	txn = fx_txn(&f, MDB_RDONLY);
	fx_mem_open(&m);
	E(audit_export_begin_sep(&x, m.fp, AUDIT_FORMAT_CSV, ';', T0));
	E(audit_query(f.log, txn, &flt, audit_export_record, x));
	E(audit_export_end(x, NULL));
	mdb_txn_abort(txn);
	csv = fx_mem_close(&m);
	assert_true(strncmp(csv, AUDIT_CSV_BOM "id;seq;time;org;system;event;action;outcome;", 3 + 44) ==
		    0);
	assert_null(strstr(csv, "id,seq"));
	row = strstr(csv, ";lookup;R;denied;the professional is not assigned;dora;spv;");
	assert_non_null(row);
	assert_non_null(strstr(row, ";altrecht,tactus;")); /* a comma needs no quotes now */
	assert_non_null(strstr(csv, ";case.open;C;ok;\"een; twee\";anna;"));
	free(csv);
	/* the comma form has no BOM */
	csv = export_all(&f, AUDIT_FORMAT_CSV, NULL);
	assert_true(strncmp(csv, "id,seq,", 7) == 0);
	free(csv);

	E(audit_separator_parse(&sep, ";"));
	assert_int_equal(sep, ';');
	E(audit_separator_parse(&sep, "semicolon"));
	assert_int_equal(sep, ';');
	E(audit_separator_parse(&sep, "comma"));
	assert_int_equal(sep, ',');
	EFAIL(audit_separator_parse(&sep, "\t"), SK_ERR_INVALID);
	EFAIL(audit_export_begin_sep(&x, stdout, AUDIT_FORMAT_CSV, '|', T0), SK_ERR_INVALID);
	fx_free(&f);
}

static void test_json(void **state)
{
	struct fx f = fx_new();
	json_error_t err;
	json_t *doc, *o;
	uint64_t n = 0;
	char *txt;

	txt = export_all(&f, AUDIT_FORMAT_JSON, &n); /* empty: still an array */
	assert_int_equal(n, 0);
	doc = json_loads(txt, 0, &err);
	assert_true(json_is_array(doc) && json_array_size(doc) == 0);
	json_decref(doc);
	free(txt);
	fill(&f);
	txt = export_all(&f, AUDIT_FORMAT_JSON, &n);
	doc = json_loads(txt, 0, &err);
	if (doc == NULL)
		fail_msg("not JSON: %s", err.text);
	assert_int_equal(json_array_size(doc), 3);
	o = json_array_get(doc, 0);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "id"))), 32);
	assert_string_equal(json_string_value(json_object_get(o, "reason")), "said \"no\", then yes");
	assert_true(json_is_true(json_object_get(o, "break_glass")));
	o = json_array_get(doc, 1);
	assert_string_equal(json_string_value(json_object_get(o, "outcome")), "denied");
	json_decref(doc);
	free(txt);
	fx_free(&f);
}

static const char *str_at(json_t *o, const char *path)
{
	json_t *v = o;
	char key[64];

	/* "a.b.0.c": members and array indexes */
	for (const char *p = path; v != NULL && *p != '\0';) {
		size_t n = strcspn(p, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		v = key[0] >= '0' && key[0] <= '9' ? json_array_get(v, strtoul(key, NULL, 10))
						   : json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static void test_fhir(void **state)
{
	struct fx f = fx_new();
	json_error_t err;
	json_t *doc, *e0, *e1, *e2;
	uint64_t n = 0;
	char *txt;

	fill(&f);
	txt = export_all(&f, AUDIT_FORMAT_FHIR, &n);
	doc = json_loads(txt, 0, &err);
	if (doc == NULL)
		fail_msg("not JSON: %s", err.text);
	assert_string_equal(str_at(doc, "resourceType"), "Bundle");
	assert_string_equal(str_at(doc, "type"), "collection");
	assert_string_equal(str_at(doc, "timestamp"), "2026-01-05T09:01:00.000Z");
	assert_int_equal(json_array_size(json_object_get(doc, "entry")), 3);
	e0 = json_object_get(json_array_get(json_object_get(doc, "entry"), 0), "resource");
	e1 = json_object_get(json_array_get(json_object_get(doc, "entry"), 1), "resource");
	e2 = json_object_get(json_array_get(json_object_get(doc, "entry"), 2), "resource");
	assert_true(strncmp(str_at(doc, "entry.0.fullUrl"), "urn:uuid:", 9) == 0);
	assert_int_equal(strlen(str_at(doc, "entry.0.fullUrl")), 9 + 36);
	/* the case: a patient record, created, with the client as a Patient
	 * entity by local id, break-glass as purpose BTG */
	assert_string_equal(str_at(e0, "resourceType"), "AuditEvent");
	assert_string_equal(str_at(e0, "type.code"), "110110");
	assert_string_equal(str_at(e0, "type.system"), "http://dicom.nema.org/resources/ontology/DCM");
	assert_string_equal(str_at(e0, "subtype.0.code"), "case.open");
	assert_string_equal(str_at(e0, "action"), "C");
	assert_string_equal(str_at(e0, "recorded"), "2026-01-05T09:00:00.000Z");
	assert_string_equal(str_at(e0, "outcome"), "0");
	assert_string_equal(str_at(e0, "purposeOfEvent.0.coding.0.code"), "afstemming");
	assert_string_equal(str_at(e0, "purposeOfEvent.1.coding.0.code"), "BTG");
	assert_string_equal(str_at(e0, "agent.0.who.identifier.value"), "anna");
	assert_string_equal(str_at(e0, "agent.0.altId"), "root");
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(e0, "agent"), 0),
						 "requestor")));
	assert_string_equal(str_at(e0, "agent.1.type.coding.0.code"), "110153");
	assert_string_equal(str_at(e0, "source.observer.identifier.value"), "wijkteam");
	assert_string_equal(str_at(e0, "source.type.0.code"), "4");
	assert_string_equal(str_at(e0, "entity.0.what.identifier.value"), "c-1");
	assert_string_equal(str_at(e0, "entity.0.what.identifier.system"),
			    "urn:schakel:v1:org:wijkteam:client");
	assert_string_equal(str_at(e0, "entity.0.type.code"), "1");
	assert_string_equal(str_at(e0, "entity.0.role.code"), "1");
	assert_string_equal(str_at(e0, "entity.1.detail.0.type"), "legal_basis");
	assert_string_equal(str_at(e0, "entity.1.detail.1.valueString"), "case 1 v1");
	assert_string_equal(str_at(e0, "entity.1.what.identifier.value"), "1");
	/* the denied lookup: a query, outcome 4, the correlation id as
	 * XrequestId, one agent per counterpart */
	assert_string_equal(str_at(e1, "type.code"), "110112");
	assert_string_equal(str_at(e1, "outcome"), "4");
	assert_string_equal(str_at(e1, "outcomeDesc"), "the professional is not assigned");
	assert_null(json_object_get(e1, "purposeOfEvent"));
	assert_string_equal(str_at(e1, "entity.1.type.code"), "XrequestId");
	assert_string_equal(str_at(e1, "entity.1.what.identifier.value"),
			    "00112233445566778899aabbccddeeff");
	assert_string_equal(str_at(e1, "agent.2.who.identifier.value"), "altrecht");
	assert_string_equal(str_at(e1, "agent.3.who.identifier.value"), "tactus");
	/* the disclosure: the other org is the requestor, with its role */
	assert_string_equal(str_at(e2, "agent.2.who.identifier.value"), "altrecht");
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(e2, "agent"), 2),
						 "requestor")));
	assert_string_equal(str_at(e2, "agent.2.role.0.text"), "spv");
	assert_true(json_is_false(json_object_get(json_array_get(json_object_get(e2, "agent"), 0),
						  "requestor")));
	assert_string_equal(str_at(e2, "source.site"), "registry");
	json_decref(doc);
	free(txt);
	fx_free(&f);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_signature(void **state)
{
	char *dir = t_tmpdir(), path[512], sig[AUDIT_SIG_TEXT_MAX], bad[AUDIT_SIG_TEXT_MAX];
	const char data[] = "id,seq\r\nab,1\r\n";
	key_ed25519 k, other;
	size_t len = 0;
	char *p;

	key_ed25519_generate(&k);
	key_ed25519_generate(&other);
	snprintf(path, sizeof(path), "%s/export.csv", dir);
	write_file(path, data, strlen(data));
	E(audit_export_sign(sig, sizeof(sig), &len, path, "wijkteam", &k));
	assert_int_equal(len, strlen(sig));
	assert_true(strncmp(sig, AUDIT_SIG_MAGIC "\norg wijkteam\nkey ed25519:",
			    strlen(AUDIT_SIG_MAGIC "\norg wijkteam\nkey ed25519:")) == 0);
	E(audit_export_verify(path, sig, len, k.pk));

	/* another key: named in the file, refused before the signature */
	EFAIL(audit_export_verify(path, sig, len, other.pk), SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "another key"));
	/* one byte of the export changed, one byte added, the file cut */
	write_file(path, "id,seq\r\nab,2\r\n", strlen(data));
	EFAIL(audit_export_verify(path, sig, len, k.pk), SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "changed"));
	write_file(path, "id,seq\r\nab,1\r\n\n", strlen(data) + 1);
	EFAIL(audit_export_verify(path, sig, len, k.pk), SK_ERR_VERIFY);
	write_file(path, data, strlen(data) - 1);
	EFAIL(audit_export_verify(path, sig, len, k.pk), SK_ERR_VERIFY);
	write_file(path, data, strlen(data));
	E(audit_export_verify(path, sig, len, k.pk));

	/* the .sig changed: a signature bit, the org it names */
	memcpy(bad, sig, len + 1);
	p = strstr(bad, "\nsignature ") + 11;
	*p = *p == '0' ? '1' : '0';
	EFAIL(audit_export_verify(path, bad, len, k.pk), SK_ERR_VERIFY);
	assert_non_null(strstr(sk_error_detail(), "does not verify"));
	memcpy(bad, sig, len + 1);
	memcpy(strstr(bad, "\norg ") + 5, "wijkteax", 8);
	EFAIL(audit_export_verify(path, bad, len, k.pk), SK_ERR_VERIFY);
	/* a file changed together with the size and hash lines: the
	 * signature still fails */
	{
		char tampered[] = "id,seq\r\nab,9\r\n";
		key_ed25519 forger;
		char forged[AUDIT_SIG_TEXT_MAX], *s_mine, *s_theirs;
		size_t flen;

		key_ed25519_generate(&forger);
		write_file(path, tampered, strlen(tampered));
		E(audit_export_sign(forged, sizeof(forged), &flen, path, "wijkteam", &forger));
		/* the forger's size and hash, our key line and signature */
		memcpy(bad, sig, len + 1);
		s_mine = strstr(bad, "\nsize ");
		s_theirs = strstr(forged, "\nsize ");
		memcpy(s_mine, s_theirs, (size_t)(strstr(s_theirs, "\nsignature ") - s_theirs));
		EFAIL(audit_export_verify(path, bad, len, k.pk), SK_ERR_VERIFY);
		assert_non_null(strstr(sk_error_detail(), "does not verify"));
		key_ed25519_wipe(&forger);
		write_file(path, data, strlen(data));
	}

	/* malformed .sig texts */
	EFAIL(audit_export_verify(path, "", 0, k.pk), SK_ERR_INVALID);
	EFAIL(audit_export_verify(path, sig, len - 1, k.pk), SK_ERR_INVALID); /* no final \n */
	memcpy(bad, sig, len + 1);
	bad[len] = 'x';
	EFAIL(audit_export_verify(path, bad, len + 1, k.pk), SK_ERR_INVALID); /* trailing junk */
	memcpy(bad, sig, len + 1);
	strstr(bad, "\nsize ")[1] = 'S';
	EFAIL(audit_export_verify(path, bad, len, k.pk), SK_ERR_INVALID);
	memcpy(bad, sig, len + 1);
	memcpy(strstr(bad, "\nsize ") + 6, "x", 1);
	EFAIL(audit_export_verify(path, bad, len, k.pk), SK_ERR_INVALID);
	memcpy(bad, sig, len + 1);
	memcpy(strstr(bad, "\nsha256 ") + 8, "zz", 2);
	EFAIL(audit_export_verify(path, bad, len, k.pk), SK_ERR_INVALID);
	EFAIL(audit_export_verify(path, sig, AUDIT_SIG_TEXT_MAX + 1, k.pk), SK_ERR_INVALID);

	/* no such file */
	snprintf(path, sizeof(path), "%s/missing.csv", dir);
	EFAIL(audit_export_verify(path, sig, len, k.pk), SK_ERR_IO);
	EFAIL(audit_export_sign(sig, sizeof(sig), &len, path, "wijkteam", &k), SK_ERR_IO);
	key_ed25519_wipe(&k);
	key_ed25519_wipe(&other);
	t_rmdir(dir);
}

static void test_format_parse(void **state)
{
	audit_format fmt;

	E(audit_format_parse(&fmt, "csv"));
	assert_int_equal(fmt, AUDIT_FORMAT_CSV);
	E(audit_format_parse(&fmt, "fhir"));
	assert_int_equal(fmt, AUDIT_FORMAT_FHIR);
	EFAIL(audit_format_parse(&fmt, "xml"), SK_ERR_INVALID);
	EFAIL(audit_format_parse(&fmt, NULL), SK_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_semicolon),       cmocka_unit_test(test_json),
		cmocka_unit_test(test_fhir),      cmocka_unit_test(test_signature),
		cmocka_unit_test(test_format_parse),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	if (sk_init() != SK_OK)
		return 1;
	T0 = fx_ms("2026-01-05T09:00:00");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
