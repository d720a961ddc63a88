/* The command-line front ends of the registry folder's binaries. */
#ifndef SK_REG_CLI_H
#define SK_REG_CLI_H

int reg_cli_main(int argc, char **argv);

#endif
