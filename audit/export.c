#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/be.h"
#include "audit/export.h"
#include "audit/query.h"
#include "common/cli.h"
#include "protos/domains.h"

#define SYS_EVENT_TYPE "http://dicom.nema.org/resources/ontology/DCM"
#define SYS_SCHAKEL_EVENT "urn:schakel:v1:audit-event"
#define SYS_PURPOSE "urn:schakel:v1:purpose"
#define SYS_ORG "urn:schakel:v1:org"
#define SYS_ACT_REASON "http://terminology.hl7.org/CodeSystem/v3-ActReason"
#define SYS_ROLE_TYPE "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
#define SYS_SOURCE_TYPE "http://terminology.hl7.org/CodeSystem/security-source-type"
#define SYS_ENTITY_TYPE "http://terminology.hl7.org/CodeSystem/audit-entity-type"
#define SYS_OBJECT_ROLE "http://terminology.hl7.org/CodeSystem/object-role"
#define SYS_BALP_ENTITY "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
#define ID_HEX (2 * AUDIT_ID_BYTES + 1)

struct audit_export {
	FILE *fp;
	audit_format fmt;
	char sep; /* CSV: ',' or ';' */
	uint64_t count;
};

sk_status audit_format_parse(audit_format *out, const char *s)
{
	static const char *const names[] = {NULL, "csv", "json", "fhir"};

	for (int i = AUDIT_FORMAT_CSV; i <= AUDIT_FORMAT_FHIR; i++)
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*out = (audit_format)i;
			return SK_OK;
		}
	return SK_ERR_INVALID;
}

sk_status audit_separator_parse(char *sep, const char *s)
{
	if (s != NULL && (strcmp(s, ",") == 0 || strcmp(s, "comma") == 0))
		*sep = ',';
	else if (s != NULL && (strcmp(s, ";") == 0 || strcmp(s, "semicolon") == 0))
		*sep = ';';
	else
		return SK_ERR_INVALID;
	return SK_OK;
}

/* ---- CSV ------------------------------------------------------------------- */

static const char *const csv_cols[] = {
	"id", "seq", "time", "org", "system", "event", "action", "outcome", "reason",
	"user", "role", "responsible", "access_point", "client", "category", "purpose",
	"legal_basis", "consent_ref", "break_glass", "correlation_id", "counterpart",
	"peer_head", "retain_until", "prev_hash", "hash",
};
#define CSV_COLS (sizeof(csv_cols) / sizeof(csv_cols[0]))

/* One field: absent is empty, "" is "\"\"", and a field with a comma,
 * quote or line break, or one a spreadsheet would run as a formula, is
 * quoted (the latter behind an apostrophe). */
static void csv_field(FILE *fp, const char *s, bool first, char sep)
{
	char special[5] = {sep, '"', '\r', '\n', 0};
	bool formula, quote;

	if (!first)
		fputc(sep, fp);
	if (s == NULL)
		return;
	formula = s[0] != '\0' && strchr("=+-@", s[0]) != NULL;
	quote = formula || s[0] == '\0' || strpbrk(s, special) != NULL;
	if (!quote) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	if (formula)
		fputc('\'', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void csv_record(FILE *fp, const audit_record *r, char sep)
{
	char id[ID_HEX], t[AUDIT_TIME_BYTES], keep[AUDIT_TIME_BYTES], seq[24];
	char prev[2 * AUDIT_HASH_BYTES + 1], hash[2 * AUDIT_HASH_BYTES + 1];
	const char action[2] = {(char)r->action, 0};

	sodium_bin2hex(id, sizeof(id), r->id, AUDIT_ID_BYTES);
	sodium_bin2hex(prev, sizeof(prev), r->prev_hash, AUDIT_HASH_BYTES);
	sodium_bin2hex(hash, sizeof(hash), r->hash, AUDIT_HASH_BYTES);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)r->seq);
	audit_time_format(t, r->time_ms);
	audit_time_format(keep, r->retain_until_ms);
	const char *cols[] = {id, seq, t, r->org, r->system, r->event, action,
			      audit_outcome_name(r->outcome), r->reason, r->user, r->role,
			      r->responsible, r->access_point, r->client, r->category, r->purpose,
			      r->legal_basis, r->consent_ref, r->break_glass ? "true" : "false",
			      r->correlation_id, r->counterpart, r->peer_head, keep, prev, hash};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		csv_field(fp, cols[i], i == 0, sep);
	fputs("\r\n", fp);
}

/* ---- FHIR ------------------------------------------------------------------ */

static json_t *coding(const char *system, const char *code, const char *display)
{
	return json_pack("{s:s,s:s,s:s*}", "system", system, "code", code, "display", display);
}

static json_t *concept(json_t *c)
{
	return json_pack("{s:[o]}", "coding", c);
}

static json_t *detail(const char *type, const char *value)
{
	return json_pack("{s:s,s:s}", "type", type, "valueString", value);
}

/* json_array_append_new() for an optional item that may have failed. */
static int append(json_t *arr, json_t *item)
{
	return item == NULL || json_array_append_new(arr, item) != 0;
}

/* The DICOM event type (the ATNA vocabulary BALP builds on). */
static json_t *event_type(const audit_record *r)
{
	if (strncmp(r->event, "audit.", 6) == 0)
		return coding(SYS_EVENT_TYPE, "110101", "Audit Log Used");
	if (strcmp(r->event, "lookup") == 0)
		return coding(SYS_EVENT_TYPE, "110112", "Query");
	if (strstr(r->event, "alert") != NULL || strcmp(r->event, "pattern.flag") == 0)
		return coding(SYS_EVENT_TYPE, "110113", "Security Alert");
	if (r->client != NULL)
		return coding(SYS_EVENT_TYPE, "110110", "Patient Record");
	return coding(SYS_EVENT_TYPE, "110100", "Application Activity");
}

/* A counterpart org (one of a comma list): the requestor of a disclosure,
 * otherwise an org that was told or asked. */
static json_t *org_agent(const char *org, size_t len, const audit_record *r, bool requestor)
{
	json_t *a = json_pack("{s:o,s:{s:{s:s,s:s#}},s:b}", "type",
			      concept(coding("urn:schakel:v1:agent-type", "counterpart-org",
					     "Counterpart organisation")),
			      "who", "identifier", "system", SYS_ORG, "value", org, (int)len,
			      "requestor", requestor);

	if (a != NULL && requestor && r->role != NULL)
		json_object_set_new(a, "role", json_pack("[{s:s}]", "text", r->role));
	return a;
}

static int add_agents(json_t *agents, const audit_record *r, bool disclosure)
{
	char sys[AUDIT_FIELD_MAX + 32];
	const char *who = r->user != NULL ? r->user : r->responsible;
	int bad = 0;

	if (who != NULL) {
		json_t *a;

		snprintf(sys, sizeof(sys), "urn:schakel:v1:org:%s:%s", r->org,
			 r->user != NULL ? "user" : "os-user");
		a = json_pack("{s:o,s:{s:{s:s,s:s}},s:b}", "type",
			      concept(coding(SYS_ROLE_TYPE, "humanuser", "human user")), "who",
			      "identifier", "system", sys, "value", who, "requestor", !disclosure);
		if (a != NULL && r->user != NULL && r->responsible != NULL)
			json_object_set_new(a, "altId", json_string(r->responsible));
		if (a != NULL && r->role != NULL && !disclosure)
			json_object_set_new(a, "role", json_pack("[{s:s}]", "text", r->role));
		bad |= a == NULL || append(agents, a);
	}
	bad |= append(agents, json_pack("{s:o,s:{s:s,s:{s:s,s:s}},s:b}", "type",
					concept(coding(SYS_EVENT_TYPE, "110153", "Source Role ID")),
					"who", "display", r->system, "identifier", "system", SYS_ORG,
					"value", r->org, "requestor", false));
	for (const char *p = r->counterpart; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n > 0)
			bad |= append(agents, org_agent(p, n, r, disclosure));
		p += n + (p[n] == ',');
	}
	return bad;
}

static int add_entities(json_t *ents, const audit_record *r)
{
	char sys[AUDIT_FIELD_MAX + 32], seq[24], hash[2 * AUDIT_HASH_BYTES + 1];
	json_t *d = json_array(), *rec;
	int bad = d == NULL;

	if (r->client != NULL) {
		snprintf(sys, sizeof(sys), "urn:schakel:v1:org:%s:client", r->org);
		bad |= append(ents, json_pack("{s:{s:{s:s,s:s}},s:o,s:o}", "what", "identifier",
					      "system", sys, "value", r->client, "type",
					      coding(SYS_ENTITY_TYPE, "1", "Person"), "role",
					      coding(SYS_OBJECT_ROLE, "1", "Patient")));
	}
	if (r->correlation_id != NULL)
		bad |= append(ents, json_pack("{s:{s:{s:s}},s:o}", "what", "identifier", "value",
					      r->correlation_id, "type",
					      coding(SYS_BALP_ENTITY, "XrequestId", "X-Request-Id")));
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)r->seq);
	sodium_bin2hex(hash, sizeof(hash), r->hash, AUDIT_HASH_BYTES);
	if (r->category != NULL)
		bad |= append(d, detail("category", r->category));
	if (r->legal_basis != NULL)
		bad |= append(d, detail("legal_basis", r->legal_basis));
	if (r->consent_ref != NULL)
		bad |= append(d, detail("consent_ref", r->consent_ref));
	if (r->peer_head != NULL)
		bad |= append(d, detail("peer_head", r->peer_head));
	bad |= append(d, detail("hash", hash));
	rec = json_pack("{s:{s:{s:s,s:s}},s:o,s:o,s:o}", "what", "identifier", "system",
			"urn:schakel:v1:audit-record", "value", seq, "type",
			coding(SYS_ENTITY_TYPE, "2", "System Object"), "role",
			coding(SYS_OBJECT_ROLE, "4", "Domain Resource"), "detail", d);
	return bad | append(ents, rec);
}

sk_status audit_record_fhir(json_t **out, const audit_record *r)
{
	static const char *const outcome[] = {"0", "0", "4", "8"};
	char id[ID_HEX], t[AUDIT_TIME_BYTES];
	const char action[2] = {(char)r->action, 0};
	bool disclosure = strcmp(r->event, "disclosure.notice") == 0;
	json_t *ev, *purposes = json_array(), *agents = json_array(), *ents = json_array();
	int bad = purposes == NULL || agents == NULL || ents == NULL;

	*out = NULL;
	sodium_bin2hex(id, sizeof(id), r->id, AUDIT_ID_BYTES);
	audit_time_format(t, r->time_ms);
	if (r->purpose != NULL)
		bad |= append(purposes, concept(coding(SYS_PURPOSE, r->purpose, NULL)));
	if (r->break_glass)
		bad |= append(purposes, concept(coding(SYS_ACT_REASON, "BTG", "break the glass")));
	bad |= add_agents(agents, r, disclosure);
	bad |= add_entities(ents, r);
	ev = json_pack("{s:s,s:s,s:o,s:[o],s:s,s:s,s:s,s:s*,s:o,s:o,s:{s:s*,s:{s:s,s:{s:s,s:s}},"
		       "s:[o]},s:o}",
		       "resourceType", "AuditEvent", "id", id, "type", event_type(r), "subtype",
		       coding(SYS_SCHAKEL_EVENT, r->event, NULL), "action", action, "recorded", t,
		       "outcome",
		       outcome[r->outcome <= AUDIT_OUTCOME_FAILED ? r->outcome : AUDIT_OUTCOME_FAILED],
		       "outcomeDesc", r->reason, "purposeOfEvent", purposes, "agent", agents,
		       "source", "site", r->access_point, "observer", "display", r->system,
		       "identifier", "system", SYS_ORG, "value", r->org, "type",
		       coding(SYS_SOURCE_TYPE, "4", "Application Server"), "entity", ents);
	if (ev == NULL || bad) {
		json_decref(ev);
		return SK_ERR_NOMEM;
	}
	if (json_array_size(purposes) == 0)
		json_object_del(ev, "purposeOfEvent");
	*out = ev;
	return SK_OK;
}

/* ---- the stream -------------------------------------------------------------- */

sk_status audit_export_begin(audit_export **out, FILE *fp, audit_format fmt, uint64_t now_ms)
{
	return audit_export_begin_sep(out, fp, fmt, ',', now_ms);
}

sk_status audit_export_begin_sep(audit_export **out, FILE *fp, audit_format fmt, char sep,
				 uint64_t now_ms)
{
	audit_export *x;
	char t[AUDIT_TIME_BYTES];

	*out = NULL;
	if (sep != ',' && sep != ';')
		return SK_ERR_INVALID;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return SK_ERR_NOMEM;
	x->fp = fp;
	x->fmt = fmt;
	x->sep = sep;
	if (fmt == AUDIT_FORMAT_CSV) {
		if (sep == ';')
			fputs(AUDIT_CSV_BOM, fp); /* the BOM: spreadsheets then read UTF-8 */
		for (size_t i = 0; i < CSV_COLS; i++)
			fprintf(fp, "%s%s", i ? (sep == ';' ? ";" : ",") : "", csv_cols[i]);
		fputs("\r\n", fp);
	} else if (fmt == AUDIT_FORMAT_JSON) {
		fputs("[", fp);
	} else {
		audit_time_format(t, now_ms);
		fprintf(fp,
			"{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"timestamp\":\"%s\","
			"\"entry\":[",
			t);
	}
	*out = x;
	return SK_OK;
}

sk_status audit_export_record(const audit_record *rec, void *arg)
{
	audit_export *x = arg;
	char id[ID_HEX], url[64], *txt;
	json_t *j = NULL;
	sk_status st;

	if (x->fmt == AUDIT_FORMAT_CSV) {
		csv_record(x->fp, rec, x->sep);
		x->count++;
		return ferror(x->fp) ? SK_ERR_IO : SK_OK;
	}
	st = x->fmt == AUDIT_FORMAT_JSON ? audit_record_json(&j, rec) : audit_record_fhir(&j, rec);
	if (st != SK_OK)
		return st;
	if (x->fmt == AUDIT_FORMAT_FHIR) {
		sodium_bin2hex(id, sizeof(id), rec->id, AUDIT_ID_BYTES);
		/* fullUrl: the record id as a UUID's 8-4-4-4-12 digits */
		snprintf(url, sizeof(url), "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", id, id + 8,
			 id + 12, id + 16, id + 20);
		j = json_pack("{s:s,s:o}", "fullUrl", url, "resource", j);
	}
	if (j == NULL || (txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(j);
		return SK_ERR_NOMEM;
	}
	fprintf(x->fp, "%s\n%s", x->count > 0 ? "," : "", txt);
	free(txt);
	json_decref(j);
	x->count++;
	return ferror(x->fp) ? SK_ERR_IO : SK_OK;
}

sk_status audit_export_end(audit_export *x, uint64_t *count)
{
	sk_status st;

	if (x->fmt == AUDIT_FORMAT_JSON)
		fputs("\n]\n", x->fp);
	else if (x->fmt == AUDIT_FORMAT_FHIR)
		fputs("\n]}\n", x->fp);
	st = fflush(x->fp) != 0 || ferror(x->fp) ? SK_ERR_IO : SK_OK;
	if (count != NULL)
		*count = x->count;
	free(x);
	return st;
}

void audit_export_free(audit_export *x)
{
	free(x);
}

/* ---- signature ------------------------------------------------------------- */

/* The size and SHA-256 of the file at path. */
static sk_status file_digest(const char *path, uint64_t *size,
			     uint8_t hash[static crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_state h;
	uint8_t buf[65536];
	FILE *fp = fopen(path, "rb");
	size_t n;
	sk_status st;

	*size = 0;
	if (fp == NULL) {
		sk_error_set("cannot read %s", path);
		return SK_ERR_IO;
	}
	crypto_hash_sha256_init(&h);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		crypto_hash_sha256_update(&h, buf, n);
		*size += n;
	}
	st = ferror(fp) ? SK_ERR_IO : SK_OK;
	fclose(fp);
	crypto_hash_sha256_final(&h, hash);
	if (st != SK_OK)
		sk_error_set("cannot read %s", path);
	return st;
}

static void message_parts(key_part parts[static 3], const char *org, uint8_t size_be[static 8],
			  uint64_t size, const uint8_t *hash)
{
	sk_be64_put(size_be, size);
	parts[0] = (key_part){(const uint8_t *)org, strlen(org)};
	parts[1] = (key_part){size_be, 8};
	parts[2] = (key_part){hash, crypto_hash_sha256_BYTES};
}

sk_status audit_export_sign(char *out, size_t cap, size_t *len, const char *path,
			    const char *org, const key_ed25519 *key)
{
	uint8_t hash[crypto_hash_sha256_BYTES], sig[KEY_SIG_BYTES], size_be[8];
	char pk_hex[2 * KEY_ED25519_PK_BYTES + 1], hash_hex[2 * sizeof(hash) + 1];
	char sig_hex[2 * KEY_SIG_BYTES + 1];
	key_part parts[3];
	uint64_t size;
	sk_status st;
	int n;

	*len = 0;
	if (cap > 0)
		out[0] = '\0';
	if (strlen(org) > AUDIT_FIELD_MAX || strpbrk(org, "\r\n") != NULL)
		return SK_ERR_INVALID;
	if ((st = file_digest(path, &size, hash)) != SK_OK)
		return st;
	message_parts(parts, org, size_be, size, hash);
	if ((st = key_sign_parts(sig, WIRE_DOMAIN_AUDIT_EXPORT, parts, 3, key->sk)) != SK_OK)
		return st;
	sodium_bin2hex(pk_hex, sizeof(pk_hex), key->pk, KEY_ED25519_PK_BYTES);
	sodium_bin2hex(hash_hex, sizeof(hash_hex), hash, sizeof(hash));
	sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
	n = snprintf(out, cap, "%s\norg %s\nkey ed25519:%s\nsize %llu\nsha256 %s\nsignature %s\n",
		     AUDIT_SIG_MAGIC, org, pk_hex, (unsigned long long)size, hash_hex, sig_hex);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			out[0] = '\0';
		return SK_ERR_TOOBIG;
	}
	*len = (size_t)n;
	return SK_OK;
}

/* The value of line "name value\n" at *p (before end) into val (cap
 * bytes); moves *p past it. */
static bool sig_line(const char **p, const char *end, const char *name, char *val, size_t cap)
{
	size_t nl = strlen(name);
	const char *eol = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (eol == NULL || (size_t)(eol - *p) <= nl || memcmp(*p, name, nl) != 0 ||
	    (*p)[nl] != ' ')
		return false;
	n = (size_t)(eol - *p) - nl - 1;
	if (n == 0 || n >= cap)
		return false;
	memcpy(val, *p + nl + 1, n);
	val[n] = '\0';
	*p = eol + 1;
	return memchr(val, '\0', n) == NULL;
}

/* Exactly len bytes from hex (2 * len digits). */
static bool hex_exact(uint8_t *out, size_t len, const char *hex)
{
	size_t got = 0;

	return strlen(hex) == 2 * len &&
	       sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, NULL) == 0 && got == len;
}

sk_status audit_export_verify(const char *path, const char *sig, size_t len,
			      const uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	uint8_t key[KEY_ED25519_PK_BYTES], hash[crypto_hash_sha256_BYTES], said[sizeof(hash)];
	uint8_t s[KEY_SIG_BYTES], size_be[8];
	char org[AUDIT_FIELD_MAX + 1], keytxt[128], size_txt[24], hash_txt[80], sig_txt[160];
	const char *p = sig, *end = sig + len, *magic = AUDIT_SIG_MAGIC "\n";
	unsigned long long said_size = 0;
	key_part parts[3];
	uint64_t size;
	sk_status st;

	if (len > AUDIT_SIG_TEXT_MAX || len < strlen(magic) ||
	    memcmp(sig, magic, strlen(magic)) != 0)
		goto malformed;
	p += strlen(magic);
	if (!sig_line(&p, end, "org", org, sizeof(org)) ||
	    !sig_line(&p, end, "key", keytxt, sizeof(keytxt)) ||
	    !sig_line(&p, end, "size", size_txt, sizeof(size_txt)) ||
	    !sig_line(&p, end, "sha256", hash_txt, sizeof(hash_txt)) ||
	    !sig_line(&p, end, "signature", sig_txt, sizeof(sig_txt)) || p != end ||
	    strncmp(keytxt, "ed25519:", 8) != 0 || !hex_exact(key, sizeof(key), keytxt + 8) ||
	    !hex_exact(said, sizeof(said), hash_txt) || !hex_exact(s, sizeof(s), sig_txt) ||
	    sk_cli_u64(size_txt, &said_size) != SK_OK)
		goto malformed;
	/* the key id before the signature */
	if (sodium_memcmp(key, pk, sizeof(key)) != 0) {
		sk_error_set("the export was signed by another key than this node's identity key");
		return SK_ERR_VERIFY;
	}
	if ((st = file_digest(path, &size, hash)) != SK_OK)
		return st;
	if (size != said_size || sodium_memcmp(hash, said, sizeof(hash)) != 0) {
		sk_error_set("%s is not the file that was signed: it was changed or replaced", path);
		return SK_ERR_VERIFY;
	}
	message_parts(parts, org, size_be, size, hash);
	if (key_verify_parts(s, WIRE_DOMAIN_AUDIT_EXPORT, parts, 3, pk) != SK_OK) {
		sk_error_set("the signature of %s does not verify", path);
		return SK_ERR_VERIFY;
	}
	return SK_OK;
malformed:
	sk_error_set("not an audit export signature (%s)", AUDIT_SIG_MAGIC);
	return SK_ERR_INVALID;
}
