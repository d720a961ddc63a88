#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/be.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "registry/cosign.h"
#include "registry/rollchain.h"
#include "registry/rollover.h"
#include "witness/witness.h"

#define META_WITNESS "witness/"
#define META_MEMBER_QUORUM "quorum/"
#define META_COSIGNED REG_META_COSIGNED
#define META_COSIGNED_SIZE REG_META_COSIGNED_SIZE
#define COSIGN_RETRY_MS 2000 /* a round short of its quorum is tried again this soon */
#define LINES_MAX (REG_WITNESS_MAX * NOTE_COSIG_LINE_MAX)

static sk_status meta_put(reg_store *s, MDB_txn *txn, const char *key, const void *v, size_t n)
{
	MDB_val k = {strlen(key), (void *)key}, d = {n, (void *)v};

	return sk_db_status(mdb_put(txn, s->log.meta, &k, &d, 0));
}

/* The cosigning key of a live member: its identity key under its org id. */
static sk_status witness_key(reg_store *s, MDB_txn *txn, const char *id, note_verifier *key)
{
	Schakel__V1__Member *m = NULL;
	sk_status st = reg_member_get(s, txn, id, &m);

	if (st == SK_OK && m->has_revoked_at)
		st = SK_ERR_NOTFOUND;
	if (st == SK_OK && m->identity_key.len != NOTE_PUBLIC_KEY_BYTES)
		st = SK_ERR_INVALID;
	if (st == SK_OK)
		st = note_verifier_from_public(key, id, NOTE_TYPE_COSIG, m->identity_key.data);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

sk_status reg_witness_put(reg_store *s, MDB_txn *txn, const char *id, const char *url,
			  reg_witness *out)
{
	char key[sizeof(META_WITNESS) + 64], addr[WIT_URL_MAX + 1], prefix[WIT_URL_MAX + 1];
	sk_status st;

	memset(out, 0, sizeof(*out));
	if (strlen(id) >= sizeof(out->id) || strlen(url) > WIT_URL_MAX ||
	    wit_url_split(url, addr, prefix) != SK_OK) {
		sk_error_set("--witness takes ID@https://HOST:PORT, not '%.100s@%.100s'", id, url);
		return SK_ERR_INVALID;
	}
	if ((st = witness_key(s, txn, id, &out->key)) != SK_OK) {
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("'%s' is not an enrolled, live member; enrol the witness first", id);
		return st;
	}
	memcpy(out->id, id, strlen(id) + 1);
	memcpy(out->url, url, strlen(url) + 1);
	snprintf(key, sizeof(key), "%s%s", META_WITNESS, id);
	return meta_put(s, txn, key, url, strlen(url));
}

sk_status reg_witness_list(reg_store *s, MDB_txn *txn, reg_witness *out, size_t cap, size_t *n)
{
	MDB_cursor *cur = NULL;
	MDB_val k = {strlen(META_WITNESS), META_WITNESS}, d;
	size_t plen = strlen(META_WITNESS);
	sk_status st = SK_OK;
	int rc;

	*n = 0;
	if ((rc = mdb_cursor_open(txn, s->log.meta, &cur)) != 0)
		return sk_db_status(rc);
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && *n < cap;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		reg_witness *w = &out[*n];
		size_t idlen;

		if (k.mv_size <= plen || memcmp(k.mv_data, META_WITNESS, plen) != 0)
			break;
		idlen = k.mv_size - plen;
		if (idlen >= sizeof(w->id) || d.mv_size > WIT_URL_MAX)
			continue;
		memcpy(w->id, (char *)k.mv_data + plen, idlen);
		w->id[idlen] = 0;
		memcpy(w->url, d.mv_data, d.mv_size);
		w->url[d.mv_size] = 0;
		st = witness_key(s, txn, w->id, &w->key);
		if (st == SK_ERR_NOTFOUND || st == SK_ERR_INVALID) {
			st = SK_OK; /* revoked since: no longer asked */
			continue;
		}
		if (st != SK_OK)
			break;
		(*n)++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		st = sk_db_status(rc);
	mdb_cursor_close(cur);
	return st;
}

sk_status reg_quorum_get(reg_store *s, MDB_txn *txn, uint32_t *quorum)
{
	MDB_cursor *cur = NULL;
	MDB_val k = {strlen(META_MEMBER_QUORUM), META_MEMBER_QUORUM}, d;
	size_t plen = strlen(META_MEMBER_QUORUM);
	int rc;

	*quorum = 0;
	if ((rc = mdb_cursor_open(txn, s->log.meta, &cur)) != 0)
		return sk_db_status(rc);
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		uint64_t q;

		if (k.mv_size <= plen || memcmp(k.mv_data, META_MEMBER_QUORUM, plen) != 0)
			break;
		if (d.mv_size == 8 && (q = sk_be64_get(d.mv_data)) > *quorum && q <= UINT32_MAX)
			*quorum = (uint32_t)q;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? SK_OK : sk_db_status(rc);
}

/* "quorum/ORG" */
static void member_quorum_key(char out[static sizeof(META_MEMBER_QUORUM) + 64], const char *org)
{
	snprintf(out, sizeof(META_MEMBER_QUORUM) + 64, "%s%.63s", META_MEMBER_QUORUM, org);
}

sk_status reg_member_quorum_set(reg_store *s, MDB_txn *txn, const char *org, uint32_t quorum)
{
	char key[sizeof(META_MEMBER_QUORUM) + 64];

	member_quorum_key(key, org);
	return reg_log_meta_put_u64(&s->log, txn, key, quorum);
}

sk_status reg_checkpoint_served(reg_store *s, MDB_txn *txn, const char *org, uint64_t from,
				uint8_t **note, size_t *len, uint64_t *size)
{
	MDB_val k = {strlen(META_COSIGNED), META_COSIGNED}, d;
	char key[sizeof(META_MEMBER_QUORUM) + 64];
	uint64_t quorum = 1, csize = 0;
	sk_status st;

	if (org != NULL) {
		member_quorum_key(key, org);
		if ((st = reg_log_meta_u64(&s->log, txn, key, &quorum)) != SK_OK)
			return st;
	}
	if ((st = reg_log_meta_u64(&s->log, txn, META_COSIGNED_SIZE, &csize)) != SK_OK)
		return st;
	if (quorum == 0 || mdb_get(txn, s->log.meta, &k, &d) != 0 || csize < from)
		return reg_log_checkpoint(&s->log, txn, note, len, size);
	if ((*note = malloc(d.mv_size + 1)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*note, d.mv_data, d.mv_size);
	(*note)[d.mv_size] = 0;
	*len = d.mv_size;
	*size = csize;
	return SK_OK;
}

/* ---- the collecting thread --------------------------------------------- */

struct reg_cosigner {
	reg_store *s;
	const net_tls *tls;
	note_verifier log_key;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	/* the thread's own */
	uint64_t done_size, next_ms;
	uint8_t done_set[32]; /* hash of the witnesses and quorum of that round */
	size_t n_known;
	struct {
		char id[64];
		uint64_t size;  /* the witness's latest cosigned size, as it told us */
		int last;       /* last HTTP status (or -1: no answer), for logging changes */
	} known[REG_WITNESS_MAX];
};

static size_t known_slot(reg_cosigner *c, const char *id)
{
	for (size_t i = 0; i < c->n_known; i++)
		if (strcmp(c->known[i].id, id) == 0)
			return i;
	if (c->n_known == REG_WITNESS_MAX)
		return REG_WITNESS_MAX;
	memset(&c->known[c->n_known], 0, sizeof(c->known[0]));
	memcpy(c->known[c->n_known].id, id, strlen(id) + 1);
	return c->n_known++;
}

static void report(reg_cosigner *c, size_t slot, int status, uint64_t size, const char *why)
{
	if (c->known[slot].last == status)
		return;
	c->known[slot].last = status;
	if (status == 200)
		sk_log(SK_LOG_NOTICE, "witness %s cosigns (tree size %llu)", c->known[slot].id,
		       (unsigned long long)size);
	else
		sk_log(SK_LOG_WARNING, "witness %s did not cosign tree size %llu: %s",
		       c->known[slot].id, (unsigned long long)size, why);
}

/* Asks witness w, which does not know this log's origin (404), to follow
 * it by the rollovers from the log it knows (registry/rollchain.h): one
 * add-rollover per statement, oldest first; a statement it is past
 * already (409, or 404 for a log it never knew) is skipped. 1 when it
 * cosigned the last one, with its size noted, 0 otherwise (reported). */
static int ask_rollover(reg_cosigner *c, const reg_witness *w, size_t slot, const char *addr,
			const char *prefix, uint64_t size)
{
	char path[WIT_URL_MAX + 32], ct[64], why[160];
	uint8_t *req[WIRE_ROLLOVER_CHAIN_MAX], *resp = NULL;
	size_t len[WIRE_ROLLOVER_CHAIN_MAX], n = 0, rlen = 0;
	uint64_t req_size = 0;
	MDB_txn *txn = NULL;
	int status = 0, ok = 0;
	sk_status st;

	/* a short read transaction: none stays open across the network */
	if (mdb_txn_begin(c->s->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	st = reg_rollchain_requests(c->s, txn, req, len, &n, &req_size);
	mdb_txn_abort(txn);
	if (st != SK_OK) {
		report(c, slot, 404, size, "it does not know this log");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/add-rollover", prefix);
	for (size_t i = 0; i < n; i++) {
		free(resp);
		resp = NULL;
		sk_error_clear();
		st = wit_https_request(c->tls, addr, w->id, path, req[i], len[i],
				       REG_COSIGN_TIMEOUT_MS, 4096, &status, ct, sizeof(ct), &resp,
				       &rlen);
		if (st != SK_OK) {
			snprintf(why, sizeof(why), "add-rollover: %s",
				 sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
			report(c, slot, -1, size, why);
			break;
		}
		if (i + 1 < n && (status == 200 || status == 404 || status == 409))
			continue; /* followed, or past it: the next statement */
		if (status != 200) {
			snprintf(why, sizeof(why), "add-rollover: HTTP %d: %.100s", status,
				 (char *)resp);
			report(c, slot, status, size, why);
		} else {
			sk_log(SK_LOG_NOTICE,
			       "witness %s follows this log after the rollover (tree size %llu)",
			       w->id, (unsigned long long)req_size);
			c->known[slot].size = req_size;
			ok = 1;
		}
		break;
	}
	for (size_t i = 0; i < n; i++)
		free(req[i]);
	free(resp);
	return ok;
}

/* Asks witness w to cosign note (tree of size leaves; the log only grows,
 * so later transactions still hold that tree). On 200 the answer's lines,
 * verified under w's key, are appended to lines. */
static void ask(reg_cosigner *c, const reg_witness *w, const uint8_t *note,
		size_t nlen, uint64_t size, char *lines, size_t *lines_len)
{
	char addr[WIT_URL_MAX + 1], prefix[WIT_URL_MAX + 1], path[WIT_URL_MAX + 32], ct[64];
	char why[160];
	uint8_t proof[MERKLE_PROOF_BYTES], *body = NULL, *resp = NULL, *all = NULL;
	size_t slot = known_slot(c, w->id), plen, blen, rlen;
	struct reg_log_ctx ctx;
	merkle_source src;
	note_checkpoint cp;
	note_sig_result res;
	int status;
	sk_status st;

	if (slot == REG_WITNESS_MAX || wit_url_split(w->url, addr, prefix) != SK_OK)
		return;
	snprintf(path, sizeof(path), "%s/add-checkpoint", prefix);
	/* twice at most: a 409 tells us the witness's size; once more after a
	 * 404 that a rollover answers */
	for (int attempt = 0, rolled = 0; attempt < 2 + rolled; attempt++) {
		uint64_t old = c->known[slot].size;

		free(body);
		free(resp);
		body = resp = NULL;
		plen = 0;
		if (old > size) {
			snprintf(why, sizeof(why), "it has cosigned a larger tree (%llu leaves)",
				 (unsigned long long)old);
			report(c, slot, 409, size, why);
			break;
		}
		/* a short read transaction: none stays open across the network */
		if (old > 0) {
			MDB_txn *txn = NULL;

			if (mdb_txn_begin(c->s->env, NULL, MDB_RDONLY, &txn) != 0)
				break;
			reg_log_source(&src, &ctx, &c->s->log, txn);
			st = merkle_consistency_proof(proof, &plen, &src, old, size);
			mdb_txn_abort(txn);
			if (st != SK_OK)
				break;
		}
		if (wit_request_format(&body, &blen, old, proof, plen, note, nlen) != SK_OK)
			break;
		sk_error_clear();
		st = wit_https_request(c->tls, addr, w->id, path, body, blen, REG_COSIGN_TIMEOUT_MS,
				       4096, &status, ct, sizeof(ct), &resp, &rlen);
		if (st != SK_OK) {
			snprintf(why, sizeof(why), "%s",
				 sk_error_detail()[0] ? sk_error_detail() : sk_strerror(st));
			report(c, slot, -1, size, why);
			break;
		}
		if (status == 409) {
			unsigned long long v;
			char *end;

			v = strtoull((char *)resp, &end, 10);
			if (end == (char *)resp || *end != '\n') {
				report(c, slot, 400, size, "a malformed 409 answer");
				break;
			}
			c->known[slot].size = v;
			continue;
		}
		if (status == 404 && !rolled) {
			rolled = 1;
			if (ask_rollover(c, w, slot, addr, prefix, size))
				continue;
			break;
		}
		if (status != 200) {
			snprintf(why, sizeof(why), "HTTP %d: %.100s", status, (char *)resp);
			report(c, slot, status, size, why);
			break;
		}
		/* keep only lines that verify under this witness's key */
		if ((all = malloc(nlen + rlen)) == NULL)
			break;
		memcpy(all, note, nlen);
		memcpy(all + nlen, resp, rlen);
		if (note_checkpoint_open(&cp, &res, all, nlen + rlen, &c->log_key, &w->key, 1) !=
			    SK_OK ||
		    !res.verified || *lines_len + rlen > LINES_MAX) {
			report(c, slot, 502, size, "its cosignature does not verify");
			break;
		}
		memcpy(lines + *lines_len, resp, rlen);
		*lines_len += rlen;
		c->known[slot].size = size;
		report(c, slot, 200, size, NULL);
		break;
	}
	free(all);
	free(body);
	free(resp);
}

/* One round over the recorded witnesses, if one is due. */
static void round_once(reg_cosigner *c)
{
	reg_witness *ws = NULL;
	char *lines = NULL;
	uint8_t *note = NULL, *all = NULL;
	size_t n = 0, nlen = 0, lines_len = 0, count = 0;
	uint64_t size = 0, now = sk_clock_now_ms();
	uint32_t quorum = 0;
	uint8_t set[32];
	crypto_generichash_state hs;
	MDB_txn *txn = NULL;

	if ((ws = calloc(REG_WITNESS_MAX, sizeof(*ws))) == NULL ||
	    (lines = malloc(LINES_MAX)) == NULL ||
	    mdb_txn_begin(c->s->env, NULL, MDB_RDONLY, &txn) != 0)
		goto out;
	if (reg_log_checkpoint(&c->s->log, txn, &note, &nlen, &size) != SK_OK ||
	    reg_witness_list(c->s, txn, ws, REG_WITNESS_MAX, &n) != SK_OK ||
	    reg_quorum_get(c->s, txn, &quorum) != SK_OK || n == 0)
		goto out;
	/* a new checkpoint, new witnesses or quorum, or time to refresh */
	crypto_generichash_init(&hs, NULL, 0, sizeof(set));
	crypto_generichash_update(&hs, (const uint8_t *)&quorum, sizeof(quorum));
	for (size_t i = 0; i < n; i++)
		crypto_generichash_update(&hs, (const uint8_t *)&ws[i], sizeof(ws[i]));
	crypto_generichash_final(&hs, set, sizeof(set));
	if (size == c->done_size && now < c->next_ms && memcmp(set, c->done_set, sizeof(set)) == 0)
		goto out;
	memcpy(c->done_set, set, sizeof(set));
	mdb_txn_abort(txn);
	txn = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t before = lines_len;

		ask(c, &ws[i], note, nlen, size, lines, &lines_len);
		count += lines_len > before;
	}
	if (count == 0 || count < quorum) {
		sk_log(SK_LOG_WARNING,
		       "cosign round: tree size %llu, %zu of %zu witnesses cosigned, short of the "
		       "quorum of %u; retrying",
		       (unsigned long long)size, count, n, (unsigned)quorum);
		c->done_size = size;
		c->next_ms = now + COSIGN_RETRY_MS;
		goto out;
	}
	if ((all = malloc(nlen + lines_len)) == NULL)
		goto out;
	memcpy(all, note, nlen);
	memcpy(all + nlen, lines, lines_len);
	if (mdb_txn_begin(c->s->env, NULL, 0, &txn) != 0)
		goto out;
	if (meta_put(c->s, txn, META_COSIGNED, all, nlen + lines_len) != SK_OK ||
	    reg_log_meta_put_u64(&c->s->log, txn, META_COSIGNED_SIZE, size) != SK_OK) {
		mdb_txn_abort(txn);
		txn = NULL;
		goto out;
	}
	if (mdb_txn_commit(txn) == 0) {
		sk_log(SK_LOG_INFO,
		       "cosign round: tree size %llu cosigned by %zu of %zu witnesses (quorum %u)",
		       (unsigned long long)size, count, n, (unsigned)quorum);
		c->done_size = size;
		c->next_ms = now + (uint64_t)REG_COSIGN_REFRESH_S * 1000;
	}
	txn = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(all);
	free(note);
	free(lines);
	free(ws);
}

static void *run(void *arg)
{
	reg_cosigner *c = arg;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		struct timespec until;

		pthread_mutex_unlock(&c->lock);
		round_once(c);
		pthread_mutex_lock(&c->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)REG_COSIGN_POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!c->stop && pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

sk_status reg_cosigner_start(reg_cosigner **out, reg_store *s, const net_tls *tls)
{
	reg_cosigner *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return SK_ERR_NOMEM;
	c->s = s;
	c->tls = tls;
	note_signer_verifier(&c->log_key, s->log_key);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return SK_ERR_NOMEM;
	}
	*out = c;
	return SK_OK;
}

void reg_cosigner_stop(reg_cosigner *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
