#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/cli_backup.h"

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int out_opt(int c, const char *arg, void *p)
{
	if (c != 'o')
		return SK_CLI_UNKNOWN;
	*(const char **)p = arg;
	return SK_CLI_RUN;
}

int sk_cli_backup_key(int argc, char **argv)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"out", required_argument, NULL, 'o'}, {0}};
	static const char help[] =
		"usage: schakel-{node,registry,pseudonymiser} backup-key --out F\n"
		"           [--passphrase-file P | --dev]\n\n"
		"Makes the offline key pair backups are encrypted to: the secret key goes into F\n"
		"(mode 0600, wrapped under the key-encryption key), the public key into F.pub and\n"
		"onto stdout. Keep F off the machine that makes the backups; give the public key\n"
		"to 'backup --recipient' and F to 'restore --identity'.\n\n"
		"  --out F               where to write the secret key (never overwritten)\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	const char *out = NULL;
	uint8_t pk[SK_BACKUP_PK_BYTES];
	char hex[2 * SK_BACKUP_PK_BYTES + 1];
	sk_kek *kek = NULL;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("backup-key", argc, argv, lo, help, &o, out_opt, &out)) !=
	    SK_CLI_RUN)
		return rc;
	if (out == NULL)
		return sk_cli_usage("backup-key", "--out F is required");
	if ((st = sk_cli_kek(&kek, &o)) != SK_OK)
		return sk_cli_fail(st, "backup-key");
	st = sk_backup_keygen(kek, out, pk);
	sk_kek_free(kek);
	if (st != SK_OK)
		return sk_cli_fail(st, "backup-key");
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	if (o.json)
		printf("{\"public_key\":\"%s\"}\n", hex);
	else
		printf("%s\n", hex);
	return SK_EXIT_OK;
}

/* The two files of backup (--to FILE, --recipient PUBKEY) and of restore
 * (--from FILE, --identity F); each command's table has only its own. */
struct files {
	const char *file, *key;
};

static int files_opt(int c, const char *arg, void *p)
{
	struct files *a = p;

	switch (c) {
	case 't':
	case 'f':
		a->file = arg;
		break;
	case 'r':
	case 'i':
		a->key = arg;
		break;
	default:
		return SK_CLI_UNKNOWN;
	}
	return SK_CLI_RUN;
}

int sk_cli_backup(int argc, char **argv, sk_backup_kind kind)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"to", required_argument, NULL, 't'},
					   {"recipient", required_argument, NULL, 'r'}, {0}};
	static const char help[] =
		"usage: schakel-{node,registry,pseudonymiser} backup --dir D --to FILE --recipient PUBKEY\n\n"
		"Writes an encrypted backup of the data dir, safe while 'serve' runs: a compacted\n"
		"copy of the database taken in one read transaction, and the key files (still\n"
		"wrapped) and other files of the dir, all encrypted to the offline public key\n"
		"(XChaCha20-Poly1305 secretstream under a random key sealed to it). Nothing is\n"
		"written in clear; FILE is created with mode 0600 and never overwritten.\n\n"
		"  --to FILE             the backup file\n"
		"  --recipient PUBKEY    the public key from 'backup-key' (64 hex digits or the\n"
		"                        F.pub file)\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct files a = {0};
	uint8_t pk[SK_BACKUP_PK_BYTES];
	sk_backup_stats bs;
	struct timespec t0;
	double secs;
	sk_status st;
	int rc;

	if ((rc = sk_cli_parse("backup", argc, argv, lo, help, &o, files_opt, &a)) != SK_CLI_RUN)
		return rc;
	if ((rc = sk_cli_need_dir("backup", &o)) != 0)
		return rc;
	if (a.file == NULL || a.key == NULL)
		return sk_cli_usage("backup", "--to FILE and --recipient PUBKEY are required");
	if ((st = sk_backup_pk_parse(a.key, pk)) != SK_OK)
		return sk_cli_fail(st, "backup");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((st = sk_backup_write(o.dir, a.file, kind, pk, &bs)) != SK_OK)
		return sk_cli_fail(st, "backup");
	secs = seconds_since(&t0);
	if (o.json)
		printf("{\"kind\":\"%s\",\"files\":%llu,\"bytes\":%llu,\"seconds\":%.3f}\n",
		       sk_backup_kind_name(kind), (unsigned long long)bs.files,
		       (unsigned long long)bs.bytes, secs);
	else
		printf("backup of the %s in %s written to %s: %llu files, %llu bytes in %.2f s\n",
		       sk_backup_kind_name(kind), o.dir, a.file, (unsigned long long)bs.files,
		       (unsigned long long)bs.bytes, secs);
	return SK_EXIT_OK;
}

/* One exit path: the backup's secret key is freed (and so wiped) on it. */
int sk_cli_restore(int argc, char **argv, sk_backup_kind kind, sk_cli_restored_fn after)
{
	static const struct option lo[] = {SK_CLI_COMMON_LONG,
					   {"from", required_argument, NULL, 'f'},
					   {"identity", required_argument, NULL, 'i'}, {0}};
	static const char help[] =
		"usage: schakel-{node,registry,pseudonymiser} restore --dir D --from FILE --identity F\n\n"
		"Restores a backup into D, which must be new or empty: checks every record of\n"
		"FILE (a changed, cut-short or foreign backup is refused with exit 3 and nothing\n"
		"is left in D) and writes the data dir as it was at the backup. The key files stay\n"
		"wrapped under the data dir's own key-encryption key. A node learns its last used\n"
		"sequence numbers from the registry before it publishes again.\n\n"
		"  --from FILE           the backup file\n"
		"  --identity F          the secret key from 'backup-key' (unwrapped with\n"
		"                        --passphrase-file, the credential, or --dev)\n" SK_CLI_COMMON_HELP;
	sk_cli_common o = {0};
	struct files a = {0};
	uint8_t *sk = NULL;
	sk_backup_stats bs;
	struct timespec t0;
	sk_kek *kek = NULL;
	double secs;
	sk_status st = SK_OK;
	int rc;

	if ((rc = sk_cli_parse("restore", argc, argv, lo, help, &o, files_opt, &a)) !=
	    SK_CLI_RUN)
		goto out;
	if ((rc = sk_cli_need_dir("restore", &o)) != 0)
		goto out;
	if (a.file == NULL || a.key == NULL) {
		rc = sk_cli_usage("restore", "--from FILE and --identity F are required");
		goto out;
	}
	if ((sk = sodium_malloc(SK_BACKUP_SK_BYTES)) == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	if ((st = sk_cli_kek(&kek, &o)) != SK_OK ||
	    (st = sk_backup_identity_read(kek, a.key, sk)) != SK_OK)
		goto out;
	sk_kek_free(kek);
	kek = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = sk_backup_restore(a.file, o.dir, kind, sk, &bs);
	sodium_free(sk);
	sk = NULL;
	if (st != SK_OK)
		goto out;
	if (after != NULL && (st = after(o.dir)) != SK_OK) {
		char why[256];

		snprintf(why, sizeof(why), "%s", sk_error_detail()[0] ? sk_error_detail()
								  : sk_strerror(st));
		sk_error_set("the files are back in %s, but its last step failed (%s); remove %s "
			     "and restore again",
			     o.dir, why, o.dir);
		goto out;
	}
	secs = seconds_since(&t0);
	if (o.json)
		printf("{\"kind\":\"%s\",\"files\":%llu,\"bytes\":%llu,\"created\":%llu,"
		       "\"seconds\":%.3f}\n",
		       sk_backup_kind_name(kind), (unsigned long long)bs.files,
		       (unsigned long long)bs.bytes, (unsigned long long)bs.created, secs);
	else
		printf("restored the %s backup of %llu (unix ms) into %s: %llu files, %llu bytes "
		       "in %.2f s\n",
		       sk_backup_kind_name(kind), (unsigned long long)bs.created, o.dir,
		       (unsigned long long)bs.files, (unsigned long long)bs.bytes, secs);
	rc = SK_EXIT_OK;
out:
	sk_kek_free(kek);
	sodium_free(sk);
	return st != SK_OK ? sk_cli_fail(st, "restore") : rc;
}
