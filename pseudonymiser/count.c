#include <stdlib.h>
#include <string.h>

#include "pseudonymiser/count.h"

ps_org *ps_counts_find(ps_counts *c, const char *org)
{
	ps_org *o;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->orgs[i].org, org) == 0)
			return &c->orgs[i];
	if (c->n == PS_COUNT_ORGS_MAX || strlen(org) > NET_ORG_ID_MAX)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		ps_org *n = realloc(c->orgs, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		c->orgs = n;
		c->cap = cap;
	}
	o = &c->orgs[c->n++];
	memset(o, 0, sizeof(*o));
	memcpy(o->org, org, strlen(org) + 1);
	return o;
}

void ps_counts_roll(ps_org *o, uint32_t today)
{
	uint32_t day;
	uint64_t count;

	if (o->u.day >= today)
		return;
	/* one day can finish between two saves (seconds apart); should saving
	 * stall for a whole day, the older total is kept in no record rather
	 * than in a wrong one */
	if (ps_usage_roll(&o->u, today, &day, &count) && !o->has_closed) {
		o->has_closed = 1;
		o->closed_day = day;
		o->closed_count = count;
	}
	o->dirty = 1;
}

static sk_status load_one(const char *org, const ps_usage *u, void *arg)
{
	ps_org *o = ps_counts_find(arg, org);

	if (o == NULL)
		return SK_ERR_NOMEM;
	o->u = *u;
	return SK_OK;
}

sk_status ps_counts_load(ps_counts *c, ps_store *s, MDB_txn *txn)
{
	return ps_usage_scan(s, txn, load_one, c);
}

sk_status ps_counts_snapshot(ps_counts *c, ps_store *s, uint32_t today, int final,
			     ps_save **out)
{
	ps_save *f;
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < c->n; i++) {
		ps_org *o = &c->orgs[i];

		ps_counts_roll(o, today);
		if (o->dirty || o->has_closed || (final && o->u.count > o->u.audited))
			n++;
	}
	if (n == 0)
		return SK_OK;
	if ((f = calloc(1, sizeof(*f) + n * sizeof(f->e[0]))) == NULL)
		return SK_ERR_NOMEM;
	f->store = s;
	for (size_t i = 0; i < c->n; i++) {
		const ps_org *o = &c->orgs[i];
		int today_rec = final && o->u.count > o->u.audited;
		ps_save_entry *e;

		if (!o->dirty && !o->has_closed && !today_rec)
			continue;
		e = &f->e[f->n];
		e->has_today = today_rec;
		memcpy(e->org, o->org, sizeof(e->org));
		e->u = o->u;
		e->has_closed = o->has_closed;
		e->closed_day = o->closed_day;
		e->closed_count = o->closed_count;
		if (e->has_today)
			e->u.audited = e->u.count;
		f->n++;
	}
	*out = f;
	return SK_OK;
}

void ps_counts_saved(ps_counts *c, int final)
{
	for (size_t i = 0; i < c->n; i++) {
		ps_org *o = &c->orgs[i];

		o->dirty = o->has_closed = 0;
		if (final)
			o->u.audited = o->u.count;
	}
}

sk_status ps_save_apply(MDB_txn *txn, void *arg)
{
	ps_save *f = arg;
	sk_status st = SK_OK;

	for (size_t i = 0; i < f->n && st == SK_OK; i++) {
		const ps_save_entry *e = &f->e[i];

		if (e->has_closed)
			st = ps_audit_daily(f->store, txn, e->org, e->closed_day, e->closed_count);
		if (st == SK_OK && e->has_today)
			st = ps_audit_daily(f->store, txn, e->org, e->u.day, e->u.count);
		if (st == SK_OK)
			st = ps_usage_put(f->store, txn, e->org, &e->u);
	}
	return st;
}

void ps_counts_free(ps_counts *c)
{
	free(c->orgs);
	memset(c, 0, sizeof(*c));
}
