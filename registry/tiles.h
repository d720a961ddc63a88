/* The registry's log served read-only as C2SP tlog-tiles (`serve --tiles`):
 * /checkpoint (the cosigned checkpoint when there is one, else the latest),
 * hash tiles /tile/<L>/<N>[.p/<W>] read from the stored subtree hashes, and
 * entry bundles /tile/entries/<N>[.p/<W>]. An entry is the leaf's data as
 * wire_leaf_hash defines it (kind || u32be length || body || signature;
 * SHA-256(0x00 || entry) is the leaf hash) for member-event leaves, which
 * are public; entry and audit-anchor leaves are served as zero-length
 * placeholders (their contents go only to whom the rules allow), so a
 * client checks those leaves against the level-0 tile only. */
#ifndef SK_REG_TILES_H
#define SK_REG_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "registry/store.h"

#define REG_TILE_WIDTH 256
#define REG_TILE_LEVEL_MAX 7     /* 8 * 7 = 56: tree levels we store go to 63 */
#define REG_TILE_INDEX_MAX (1ull << 56)

typedef struct reg_tile {
	int entries;      /* 1: an entry bundle */
	unsigned level;   /* hash tiles: 0..REG_TILE_LEVEL_MAX */
	uint64_t index;   /* N */
	unsigned width;   /* 1..256; 256 for a full tile */
} reg_tile;

/* Parses a request path ("/tile/1/x001/234.p/7"), strictly: canonical
 * 3-digit index elements, widths 1..255 without leading zeros. SK_ERR_INVALID
 * otherwise (also for "/checkpoint", which callers test first). */
sk_status reg_tile_parse(reg_tile *t, const char *path) SK_MUST_CHECK;

/* The bytes of tile t of the log as of txn: width hashes, or the entry
 * bundle. SK_ERR_NOTFOUND when the tree does not (yet) hold the tile.
 * *out malloc'd, owned by the caller. */
sk_status reg_tile_read(reg_store *s, MDB_txn *txn, const reg_tile *t, uint8_t **out,
			size_t *len) SK_MUST_CHECK;

/* The handler for wit_https_start (ctx: the reg_store). */
struct wit_https_answer;
void reg_tiles_handle(void *ctx, int is_post, const char *path, const uint8_t *body, size_t len,
		      struct wit_https_answer *out);

#endif
