/* The LMDB environment of a data directory: one env per data dir, named
 * databases, files 0600, always durable (never MDB_NOSYNC or MDB_NOMETASYNC).
 * LMDB error codes map onto sk_status here and nowhere else. */
#ifndef SK_DB_H
#define SK_DB_H

#include <stddef.h>

#include <lmdb.h>

#include "common/status.h"

#define SK_DB_MAPSIZE_DEFAULT ((size_t)16 << 30) /* 16 GiB of address space */
#define SK_DB_MAXDBS 32

/* Opens (creating if needed) the env in dir, which must pass sk_dir_check.
 * mapsize 0 means SK_DB_MAPSIZE_DEFAULT. Stale reader slots of dead
 * processes are cleared. Read transactions are not tied to threads
 * (MDB_NOTLS), so a writer thread and reader threads can share the env.
 * Close with sk_db_close(). */
sk_status sk_db_open(MDB_env **env, const char *dir, size_t mapsize,
		     unsigned maxdbs) SK_MUST_CHECK;

/* Closes the env; accepts NULL. All transactions must have ended. */
void sk_db_close(MDB_env *env);

/* Opens the named database (created when flags has MDB_CREATE) in a
 * transaction of its own and commits it. The handle lives as long as env. */
sk_status sk_db_dbi(MDB_env *env, const char *name, unsigned flags,
		    MDB_dbi *dbi) SK_MUST_CHECK;

/* Maps an LMDB or errno return code: MDB_NOTFOUND -> SK_ERR_NOTFOUND,
 * MDB_KEYEXIST -> SK_ERR_EXISTS, MDB_MAP_FULL / ENOSPC -> SK_ERR_DISKFULL,
 * others -> SK_ERR_DB with mdb_strerror as the detail. */
sk_status sk_db_status(int rc);

#endif
