/* The command-line front end of schakel-pseudonymiser. */
#ifndef SK_PS_CLI_H
#define SK_PS_CLI_H

int ps_cli_main(int argc, char **argv);

#endif
