/* A node restored from a backup takes up where the registry saw it last:
 * no entry sequence number, anchored audit record or discussion message
 * number is used twice, and the encryption key made after the backup
 * (lost with its private half) is replaced. */
#ifndef SK_NODE_RESUME_H
#define SK_NODE_RESUME_H

#include "node/session.h"

/* After a restore (NODE_META_RESUME, set by `restore`): the registry may
 * hold entry sequence numbers and anchored audit records newer than the
 * backup. Asks for them once (ResumeRequest), skips past them, moves the
 * outgoing discussion message numbers on (past the clock in ms), asks for
 * a new encryption key and audits "node.resume". A no-op without the flag.
 * Called before anything numbered is sent: publish, sync, anchor, discuss. */
sk_status node_remote_resume(node_remote *r) SK_MUST_CHECK;

/* After the registry's log rolled over (a registry restored from a
 * backup): its mailbox numbers our items again from the backup's last, so
 * the mailbox cursor moves back to the registry's highest item when it is
 * ahead. The items numbered again are kept as new ones (the inbox's keys
 * are local, node/inboxkey.h). A no-op unless NODE_META_MAILBOX_REWIND is
 * set (by the rollover, in the transaction that followed it); cleared in
 * the transaction that moves the cursor, so a node stopped in between
 * rewinds at its next call. *moved (may be NULL): the cursor moved. */
sk_status node_remote_mailbox_rewind(node_remote *r, int *moved) SK_MUST_CHECK;

#endif
