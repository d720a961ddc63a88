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

/* TableRecordRequest: a writer job (the checks, the leaf, the record and
 * its audit record, "table.record"). TablesRequest: answered at once. */
extern const reg_op reg_op_table_record;
extern const reg_op reg_op_tables;

/* The table id's state as of txn (all its records folded); *t zeroed
 * and SK_OK when the registry has no record of it. */
sk_status reg_table_get(reg_store *s, MDB_txn *txn, const char *id, wire_table *t) SK_MUST_CHECK;

#endif
