/* Exports of audit records for the privacy officer and other systems,
 * streamed to a FILE: CSV (RFC 4180, a header row), JSON (a top-level
 * array of audit_record_json() objects) and FHIR R4 (a Bundle of type
 * collection holding one AuditEvent per record, after the DICOM/IHE ATNA
 * codes that IHE BALP builds on); and a detached Ed25519 signature over an
 * export file by the exporting party's identity key. */
#ifndef SK_AUDIT_EXPORT_H
#define SK_AUDIT_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "audit/record.h"
#include "common/status.h"
#include "crypto/key.h"
#include "protos/domains.h"

/* The signature (documented contract, never change):
 *
 *   key_sign_parts(domain WIRE_DOMAIN_AUDIT_EXPORT,
 *                  parts: org, u64be(file size), SHA-256(file bytes))
 *
 * over the exact bytes of the file, hashed so that exports of any size can
 * be signed (key_sign caps a message at 16 MiB). The .sig file is text:
 *
 *   schakel-audit-export-signature v1
 *   org ORG
 *   key ed25519:HEX         the signer's identity public key
 *   size N                  the file's size in bytes
 *   sha256 HEX              the file's SHA-256
 *   signature HEX           the 64-byte Ed25519 signature
 *
 * each line ending in "\n". A verifier uses the public key it trusts (the
 * node's own), never the one in the file, which only names the key. */
#define AUDIT_SIG_MAGIC "schakel-audit-export-signature v1"
#define AUDIT_SIG_TEXT_MAX 1024 /* a .sig file, at most */

typedef enum audit_format {
	AUDIT_FORMAT_CSV = 1,
	AUDIT_FORMAT_JSON,
	AUDIT_FORMAT_FHIR,
} audit_format;

/* "csv", "json", "fhir"; SK_ERR_INVALID otherwise. */
sk_status audit_format_parse(audit_format *out, const char *s) SK_MUST_CHECK;

typedef struct audit_export audit_export;

/* Starts an export to fp (not owned: the caller closes it after
 * audit_export_end()) and writes its opening: the CSV header row, "[" or
 * the Bundle up to its entries (timestamp now_ms). Free with
 * audit_export_end() or audit_export_free(). */
sk_status audit_export_begin(audit_export **out, FILE *fp, audit_format fmt,
			     uint64_t now_ms) SK_MUST_CHECK;

/* The same with the CSV separator: ',' (RFC 4180) or ';' (Dutch
 * spreadsheets, which take ',' as the decimal comma), the latter with a
 * UTF-8 byte-order mark first so that Excel reads the text as UTF-8. Other
 * formats ignore it. SK_ERR_INVALID for any other separator. */
#define AUDIT_CSV_BOM "\xef\xbb\xbf"
sk_status audit_export_begin_sep(audit_export **out, FILE *fp, audit_format fmt, char sep,
				 uint64_t now_ms) SK_MUST_CHECK;

/* "," or "comma" and ";" or "semicolon" into *sep; SK_ERR_INVALID
 * otherwise. */
sk_status audit_separator_parse(char *sep, const char *s) SK_MUST_CHECK;

/* Writes one record; x is the audit_export. An audit_scan_fn, so it can be
 * handed to audit_query() directly. CSV text fields that a spreadsheet
 * would run as a formula (starting with = + - @) are quoted and prefixed
 * with an apostrophe. */
sk_status audit_export_record(const audit_record *rec, void *x) SK_MUST_CHECK;

/* Writes the closing, flushes, and frees x; *count (may be NULL) gets the
 * number of records written. SK_ERR_IO when any write failed. */
sk_status audit_export_end(audit_export *x, uint64_t *count) SK_MUST_CHECK;

/* Frees an export without finishing it. Accepts NULL. */
void audit_export_free(audit_export *x);

/* rec as a FHIR R4 AuditEvent (a new reference owned by the caller):
 * type (DCM: Patient Record, Query, Audit Log Used, Security Alert or
 * Application Activity), subtype (the schakel event code), action,
 * recorded, outcome (0, 4 denied, 8 failed) and outcomeDesc, purposeOfEvent
 * (the purpose code; BTG for break-glass), agents (the user, the
 * application, counterpart orgs), source (the org) and entities (the client
 * by local id as what.identifier, the correlation id as XrequestId, the
 * record with its basis, consent and chain details). */
sk_status audit_record_fhir(json_t **out, const audit_record *rec) SK_MUST_CHECK;

/* Signs the file at path (see above) with key, writing the .sig text into
 * out (cap >= AUDIT_SIG_TEXT_MAX), NUL-terminated; *len its length.
 * SK_ERR_IO when the file cannot be read. */
sk_status audit_export_sign(char *out, size_t cap, size_t *len, const char *path,
			    const char *org, const key_ed25519 *key) SK_MUST_CHECK;

/* SK_OK only when sig (len bytes of .sig text) is a signature by pk over
 * the file at path as it is now. SK_ERR_VERIFY (detail set: another key,
 * the file changed, or the signature is bad) otherwise; SK_ERR_INVALID
 * for text that is not a .sig file; SK_ERR_IO when the file cannot be
 * read. */
sk_status audit_export_verify(const char *path, const char *sig, size_t len,
			      const uint8_t pk[static KEY_ED25519_PK_BYTES]) SK_MUST_CHECK;

#endif
