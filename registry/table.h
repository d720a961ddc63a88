/* Case tables (casustafel) at the registry: each table's definition and
 * membership changes are signed records (protos/table.h), each a leaf of
 * the log (WIRE_LEAF_TABLE over the signed TableRecordBody). The registry
 * checks the signer (a live member), its signature and the table's rules
 * before it appends; it serves a table's records only to the orgs the
 * table names and, for an open table, to every member. */
#ifndef SK_REG_TABLE_H
#define SK_REG_TABLE_H

#include "registry/op.h"

#define REG_TABLES_REPLY_BYTES (768u << 10) /* records per TablesResponse, at most */
/* one TableSubmit: every member's sealed case */
#define REG_TABLE_SUBMIT_BYTES_MAX (WIRE_TABLE_ORGS_MAX * (WIRE_TABLE_SEALED_MAX + 128))

/* TableRecordRequest: a writer job (the checks, the leaf, the record and
 * its audit record, "table.record"). TablesRequest: answered at once. */
extern const reg_op reg_op_table_record;
extern const reg_op reg_op_tables;

/* TableSubmit: a writer job. The submitting org is a live member and a
 * member of the table, or the table is open; the case is sealed to every
 * current member but the submitter, each once; the case id is new. Each
 * recipient gets a MAILBOX_TABLE_CASE item; the registry keeps the
 * TableCase (table, org, time, recipients) and audits "table.submit". */
extern const reg_op reg_op_table_submit;

/* TableSend: a writer job. The sender is a live participant of the case
 * (the submitter, an org it was sealed to, or an org invited for it);
 * schedule, invite and outcome come from an org with a procesregisseur at
 * the table; an invitation names a live member not yet a participant,
 * which becomes one; after the outcome nothing more is sent. Sealed to
 * each participant but the sender, each once; each gets a
 * MAILBOX_TABLE_MESSAGE item. Audited as "table.send", "table.schedule",
 * "table.invite" or "table.outcome". */
extern const reg_op reg_op_table_send;

#define REG_TABLE_RETAIN_MS (90ull * 86400000) /* default: 90 days after the outcome */
/* default: a case without an outcome is purged a year after it was
 * brought. A table meets weekly to monthly and settles a case in a few
 * meetings; a year covers one deferred over many meetings and the
 * holidays, and bounds how long the registry holds an abandoned case's
 * ciphertext (docs/operator.md). */
#define REG_TABLE_CASE_MAX_MS (365ull * 86400000)

/* Purges, in txn, the ciphertext of up to max table cases whose outcome
 * is older than retain_ms at now, or that have no outcome and were
 * brought case_max_ms or longer before now: each mailbox item the case
 * made is emptied (reg_mailbox_strip: the item and its seq stay, so
 * cursors hold), the case keeps only table, org, times and recipients and
 * takes no more messages, and "table.purge" is audited with its reason.
 * *purged (may be NULL) gets the count. */
sk_status reg_table_sweep(reg_store *s, MDB_txn *txn, uint64_t now, uint64_t retain_ms,
			  uint64_t case_max_ms, size_t max, size_t *purged) SK_MUST_CHECK;
#define REG_TABLE_SEND_BYTES_MAX \
	((WIRE_TABLE_ORGS_MAX + WIRE_TABLE_INVITED_MAX) * WIRE_TABLE_MESSAGE_SEALED_MAX)

/* The table id's state as of txn (all its records folded); *t zeroed
 * and SK_OK when the registry has no record of it. */
sk_status reg_table_get(reg_store *s, MDB_txn *txn, const char *id, wire_table *t) SK_MUST_CHECK;

#endif
