/* Pages of a list, newest first: the caller collects the keys of what a
 * reader may see (a professional's cases, her clients' mailbox items or
 * discussions: hundreds, not the whole node), and the pager sorts them and
 * cuts one page by an opaque cursor, `after` (older) or `before` (newer).
 * Pure memory, no I/O; the list has a hard maximum. */
#ifndef SK_NODE_PAGER_H
#define SK_NODE_PAGER_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define NODE_PAGE_LIMIT_MAX 200
#define NODE_PAGE_LIMIT_DEFAULT 50
#define NODE_PAGE_KEYS_MAX (1u << 20) /* keys collected for one read, at most */
#define NODE_PAGE_ID_BYTES 16
#define NODE_PAGE_CURSOR_BYTES (2 * (8 + NODE_PAGE_ID_BYTES)) /* hex, without NUL */
#define NODE_PAGE_CLIENT_MAX 63

/* One listed thing: ordered by at (a case id, a mailbox seq, a time),
 * then id, both descending; client is the client it concerns. */
typedef struct node_page_key {
	uint64_t at;
	uint8_t id[NODE_PAGE_ID_BYTES];
	char client[NODE_PAGE_CLIENT_MAX + 1];
	uint64_t ref; /* the caller's, not ordered by (0 from node_page_add) */
} node_page_key;

/* What a reader asks: at most limit items (0: the default), after or
 * before a cursor (NULL or "": the first page), q a name to search for
 * (NULL or "": all). */
typedef struct node_page_req {
	size_t limit;
	const char *after, *before, *q;
} node_page_req;

/* The cursors of the pages beside the one read; "" when there is none. */
typedef struct node_page_out {
	char next[NODE_PAGE_CURSOR_BYTES + 1];
	char prev[NODE_PAGE_CURSOR_BYTES + 1];
} node_page_out;

typedef struct node_page_keys {
	node_page_key *v;
	size_t n, cap;
} node_page_keys;

/* Adds a key; SK_ERR_TOOBIG past NODE_PAGE_KEYS_MAX. */
sk_status node_page_add(node_page_keys *ks, uint64_t at, const uint8_t *id, size_t id_len,
			const char *client) SK_MUST_CHECK;
void node_page_keys_free(node_page_keys *ks);

/* Checks req: limit 0..NODE_PAGE_LIMIT_MAX, cursors well formed, not both.
 * SK_ERR_INVALID (detail set) otherwise. */
sk_status node_page_check(const node_page_req *req) SK_MUST_CHECK;

/* Sorts ks newest first and sets [*from, *to) to the page req asks for,
 * with pg's cursors. */
sk_status node_page_cut(node_page_keys *ks, const node_page_req *req, size_t *from, size_t *to,
			node_page_out *pg) SK_MUST_CHECK;

/* 1 when q (NULL or "": anything) occurs in name, ASCII letters in
 * either case. */
int node_page_name_match(const char *name, const char *q);

#endif
