#include "registry/op.h"

sk_status reg_send_error(net_conn *c, uint64_t request_id, sk_status st, const char *why)
{
	wire_envelope env = SCHAKEL__V1__ENVELOPE__INIT;
	Schakel__V1__Error err = SCHAKEL__V1__ERROR__INIT;

	err.code = (uint32_t)st;
	err.message = (char *)(why != NULL && why[0] != '\0' ? why : sk_strerror(st));
	env.request_id = request_id;
	env.body_case = SCHAKEL__V1__ENVELOPE__BODY_ERROR;
	env.error = &err;
	return net_conn_send(c, &env);
}
