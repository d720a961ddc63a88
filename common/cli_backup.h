/* The backup commands every binary shares (backup-key, backup, restore):
 * argument parsing and output over common/backup.h, so that each binary's
 * CLI table only names them with its own kind. */
#ifndef SK_CLI_BACKUP_H
#define SK_CLI_BACKUP_H

#include "common/backup.h"
#include "common/status.h"

/* Called after a restore succeeded, with the restored dir (e.g. the node
 * marks its sequence numbers for a resync); NULL for none. */
typedef sk_status (*sk_cli_restored_fn)(const char *dir);

/* `backup-key --out F`: the offline key pair. */
int sk_cli_backup_key(int argc, char **argv);

/* `backup --dir D --to FILE --recipient PUBKEY`. */
int sk_cli_backup(int argc, char **argv, sk_backup_kind kind);

/* `restore --dir D --from FILE --identity F`. */
int sk_cli_restore(int argc, char **argv, sk_backup_kind kind, sk_cli_restored_fn after);

/* Defines the three commands for a binary's table (SK_CLI_BACKUP_COMMANDS). */
#define SK_CLI_BACKUP_DEFINE(kind, after)                                          \
	static int sk_cli_cmd_backup_key_(int argc, char **argv)                  \
	{                                                                         \
		return sk_cli_backup_key(argc, argv);                             \
	}                                                                         \
	static int sk_cli_cmd_backup_(int argc, char **argv)                      \
	{                                                                         \
		return sk_cli_backup(argc, argv, kind);                           \
	}                                                                         \
	static int sk_cli_cmd_restore_(int argc, char **argv)                     \
	{                                                                         \
		return sk_cli_restore(argc, argv, kind, after);                   \
	}

#define SK_CLI_BACKUP_COMMANDS                                                              \
	{"backup-key", sk_cli_cmd_backup_key_, "make the offline key pair backups are sealed to"}, \
	{"backup", sk_cli_cmd_backup_, "write an encrypted backup of the data dir (also while serving)"}, \
	{"restore", sk_cli_cmd_restore_, "restore a backup into a new, empty data dir"}

#endif
