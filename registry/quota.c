#include <stdio.h>

#include "audit/record.h"
#include "common/cli.h"
#include "common/db.h"
#include "registry/quota.h"

#define MINUTE_MS 60000ull
#define DAY_MS 86400000ull

static const uint64_t defaults[REG_QUOTA_LIMITS] = {
	REG_QUOTA_ENTRIES, REG_QUOTA_PUBLISHES_PER_MINUTE, REG_QUOTA_MESSAGES_PER_DISCUSSION,
	REG_QUOTA_MESSAGES_PER_DAY};

uint64_t reg_quota_limit(const reg_quota *q, int i)
{
	return q->v[i] != 0 ? q->v[i] : defaults[i];
}

sk_status reg_quota_publish(reg_store *s, MDB_txn *txn, const char *org, int live_delta,
			    uint64_t now, char *why, size_t cap)
{
	reg_quota q;
	uint64_t minute = now / MINUTE_MS;
	sk_status st;

	if ((st = reg_quota_get(s, txn, org, &q)) != SK_OK)
		return st;
	if (q.v[REG_QUOTA_MINUTE] != minute) {
		q.v[REG_QUOTA_MINUTE] = minute;
		q.v[REG_QUOTA_PUBLISHED] = 0;
	}
	if (live_delta >= 0) {
		if (live_delta > 0 &&
		    q.v[REG_QUOTA_LIVE] >= reg_quota_limit(&q, REG_QUOTA_ENTRIES_MAX)) {
			snprintf(why, cap, "your organisation has reached its quota of %llu live "
				 "entries; withdraw entries or ask the federation operator to raise "
				 "the quota",
				 (unsigned long long)reg_quota_limit(&q, REG_QUOTA_ENTRIES_MAX));
			return SK_ERR_TOOBIG;
		}
		if (q.v[REG_QUOTA_PUBLISHED] >= reg_quota_limit(&q, REG_QUOTA_PUBLISH_MAX)) {
			snprintf(why, cap, "your organisation has reached its quota of %llu "
				 "publishes a minute (entries, anchors and keys); retry in a minute",
				 (unsigned long long)reg_quota_limit(&q, REG_QUOTA_PUBLISH_MAX));
			return SK_ERR_TOOBIG;
		}
	}
	q.v[REG_QUOTA_PUBLISHED]++;
	if (live_delta > 0)
		q.v[REG_QUOTA_LIVE]++;
	else if (live_delta < 0 && q.v[REG_QUOTA_LIVE] > 0)
		q.v[REG_QUOTA_LIVE]--;
	return reg_quota_put(s, txn, org, &q);
}

sk_status reg_quota_live_dec(reg_store *s, MDB_txn *txn, const char *org)
{
	reg_quota q;
	sk_status st;

	if ((st = reg_quota_get(s, txn, org, &q)) != SK_OK || q.v[REG_QUOTA_LIVE] == 0)
		return st;
	q.v[REG_QUOTA_LIVE]--;
	return reg_quota_put(s, txn, org, &q);
}

sk_status reg_quota_messages(reg_store *s, MDB_txn *txn, const char *org, uint64_t n,
			     uint64_t held, uint64_t now, char *why, size_t cap)
{
	reg_quota q;
	uint64_t day = now / DAY_MS, max;
	sk_status st;

	if ((st = reg_quota_get(s, txn, org, &q)) != SK_OK)
		return st;
	if (q.v[REG_QUOTA_DAY] != day) {
		q.v[REG_QUOTA_DAY] = day;
		q.v[REG_QUOTA_SENT] = 0;
	}
	max = reg_quota_limit(&q, REG_QUOTA_DISCUSSION_MAX);
	if (held + n > max) {
		snprintf(why, cap, "this discussion has reached its limit of %llu messages; close "
			 "it and start a new one", (unsigned long long)max);
		return SK_ERR_TOOBIG;
	}
	max = reg_quota_limit(&q, REG_QUOTA_DAY_MAX);
	if (q.v[REG_QUOTA_SENT] + n > max) {
		snprintf(why, cap, "your organisation has reached its quota of %llu discussion "
			 "messages a day; retry tomorrow or ask the federation operator",
			 (unsigned long long)max);
		return SK_ERR_TOOBIG;
	}
	q.v[REG_QUOTA_SENT] += n;
	return reg_quota_put(s, txn, org, &q);
}

sk_status reg_quota_set(reg_store *s, const char *org, const uint64_t set[REG_QUOTA_LIMITS],
			reg_quota *out)
{
	static const char *names[REG_QUOTA_LIMITS] = {"entries", "publishes-per-minute",
						      "messages-per-discussion", "messages-per-day"};
	Schakel__V1__Member *m = NULL;
	audit_record rec = {0};
	char reason[256];
	size_t used = 0;
	MDB_txn *txn = NULL;
	reg_quota q;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = reg_member_get(s, txn, org, &m)) != SK_OK) {
		if (st == SK_ERR_NOTFOUND)
			sk_error_set("org '%s' is not enrolled in this federation", org);
		goto out;
	}
	if ((st = reg_quota_get(s, txn, org, &q)) != SK_OK)
		goto out;
	for (int i = 0; i < REG_QUOTA_LIMITS; i++) {
		int w;

		if (set[i] == 0)
			continue;
		q.v[i] = set[i] == UINT64_MAX ? 0 : set[i];
		w = snprintf(reason + used, sizeof(reason) - used, "%s%s=%llu", used ? " " : "",
			     names[i], (unsigned long long)reg_quota_limit(&q, i));
		if (w > 0 && (size_t)w < sizeof(reason) - used)
			used += (size_t)w;
	}
	rec.event = "quota.set";
	rec.action = AUDIT_ACTION_UPDATE;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.access_point = "cli";
	rec.responsible = sk_cli_user();
	rec.counterpart = org;
	rec.reason = used ? reason : "unchanged";
	if ((st = reg_quota_put(s, txn, org, &q)) != SK_OK || (st = reg_audit(s, txn, &rec)) != SK_OK)
		goto out;
	st = sk_db_status(mdb_txn_commit(txn));
	txn = NULL;
	if (st == SK_OK && out != NULL)
		*out = q;
out:
	mdb_txn_abort(txn);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}
