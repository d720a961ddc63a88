/* An LD_PRELOAD shim for `make bench`: counts what one command costs in
 * LMDB transactions (all, and the read-write ones) and TCP connections
 * (each a TLS handshake with the registry or a pseudonymiser), and writes
 * "txns N\ntxns_rw N\nconnections N\n" to $SK_CALLCOUNT_OUT at exit.
 * Not linked into anything; bench/run.sh preloads it into one command.
 * With SK_CALLCOUNT_TRACE set, each counted call also writes its stack to
 * stderr (addresses; `addr2line -f -e BINARY` names them). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <lmdb.h>

static unsigned long n_txns, n_txns_rw, n_connections;

static void trace(const char *what)
{
	void *frames[24];
	int n;

	if (getenv("SK_CALLCOUNT_TRACE") == NULL)
		return;
	n = backtrace(frames, 24);
	fprintf(stderr, "callcount: %s\n", what);
	backtrace_symbols_fd(frames, n, 2);
}

typedef int (*txn_begin_fn)(MDB_env *, MDB_txn *, unsigned int, MDB_txn **);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn)
{
	txn_begin_fn real = (txn_begin_fn)dlsym(RTLD_NEXT, "mdb_txn_begin");

	if (real == NULL)
		return EINVAL;
	__atomic_add_fetch(&n_txns, 1, __ATOMIC_RELAXED);
	if ((flags & MDB_RDONLY) == 0)
		__atomic_add_fetch(&n_txns_rw, 1, __ATOMIC_RELAXED);
	trace((flags & MDB_RDONLY) ? "mdb_txn_begin (read-only)" : "mdb_txn_begin (read-write)");
	return real(env, parent, flags, txn);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	connect_fn real = (connect_fn)dlsym(RTLD_NEXT, "connect");

	if (real == NULL)
		return -1;
	if (addr != NULL && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
		__atomic_add_fetch(&n_connections, 1, __ATOMIC_RELAXED);
		trace("connect");
	}
	return real(fd, addr, len);
}

__attribute__((destructor)) static void callcount_report(void)
{
	const char *path = getenv("SK_CALLCOUNT_OUT");
	FILE *f;

	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "txns %lu\ntxns_rw %lu\nconnections %lu\n", n_txns, n_txns_rw, n_connections);
	fclose(f);
}
