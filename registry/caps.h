/* Every size cap and default quota of what a member may make the registry
 * store or forward, in one place (docs/protocol.md "Caps and quotas" says
 * why each number is what it is). One member's requests must never cost
 * the others: a body over its cap, or with a field this registry does
 * not know, is refused before anything is stored. */
#ifndef SK_REG_CAPS_H
#define SK_REG_CAPS_H

#include <protobuf-c/protobuf-c.h>

/* Sizes, in bytes, of what is stored as received. */
#define REG_ENTRY_BYTES_MAX 4096       /* one signed Entry: ~2.9 KB at its largest */
#define REG_CONTACT_MIN 40             /* a sealed contact: an AEAD's overhead */
#define REG_CONTACT_MAX 2048           /* a sealed contact, at most */
#define REG_ANCHOR_BYTES_MAX 512       /* one AnchorBody: ~130 bytes */
#define REG_DIRECTORY_BYTES_MAX 8192   /* one DirectoryRecord: its bounds (protos/directory.h) */
#define REG_EPOCH_KEY_BYTES_MAX 512    /* one EpochKeyBody: ~130 bytes */
#define REG_DISCUSS_SEALED_MAX 4096    /* an acceptance's sealed details */
#define REG_DISCUSS_MESSAGE_MAX (64u << 10) /* one sealed message, at most */
#define REG_DISCUSS_RECIPIENTS_MAX 64
#define REG_DISCUSS_SEND_BYTES_MAX (512u << 10) /* one DiscussSend, all recipients */
#define REG_MESSAGE_DEPTH_MAX 8        /* nesting of a request's sub-messages */

/* Per-org quotas: the defaults, which `schakel-registry quota` raises (or
 * lowers) for one org. */
#define REG_QUOTA_ENTRIES 50000        /* live entries: a large ggz provider's caseload */
#define REG_QUOTA_PUBLISHES_PER_MINUTE 6000 /* 100/s: a 50,000 re-derivation in ~9 min */
#define REG_QUOTA_MESSAGES_PER_DISCUSSION 2000 /* sealed messages in one discussion */
#define REG_QUOTA_MESSAGES_PER_DAY 10000 /* sealed messages an org sends in a UTC day */

/* 1 when m or any message inside it carries fields this registry does not
 * know (protobuf-c keeps them in base.unknown_fields), or nests deeper
 * than REG_MESSAGE_DEPTH_MAX. */
int reg_message_unknown(const ProtobufCMessage *m);

#endif
