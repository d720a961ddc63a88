/* A request kind as `serve` dispatches it (registry/serve.c): one const
 * reg_op a kind, exported by the module that serves it, the way curl
 * describes a protocol with a Curl_handler; and the Error reply every
 * kind sends. A kind is answered at once from a read transaction (read),
 * or is a job: made on the loop thread (new), checked on a worker
 * (check), applied by the single LMDB writer inside its batch's
 * transaction (apply), finished on a worker after the durable commit
 * (finish) and answered on the loop thread (reply). Membership is checked
 * for every kind before its op runs. */
#ifndef SK_REG_OP_H
#define SK_REG_OP_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "net/cert.h"
#include "net/conn.h"
#include "protos/table.h"
#include "protos/wire.h"
#include "registry/store.h"

/* apply refuses before it writes anything: the writer runs it without a
 * nested transaction of its own (sk_writer_submit_flat) */
#define REG_OP_FLAT 1u

struct reg_receipt; /* registry/publish.h */

typedef struct reg_op {
	Schakel__V1__Envelope__BodyCase body; /* the request it serves */
	const char *name; /* the audit event of its records, where one event names them all */
	unsigned flags; /* REG_OP_* */
	/* A request the registry stores or forwards, screened before new
	 * (registry/screen.h): sets its message in env, the bytes of content
	 * it carries and their cap (registry/caps.h; both 0 when only unknown
	 * fields are refused); returns the audit event of a refusal when the
	 * content picks one other than name, else NULL. NULL: not screened. */
	const char *(*screen)(const wire_envelope *env, const ProtobufCMessage **body,
			      size_t *len, size_t *cap);
	/* Loop thread: answers env of c's peer from a read transaction, no
	 * job; the connection is closed when this fails. NULL for a job. */
	sk_status (*read)(reg_store *s, net_conn *c, uint64_t request_id,
			  const wire_envelope *env);
	/* Loop thread: the job for env of peer, owning copies of what it
	 * needs (env goes away). A refusal found here is kept in the job and
	 * audited by apply; a failure means no job. */
	sk_status (*new)(void **job, reg_store *s, const net_peer *peer,
			 const wire_envelope *env);
	/* Worker thread, before the writer: checks that need no state
	 * (signatures). NULL: straight to the writer. */
	void (*check)(void *job);
	/* Writer thread, inside the batch's transaction (sk_write_fn): the
	 * stateful checks, the writes and the job's audit record, or only the
	 * audit record of its refusal. Fails only when nothing could be
	 * written; may run again after a failed batch. */
	sk_status (*apply)(MDB_txn *txn, void *job);
	/* Writer thread, after apply: the receipt the batch signs for the
	 * job before its commit (reg_publish_sign_batch), or NULL. NULL: none. */
	struct reg_receipt *(*receipt)(void *job);
	/* Worker thread, after the durable commit (commit its outcome): reads
	 * what the reply needs off the writer. NULL: nothing to read. */
	void (*finish)(void *job, sk_status commit);
	/* Loop thread: the answer, or an Error with commit's failure or the
	 * job's refusal. */
	sk_status (*reply)(void *job, sk_status commit, net_conn *c, uint64_t request_id);
	/* The job's outcome after apply, and in *why (why may be NULL) its
	 * sentence when refused, valid as long as the job. SK_ERR_PERM
	 * (membership ended) closes the connection after the reply. */
	sk_status (*result)(const void *job, const char **why);
	void (*free)(void *job); /* accepts NULL */
} reg_op;

/* Sends an Error reply (code st, message why or sk_strerror). */
sk_status reg_send_error(net_conn *c, uint64_t request_id, sk_status st,
			 const char *why) SK_MUST_CHECK;

#endif
