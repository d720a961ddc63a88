/* Every domain string of schakel, in one place. Each signature covers a
 * domain string and the exact bytes it signs (crypto/key.h frames them),
 * each sealed value its domain as associated data (crypto/seal.h), each
 * hash chain its domain as prefix; a domain is used for one purpose and
 * one message form only. Changing one breaks every signature, seal and
 * chain made under it: they are part of the protocol (docs/protocol.md).
 * The one exception lives below protos/: the backup file's own domain
 * (SK_BACKUP_DOMAIN, common/backup.h). */
#ifndef SK_PROTOS_DOMAINS_H
#define SK_PROTOS_DOMAINS_H

/* ---- signed by a member, checked by the registry and by other members -- */

/* An Entry, signed by its org's identity key. */
#define WIRE_DOMAIN_ENTRY "schakel/v1/entry"
/* A member's SignedEnrolRequest body, under the identity key it names. */
#define WIRE_DOMAIN_ENROL_REQUEST "schakel/v1/enrol-request"
/* A SignedRekeyRequest, by the old and the new identity. */
#define WIRE_DOMAIN_REKEY_REQUEST "schakel/v1/rekey-request"
/* An X25519 encryption key, certified by the identity key over
 * pk || u64be(not_after) (crypto/key.h key_x25519_certify). */
#define WIRE_DOMAIN_ENC_KEY "schakel/v1/enc-key"
/* A node's audit head anchored in the registry's log. */
#define WIRE_DOMAIN_ANCHOR "schakel/v1/anchor"
/* A pseudonymiser's EpochKeyRequest body, under its identity key. */
#define WIRE_DOMAIN_EPOCH_KEY "schakel/v1/epoch-key"
/* A discussion message, signed over discussion id, recipient and
 * sequence and sealed to its recipient. */
#define WIRE_DOMAIN_DISCUSS "schakel/v1/discuss"
/* An org's DirectoryRecord (the sociale kaart), under its identity key. */
#define WIRE_DOMAIN_DIRECTORY "schakel/v1/directory"
/* A case table's TableRecordBody (create, join, leave, regisseur), by
 * the org it names as signer (protos/table.h). */
#define WIRE_DOMAIN_TABLE_RECORD "schakel/v1/table-record"
/* A case brought to a table (TableCaseBody), signed over the recipient's
 * org id, the table and case ids, and sealed to each member
 * (crypto/seal.h seal_signed). */
#define WIRE_DOMAIN_TABLE "schakel/v1/table"
/* A message in a table case (TableMessageBody), signed over the
 * recipient's org id, the table and case ids and the sender's sequence,
 * and sealed to each participant (crypto/seal.h seal_signed). */
#define WIRE_DOMAIN_TABLE_MESSAGE "schakel/v1/table-message"
/* The "already involved" tag of a table case: HMAC-SHA-256 keyed by the
 * client's token over this prefix, the table id and the case id
 * (protos/table.h wire_table_tag). */
#define WIRE_DOMAIN_TABLE_TAG "schakel/v1/table-tag"

/* ---- signed by the registry, checked by members -------------------------- */

/* A SignedBundle's body. */
#define WIRE_DOMAIN_BUNDLE "schakel/v1/bundle"
/* A SignedMemberEvent's body. */
#define WIRE_DOMAIN_MEMBER_EVENT "schakel/v1/member-event"
/* A RolloverStatement: a new log's link to the log it replaces, by the
 * identity key that is also the old log's key (protos/rollover.h). */
#define WIRE_DOMAIN_ROLLOVER "schakel/v1/rollover"
/* A record of the operator's journal of member changes, by the registry's
 * identity key (registry/journal.h). */
#define WIRE_DOMAIN_JOURNAL "schakel/v1/journal"
/* A group commit's receipt batch: [u64be(size), root]. */
#define WIRE_DOMAIN_RECEIPTS "schakel/v1/receipts"

/* ---- sealed values that travel ------------------------------------------ */

/* The responsible professional's contact in an entry, sealed under the
 * client's contact key (only a party that knows the BSN opens it). */
#define WIRE_DOMAIN_CONTACT "schakel/v1/contact"
/* A discussion's private key, sealed for the requester's own node. */
#define WIRE_DOMAIN_DISCUSSION_KEY "schakel/v1/discussion-key"

/* ---- audit logs (node and registry) ---------------------------------------- */

/* The hash chain: hash = SHA-256(domain || prev_hash || record bytes). */
#define WIRE_DOMAIN_AUDIT "schakel/v1/audit"
/* The signed base of a purged log. */
#define WIRE_DOMAIN_AUDIT_PURGE "schakel/v1/audit-purge"
/* A signed audit export. */
#define WIRE_DOMAIN_AUDIT_EXPORT "schakel/v1/audit-export"

/* ---- a node's records at rest (never leave the node) ------------------- */

/* A client's BSN, name and birth date under the data key. */
#define WIRE_DOMAIN_NODE_CLIENT "schakel/v1/node-client"
/* The keyed index from BSN to client (a prefix: the BSN follows). */
#define WIRE_DOMAIN_BSN_INDEX "schakel/v1/bsn-index:"
/* A client's cached token and contact key. */
#define WIRE_DOMAIN_NODE_TOKEN "schakel/v1/node-token"
/* The node's encryption private keys. */
#define WIRE_DOMAIN_NODE_ENC_KEY "schakel/v1/node-enc-key"
/* Discussion messages kept at the node. */
#define WIRE_DOMAIN_DISCUSSION_AT_REST "schakel/v1/discussion-message"
/* The hash of a service credential of the client system (node/service.h). */
#define WIRE_DOMAIN_NODE_SERVICE "schakel/v1/node-service-credential"
/* Table cases kept at the node (node/table.h). */
#define WIRE_DOMAIN_TABLE_CASE_AT_REST "schakel/v1/table-case"

#endif
