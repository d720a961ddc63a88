/* Requests the registry refuses before their handler: a body over its cap
 * or with fields this registry does not know (registry/caps.h), and any
 * request of an org whose membership ended while its connection was open.
 * Each refusal is a writer job of its own: audited, nothing stored,
 * answered with its sentence. */
#ifndef SK_REG_SCREEN_H
#define SK_REG_SCREEN_H

#include "net/cert.h"
#include "net/conn.h"
#include "protos/wire.h"
#include "registry/op.h"
#include "registry/store.h"

/* A request the registry refuses before it reaches its handler: the body
 * carries unknown fields or is over a cap (under the request kind's
 * event), or its org's membership ended while the connection was open
 * ("member.session"). A writer job (reg_op_refusal): audited, answered
 * with the sentence. */
typedef struct reg_refusal reg_refusal;

/* A refusal of org's request; NULL without memory. */
reg_refusal *reg_refusal_new(reg_store *s, const char *org, const char *event,
			     audit_action action, sk_status result, const char *reason);

/* NULL when env, a request of kind op, may go on to its handler;
 * otherwise a refusal job for the writer (*st SK_OK), or *st the error
 * when none could be made. */
reg_refusal *reg_request_screen(reg_store *s, const net_peer *peer, const reg_op *op,
				const wire_envelope *env, sk_status *st);

/* A refusal's job (apply audits it, reply sends its sentence, free
 * accepts NULL); no request kind, so not in serve's table. */
extern const reg_op reg_op_refusal;

#endif
