/* The command-line front end of schakel-node. */
#ifndef SK_NODE_CLI_H
#define SK_NODE_CLI_H

int node_cli_main(int argc, char **argv);

#endif
