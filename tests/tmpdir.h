/* A fresh 0700 directory per test, removed afterwards with its contents. */
#ifndef SK_TEST_TMPDIR_H
#define SK_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static inline char *t_tmpdir(void)
{
	char tmpl[] = "/tmp/schakel-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (d == NULL)
		fail_msg("mkdtemp failed");
	return strdup(d);
}

static inline void t_rmdir(char *dir)
{
	char cmd[512];

	if (dir == NULL)
		return;
	if (strncmp(dir, "/tmp/schakel-test-", 18) == 0 &&
	    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) < (int)sizeof(cmd) && system(cmd) != 0)
		fail_msg("cannot remove %s", dir);
	free(dir);
}

static inline void t_write(const char *dir, const char *name, const char *text, int mode)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || chmod(p, (mode_t)mode) != 0)
		fail_msg("cannot write %s", p);
}

#endif
