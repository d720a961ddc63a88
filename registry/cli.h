/* The command-line front ends of the registry folder's binaries. */
#ifndef SK_REG_CLI_H
#define SK_REG_CLI_H

int reg_cli_main(int argc, char **argv);

/* schakel-registry audit ... (registry/cli_audit.c). */
int reg_cli_audit(int argc, char **argv);

/* schakel-registry status (registry/cli_status.c). */
int reg_cli_status(int argc, char **argv);

#endif
