/* Frames and envelopes. A frame is a 4-byte big-endian payload length
 * followed by that many bytes of one serialised schakel.v1.Envelope.
 * Lengths are checked against a cap before anything is allocated: 1 MiB
 * after authentication, a smaller cap before (net/ chooses). */
#ifndef SK_WIRE_H
#define SK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "protos/domains.h"
#include "protos/schakel.pb-c.h"

#define WIRE_FRAME_HEADER_BYTES 4
#define WIRE_FRAME_MAX (1u << 20)          /* payload cap: 1 MiB */
#define WIRE_FRAME_MAX_PREAUTH (16u << 10) /* before the peer is known */
/* More tree sizes one ConsistencyRequest may ask proofs for (`also`). */
#define WIRE_CONSISTENCY_ALSO_MAX 1024

typedef Schakel__V1__Envelope wire_envelope;

/* Looks at the start of buf (len bytes received so far). On SK_OK a whole
 * frame is present: its payload is buf[4 .. 4 + *payload_len) and the frame
 * takes 4 + *payload_len bytes. SK_ERR_TRUNCATED: wait for more bytes
 * (*payload_len is set once the header is complete, so a reader knows how
 * much to expect). SK_ERR_TOOBIG: the announced length exceeds cap (at most
 * WIRE_FRAME_MAX); SK_ERR_INVALID: a zero-length frame. Both are fatal for
 * the connection. */
sk_status wire_frame_peek(const uint8_t *buf, size_t len, uint32_t cap,
			  size_t *payload_len) SK_MUST_CHECK;

/* Writes the 4-byte header for a payload of len bytes (len <= WIRE_FRAME_MAX). */
sk_status wire_frame_header(uint8_t out[static WIRE_FRAME_HEADER_BYTES],
			    size_t len) SK_MUST_CHECK;

/* Serialises env into a new frame (header + payload). *frame is malloc'd,
 * owned by the caller (free()). SK_ERR_TOOBIG if larger than WIRE_FRAME_MAX;
 * SK_ERR_INVALID if env has no body. */
sk_status wire_envelope_pack(const wire_envelope *env, uint8_t **frame,
			     size_t *frame_len) SK_MUST_CHECK;

/* Parses one envelope payload (not the header). Required fields and a set
 * body are checked; *env is owned by the caller, free with
 * wire_envelope_free(). Byte fields point into the envelope, not into
 * payload. */
sk_status wire_envelope_unpack(const uint8_t *payload, size_t len,
			       wire_envelope **env) SK_MUST_CHECK;

/* Accepts NULL. */
void wire_envelope_free(wire_envelope *env);

/* Enrolment requests: a member's `init` signs the request body with its
 * identity key over WIRE_DOMAIN_ENROL_REQUEST and writes the
 * SignedEnrolRequest to path (a new 0600 file); the registry's `enrol`
 * verifies it under the identity key the body names. */
/* SignedRekeyRequest (schakel.proto): signed by the old and the new identity. */
#define WIRE_ENROL_REQUEST_MAX 4096

sk_status wire_enrol_request_write(const char *path, const Schakel__V1__EnrolRequestBody *b,
				   const uint8_t identity_sk[static 64]) SK_MUST_CHECK;

/* What the registry signs with its identity key for its members to verify:
 * a SignedBundle's body and a SignedMemberEvent's body; and what a
 * pseudonymiser signs with its own for the registry: an EpochKeyRequest's
 * body (schakel.proto). */

/* Log leaves. The registry's Merkle log (RFC 9162) commits to each leaf as
 *   leaf = u8 kind || u32be len(body) || body || signature (64 bytes)
 * where body is the exact signed bytes (an Entry signed by its org, or a
 * MemberEvent signed by the registry) and signature the Ed25519 signature
 * over them. The leaf hash is SHA-256(0x00 || leaf). Anyone holding body
 * and signature recomputes the leaf hash; the log itself keeps only hashes.
 * Entries carry a random salt, so a leaf hash reveals nothing of a token. */
#define WIRE_LEAF_ENTRY 1
#define WIRE_LEAF_MEMBER 2
#define WIRE_LEAF_ANCHOR 3
#define WIRE_LEAF_DIRECTORY 4 /* a DirectoryRecord signed by its org (protos/directory.h) */
#define WIRE_LEAF_TABLE 5 /* a case table's TableRecordBody, by its signer */
#define WIRE_LEAF_ROLLOVER 6 /* a RolloverStatement by the registry: the leaf after the
			       * restored tree in the log that replaces a lost one */
#define WIRE_LEAF_SIG_BYTES 64
#define WIRE_LEAF_HASH_BYTES 32

sk_status wire_leaf_hash(uint8_t out[static WIRE_LEAF_HASH_BYTES], unsigned kind,
			 const uint8_t *body, size_t len,
			 const uint8_t sig[static WIRE_LEAF_SIG_BYTES]) SK_MUST_CHECK;

/* Publish receipts, signed once per group commit. The batch's receipts
 * are, in order, the leaves of an RFC 9162 tree, each leaf hash
 * SHA-256(0x00 || salt || body): body the PublishReceiptBody bytes, salt 16
 * random bytes of that receipt alone, so that the sibling hashes in a
 * receipt's proof reveal nothing of other members' receipts. The registry
 * signs key_sign_parts(WIRE_DOMAIN_RECEIPTS, [u64be(size), root]). A
 * receipt carries its body, salt, index, size and inclusion proof, and that
 * signature. */
#define WIRE_RECEIPT_BATCH_MAX 4096 /* receipts signed together, at most */
#define WIRE_RECEIPT_SALT_BYTES 16

/* A receipt's leaf hash in its batch's tree. */
void wire_receipt_leaf(uint8_t out[static 32], const uint8_t salt[static WIRE_RECEIPT_SALT_BYTES],
		       const uint8_t *body, size_t len);

/* The batch root a receipt's body, index, size and proof lead to;
 * SK_ERR_VERIFY when they are malformed or the proof does not fit. */
sk_status wire_receipt_root(uint8_t root[static 32],
			    const Schakel__V1__PublishReceipt *rc) SK_MUST_CHECK;

sk_status wire_receipts_sign(uint8_t sig[static 64], uint64_t size, const uint8_t root[static 32],
			     const uint8_t sk[static 64]) SK_MUST_CHECK;

/* SK_OK when sig is the registry's (pk) over the batch of size receipts
 * with that root, else SK_ERR_VERIFY. */
sk_status wire_receipts_verify(const uint8_t sig[static 64], uint64_t size,
			       const uint8_t root[static 32],
			       const uint8_t pk[static 32]) SK_MUST_CHECK;

/* A receipt checked against the registry's key pk: the batch signature
 * over the root its body and proof lead to. cache (may be NULL) holds the
 * last batch verified; receipts of one commit share it, so a run of them
 * costs one signature check. SK_ERR_VERIFY otherwise. */
typedef struct wire_receipt_cache {
	int have;
	uint64_t size;
	uint8_t root[32], sig[64];
} wire_receipt_cache;

sk_status wire_receipt_verify(const Schakel__V1__PublishReceipt *rc, const uint8_t pk[static 32],
			      wire_receipt_cache *cache) SK_MUST_CHECK;

#endif
