#include <string.h>

#include "common/clock.h"
#include "node/case.h"
#include "node/members.h"
#include "node/org.h"
#include "node/professional.h"
#include "node/report.h"

struct names {
	node_store *s;
	MDB_txn *txn;
	node_professional p;
	node_member m;
};

static const char *prof_name(const char *user, void *arg)
{
	struct names *nm = arg;

	return node_professional_get(nm->s, nm->txn, user, &nm->p) == SK_OK ? nm->p.name : NULL;
}

static const char *org_name(const char *org, void *arg)
{
	struct names *nm = arg;

	if (strcmp(org, nm->s->org_id) == 0)
		return nm->s->name;
	return node_members_get(nm->s, nm->txn, org, &nm->m) == SK_OK && nm->m.name[0] ? nm->m.name
											: NULL;
}

/* The latest end of the client's open cases. */
static sk_status case_end(const node_case *c, void *arg)
{
	uint64_t *until = arg;

	if (c->open && c->consent.expires_at > *until)
		*until = c->consent.expires_at;
	return SK_OK;
}

sk_status node_report_build(node_store *s, MDB_txn *txn, const char *client, audit_lang lang,
			    bool names, json_t **out)
{
	char contact[NODE_PRIVACY_CONTACT_MAX + 1];
	struct names nm = {.s = s, .txn = txn};
	audit_report_opts ro = {0};
	sk_status st;

	*out = NULL;
	if ((st = node_org_privacy_contact(s, txn, contact, sizeof(contact))) != SK_OK ||
	    (st = node_case_scan(s, txn, client, case_end, &ro.case_until_ms)) != SK_OK)
		return st;
	ro.client = client;
	ro.org_name = s->name;
	ro.lang = lang;
	ro.name_of = names ? prof_name : NULL;
	ro.name_arg = &nm;
	ro.org_of = org_name;
	ro.org_arg = &nm;
	ro.now_ms = sk_clock_now_ms();
	ro.retention_ms = audit_log_retention(s->audit);
	ro.privacy_contact = contact[0] ? contact : NULL;
	return audit_report_build(out, s->audit, txn, &ro);
}
