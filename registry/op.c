#include "registry/op.h"

sk_status reg_send_error(net_conn *c, uint64_t request_id, sk_status st, const char *why)
{
	return net_conn_send_error(c, request_id, st, why);
}
