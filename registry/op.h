/* What every request kind `serve` answers shares: the Error reply of a
 * refusal or a failed commit. */
#ifndef SK_REG_OP_H
#define SK_REG_OP_H

#include <stdint.h>

#include "net/conn.h"
#include "protos/wire.h"

/* Sends an Error reply (code st, message why or sk_strerror). */
sk_status reg_send_error(net_conn *c, uint64_t request_id, sk_status st,
			 const char *why) SK_MUST_CHECK;

#endif
