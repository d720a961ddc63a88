#include "common/cli.h"
#include "common/init.h"
#include "pseudonymiser/cli.h"

int main(int argc, char **argv)
{
	if (sk_init() != SK_OK)
		return sk_cli_fail(SK_ERR_CRYPTO, "start-up");
	return ps_cli_main(argc, argv);
}
