/* Case tables (casustafel) at the node: the tables this org may see, as
 * the registry's signed records (protos/table.h) that this node verified
 * itself (each record's signature under its signer's identity key from
 * the member directory, each table's fold by the shared rules), and the
 * records this org signs: create, join, leave, a procesregisseur more.
 * Every change is audited ("table.create", "table.join", "table.leave",
 * "table.regisseur"). */
#ifndef SK_NODE_TABLE_H
#define SK_NODE_TABLE_H

#include "crypto/note.h"
#include "node/session.h"
#include "node/store.h"
#include "protos/table.h"

/* Replaces the node's copy of the tables with what the registry serves
 * now, each table kept only when all its records verify; *tables the
 * number kept, *rejected those refused (each logged, its records kept as
 * evidence, docs/threat-model.md). */
sk_status node_table_sync(node_remote *r, size_t *tables, size_t *rejected) SK_MUST_CHECK;

/* node_table_sync's check, in txn, without I/O: resp's checkpoint must
 * verify under log_key and every record be in it (its leaf hash and
 * inclusion proof), else nothing is kept: an integrity failure
 * (SK_ERR_VERIFY; the caller has already proven that checkpoint consistent
 * with the one it tracks). Then replaces the node's copy of the tables
 * with those of resp whose records all verify (signer in the member
 * directory, its signature, the table's fold). r (may be NULL) keeps a
 * refused record as evidence. */
sk_status node_table_keep(node_store *s, MDB_txn *txn, const Schakel__V1__TablesResponse *resp,
			  const note_verifier *log_key, node_remote *r, size_t *tables,
			  size_t *rejected) SK_MUST_CHECK;

/* Table id as of txn. SK_ERR_NOTFOUND when this node holds none. */
sk_status node_table_get(node_store *s, MDB_txn *txn, const char *id,
			 wire_table *t) SK_MUST_CHECK;

/* Calls fn for each table this node holds, in id order; a status other
 * than SK_OK stops the scan and is returned. t is valid during the call. */
typedef sk_status (*node_table_fn)(const wire_table *t, void *arg);
sk_status node_table_scan(node_store *s, MDB_txn *txn, node_table_fn fn,
			  void *arg) SK_MUST_CHECK;

/* Hosts a new table: prof (a professional of ours) becomes its first
 * procesregisseur; members are the orgs invited (each joins itself).
 * Syncs first; *id receives the new table's id. */
sk_status node_table_create(node_remote *r, const char *prof, const char *name,
			    const char *rhythm, int open, const char *const *members,
			    size_t n_members,
			    char id[static WIRE_TABLE_ID_HEX + 1]) SK_MUST_CHECK;

/* Our org joins (accepts the invitation) or leaves table id; prof is the
 * professional who decides it. */
sk_status node_table_join(node_remote *r, const char *id, const char *prof) SK_MUST_CHECK;
sk_status node_table_leave(node_remote *r, const char *id, const char *prof) SK_MUST_CHECK;

/* prof, a procesregisseur of table id at our org, adds add_prof of the
 * member org add_org as one more. */
sk_status node_table_regisseur(node_remote *r, const char *id, const char *prof,
			       const char *add_org, const char *add_prof) SK_MUST_CHECK;

#endif
