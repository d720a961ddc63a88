/* The operator's journal in use (registry/journal.h has its format):
 * each member-changing command notes what it did (reg_journal_note), and
 * after a restore and a rollover the registry records again what the
 * journal holds and the restored store lacks (reg_journal_replay). */
#ifndef SK_REG_REPLAY_H
#define SK_REG_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "registry/store.h"

/* Appends body (a JSON object naming "cmd" and "org", as the replay
 * understands it) to the journal at path, adding the log's origin
 * ("log") and its size now ("size"), signed by s's identity key; durable
 * when this returns SK_OK (reg_journal_append). s must be opened with its
 * keys. */
sk_status reg_journal_note(reg_store *s, const char *path, json_t *body) SK_MUST_CHECK;

typedef enum reg_replay_outcome {
	REG_REPLAY_DONE,    /* recorded again */
	REG_REPLAY_THERE,   /* the store holds it already */
	REG_REPLAY_BACKUP,  /* older than the restored backup: in the store */
	REG_REPLAY_REFUSED, /* not recorded; why says so */
} reg_replay_outcome;

/* One record's outcome; strings valid during the callback. */
typedef struct reg_replay_item {
	uint64_t seq, time;
	const char *cmd, *org, *why; /* why: a Dutch sentence, "" when done */
	reg_replay_outcome outcome;
} reg_replay_item;

typedef void (*reg_replay_fn)(const reg_replay_item *it, void *arg);

typedef struct reg_replay_counts {
	unsigned done, there, backup, refused;
} reg_replay_counts;

/* After a restore and a rollover of s's log (SK_ERR_NOTFOUND, detail set,
 * when it never rolled over): verifies the whole journal at path under
 * s's key (SK_ERR_VERIFY: nothing is replayed), then goes through its
 * records in order. A record of the old log whose tree was not larger
 * than the restored one holds a change the backup has (BACKUP); every
 * other one is compared with the store and recorded again only when the
 * store lacks it: revoke, enrol (with the certificate the member holds,
 * checked against the CA copy), enrol --refresh (its witnesses), quota.
 * A rekey or new certificate is refused with what to do. Running it
 * twice changes nothing the second time. Each outcome goes to fn (may be
 * NULL) and is audited (journal.replay); each change recorded again is
 * also noted in the journal at out (may be NULL, may be path). */
sk_status reg_journal_replay(reg_store *s, const char *path, const char *out, reg_replay_fn fn,
			     void *arg, reg_replay_counts *c) SK_MUST_CHECK;

#endif
