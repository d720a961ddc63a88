/* The command-line front end of schakel-node. */
#ifndef SK_NODE_CLI_H
#define SK_NODE_CLI_H

#include <jansson.h>

#include "common/cli.h"
#include "node/store.h"

int node_cli_main(int argc, char **argv);

/* Shared by the cli_*.c files: open the store (KEK from the options) or
 * print why not and return the exit code; close; print a JSON document
 * (and release it). */
int node_cli_open(node_store **s, sk_kek **kek, const sk_cli_common *o, const char *what);
void node_cli_close(node_store *s, sk_kek *kek);
/* For read-only commands that show nothing sealed: the store opened
 * without a KEK (node_store_open_public), so no passphrase is asked. */
int node_cli_open_public(node_store **s, const sk_cli_common *o, const char *what);
void node_cli_print_json(json_t *doc);

/* node_cli_open, then a federation session (node/session.h). */
struct node_remote;
int node_cli_open_remote(node_store **s, sk_kek **kek, struct node_remote **r,
			 const sk_cli_common *o, const char *what);

/* Subcommand groups in their own files. */
int node_cli_discuss(int argc, char **argv);
int node_cli_audit(int argc, char **argv);
int node_cli_encryption(int argc, char **argv);
int node_cli_org(int argc, char **argv);
int node_cli_directory(int argc, char **argv);
int node_cli_table(int argc, char **argv);
int node_cli_service(int argc, char **argv);
int node_cli_status(int argc, char **argv);

#endif
