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

/* The map size when the caller passes 0: SCHAKEL_MAP_SIZE from the
 * environment (bytes, or with a K, M or G suffix; SK_DB_MAPSIZE_MIN..1T),
 * else SK_DB_MAPSIZE_DEFAULT. The map caps the database: when it is full,
 * writes fail with SK_ERR_DISKFULL and reads go on; restart with a larger
 * value to grow it (a smaller value never shrinks a bigger file). */
#define SK_DB_MAPSIZE_ENV "SCHAKEL_MAP_SIZE"
#define SK_DB_MAPSIZE_MIN ((size_t)256 << 10)
sk_status sk_db_mapsize(size_t *mapsize) SK_MUST_CHECK;

/* Opens (creating if needed) the env in dir, which must pass sk_dir_check.
 * mapsize 0 means sk_db_mapsize(). Stale reader slots of dead
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

/* One named database of a store: its name and where its handle lives, as
 * the offset of an MDB_dbi in the store's struct. */
typedef struct {
	const char *name;
	size_t off;
} sk_db_named;

/* Begins a write transaction, opens (creating) the n named databases in it
 * and stores each handle at base + off; hands the transaction back open in
 * *txn for the caller to go on in and commit (the handles then live as long
 * as env) or abort. On failure nothing stays open and *txn is NULL. */
sk_status sk_db_dbis(MDB_env *env, const sk_db_named *dbs, size_t n, void *base,
		     MDB_txn **txn) SK_MUST_CHECK;

/* Room for new data: SK_ERR_DISKFULL (with a detail naming
 * SCHAKEL_MAP_SIZE) once the database's high-water mark comes within a
 * reserve of the map's end (an eighth of the map, at most 64 MiB). Callers
 * check it before adding data, so that the reserve stays for what must
 * still be written when full: audit records of reads, refusals,
 * resubmissions. */
#define SK_DB_RESERVE_MAX ((size_t)64 << 20)
sk_status sk_db_room(MDB_env *env) SK_MUST_CHECK;

/* Maps an LMDB or errno return code: MDB_NOTFOUND -> SK_ERR_NOTFOUND,
 * MDB_KEYEXIST -> SK_ERR_EXISTS, MDB_MAP_FULL / ENOSPC -> SK_ERR_DISKFULL,
 * others -> SK_ERR_DB with mdb_strerror as the detail. */
sk_status sk_db_status(int rc);

#endif
