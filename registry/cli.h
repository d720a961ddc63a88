/* The command-line front ends of the registry folder's binaries. */
#ifndef SK_REG_CLI_H
#define SK_REG_CLI_H

int reg_cli_main(int argc, char **argv);

/* schakel-registry audit ... (registry/cli_audit.c). */
int reg_cli_audit(int argc, char **argv);

/* schakel-registry status (registry/cli_status.c). */
int reg_cli_status(int argc, char **argv);

/* schakel-registry journal verify|replay (registry/cli_journal.c). */
int reg_cli_journal(int argc, char **argv);

/* The help line of --journal FILE, for every member-changing command. */
#define REG_CLI_JOURNAL_HELP                                                         \
	"  --journal FILE        append what this command changed to the operator's\n"  \
	"                        journal FILE, outside the data dir (e.g.\n"             \
	"                        /var/backups/schakel/registry.journal; 'journal =' in\n" \
	"                        --config): after a restore 'journal replay' records\n"  \
	"                        it again\n"

struct reg_store;
struct json_t;

/* After a member-changing command succeeded: notes body (taken) in the
 * journal at path (NULL: none, returns 0). Returns 0, or the exit code
 * after saying on stderr that the change was made but not journalled. */
int reg_cli_journal_note(struct reg_store *s, const char *path, struct json_t *body,
			 const char *what);

#endif
