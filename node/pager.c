#include <stdlib.h>
#include <string.h>

#include "common/be.h"
#include "common/status.h"
#include "node/pager.h"

sk_status node_page_add(node_page_keys *ks, uint64_t at, const uint8_t *id, size_t id_len,
			const char *client)
{
	node_page_key *k;
	size_t n = client != NULL ? strlen(client) : 0;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 64;
		node_page_key *v;

		if (ks->n >= NODE_PAGE_KEYS_MAX) {
			sk_error_set("this list is too long to read at once");
			return SK_ERR_TOOBIG;
		}
		if (cap > NODE_PAGE_KEYS_MAX)
			cap = NODE_PAGE_KEYS_MAX;
		if ((v = realloc(ks->v, cap * sizeof(*v))) == NULL)
			return SK_ERR_NOMEM;
		ks->v = v;
		ks->cap = cap;
	}
	if (id_len > NODE_PAGE_ID_BYTES || n > NODE_PAGE_CLIENT_MAX)
		return SK_ERR_INVALID;
	k = &ks->v[ks->n++];
	memset(k, 0, sizeof(*k));
	k->at = at;
	if (id_len > 0)
		memcpy(k->id, id, id_len);
	memcpy(k->client, client != NULL ? client : "", n + 1);
	return SK_OK;
}

void node_page_keys_free(node_page_keys *ks)
{
	free(ks->v);
	ks->v = NULL;
	ks->n = ks->cap = 0;
}

/* Newest first: a before b when a is greater. */
static int key_cmp(const node_page_key *a, const node_page_key *b)
{
	int c;

	if (a->at != b->at)
		return a->at > b->at ? -1 : 1;
	c = memcmp(a->id, b->id, NODE_PAGE_ID_BYTES);
	return -c;
}

static int qcmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

static void cursor_put(char out[static NODE_PAGE_CURSOR_BYTES + 1], const node_page_key *k)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[8 + NODE_PAGE_ID_BYTES];

	sk_be64_put(raw, k->at);
	memcpy(raw + 8, k->id, NODE_PAGE_ID_BYTES);
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[NODE_PAGE_CURSOR_BYTES] = 0;
}

static int nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static sk_status cursor_get(const char *s, node_page_key *k)
{
	uint8_t raw[8 + NODE_PAGE_ID_BYTES];

	if (strlen(s) != NODE_PAGE_CURSOR_BYTES)
		return SK_ERR_INVALID;
	for (size_t i = 0; i < sizeof(raw); i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return SK_ERR_INVALID;
		raw[i] = (uint8_t)(hi << 4 | lo);
	}
	memset(k, 0, sizeof(*k));
	k->at = sk_be64_get(raw);
	memcpy(k->id, raw + 8, NODE_PAGE_ID_BYTES);
	return SK_OK;
}

static int given(const char *s)
{
	return s != NULL && s[0] != 0;
}

sk_status node_page_check(const node_page_req *req)
{
	node_page_key k;

	if (req->limit > NODE_PAGE_LIMIT_MAX) {
		sk_error_set("limit is at most %d", NODE_PAGE_LIMIT_MAX);
		return SK_ERR_INVALID;
	}
	if ((given(req->after) && cursor_get(req->after, &k) != SK_OK) ||
	    (given(req->before) && cursor_get(req->before, &k) != SK_OK) ||
	    (given(req->after) && given(req->before))) {
		sk_error_set("after and before take a cursor from an earlier page, not both");
		return SK_ERR_INVALID;
	}
	if (given(req->q) && strlen(req->q) > 128) {
		sk_error_set("search for at most 128 characters of a name");
		return SK_ERR_INVALID;
	}
	return SK_OK;
}

sk_status node_page_cut(node_page_keys *ks, const node_page_req *req, size_t *from, size_t *to,
			node_page_out *pg)
{
	size_t limit = req->limit ? req->limit : NODE_PAGE_LIMIT_DEFAULT, lo = 0, hi = ks->n;
	node_page_key c;
	sk_status st;

	pg->next[0] = pg->prev[0] = 0;
	*from = *to = 0;
	if ((st = node_page_check(req)) != SK_OK)
		return st;
	if (ks->n > 1)
		qsort(ks->v, ks->n, sizeof(ks->v[0]), qcmp);
	if (given(req->after)) {
		(void)cursor_get(req->after, &c);
		/* the first key older than the cursor */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (key_cmp(&ks->v[mid], &c) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		*from = lo;
		*to = lo + limit < ks->n ? lo + limit : ks->n;
	} else if (given(req->before)) {
		(void)cursor_get(req->before, &c);
		/* the keys newer than the cursor end at lo */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (key_cmp(&ks->v[mid], &c) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		*to = lo;
		*from = lo > limit ? lo - limit : 0;
	} else {
		*to = limit < ks->n ? limit : ks->n;
	}
	if (*to < ks->n && *to > *from)
		cursor_put(pg->next, &ks->v[*to - 1]);
	if (*from > 0 && *from < ks->n)
		cursor_put(pg->prev, &ks->v[*from]);
	return SK_OK;
}

static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int node_page_name_match(const char *name, const char *q)
{
	size_t n, m;

	if (!given(q))
		return 1;
	n = strlen(name);
	m = strlen(q);
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;

		while (j < m && fold(name[i + j]) == fold(q[j]))
			j++;
		if (j == m)
			return 1;
	}
	return 0;
}
