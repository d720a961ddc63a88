#include "common/cli.h"
#include "common/init.h"
#include "node/cli.h"

int main(int argc, char **argv)
{
	if (sk_init() != SK_OK)
		return sk_cli_fail(SK_ERR_CRYPTO, "start-up");
	return node_cli_main(argc, argv);
}
