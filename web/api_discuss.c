/* The API's anonymous case discussions (docs/web.md). */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "node/discuss.h"
#include "node/textcheck.h"
#include "web/api.h"
#include "web/api_int.h"

/* ---- discussions ------------------------------------------------------------- */

static sk_status discussion_one(json_t *d, void *list)
{
	return json_array_append_new(list, d) == 0 ? SK_OK : SK_ERR_NOMEM;
}

/* A page of the discussions about the actor's clients, newest first: own
 * requests (role "requester"), those we take part in ("participant") and
 * invitations ("invited"). */
int api_discussions_page(web_req *r, const node_page_req *pr, json_t **out)
{
	node_page_out pg;
	json_t *list = NULL;
	MDB_txn *txn = NULL;
	sk_status st;
	int code;

	if ((code = api_list_begin(r, &list, out)) != 0)
		return code;
	if ((st = node_audit_access(r->app->s, "discuss.list", web_actor(r), api_actor_role(r),
				    "discussion", NULL, NULL)) == SK_OK &&
	    (st = sk_db_status(mdb_txn_begin(r->app->s->env, NULL, MDB_RDONLY, &txn))) == SK_OK) {
		st = node_discuss_page(r->app->s, txn, web_actor(r), pr, discussion_one, list, &pg);
		mdb_txn_abort(txn);
	}
	if (st != SK_OK) {
		json_decref(list);
		return api_fail(st, out);
	}
	*out = api_page_doc(list, &pg);
	return *out != NULL ? 200 : api_fail(SK_ERR_NOMEM, out);
}

int api_discussions(web_req *r, json_t **out)
{
	node_page_req pr;
	int code = api_page_params(r, "", NODE_PAGE_LIMIT_MAX, &pr, out);

	return code != 0 ? code : api_discussions_page(r, &pr, out);
}

static int discussion_id_ok(const char *id)
{
	if (strlen(id) != NODE_DISCUSSION_HEX - 1)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

/* A professional acts on discussion id: 0, or the status with *out. */
static int discussion_begin(web_req *r, const char *id, json_t **out)
{
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	if (!discussion_id_ok(id)) {
		*out = api_err(api_tr(r, "geen overleg van u met dit nummer", "no such discussion of yours"));
		return 404;
	}
	return 0;
}

int api_discussion(web_req *r, const char *id, json_t **out)
{
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0)
		return code;
	if (!discussion_id_ok(id) ||
	    (st = node_discuss_show(r->app->s, id, web_actor(r), out)) == SK_ERR_NOTFOUND ||
	    st == SK_ERR_PERM) {
		*out = api_err(api_tr(r, "geen overleg van u met dit nummer", "no such discussion of yours"));
		return 404;
	}
	return st == SK_OK ? 200 : api_fail(st, out);
}

/* "YYYY-MM-DD" as UTC ms (end: its last ms). */
static int day_ms(const char *s, int end, uint64_t *ms)
{
	struct tm tm = {0};
	const char *e = s != NULL ? strptime(s, "%Y-%m-%d", &tm) : NULL;

	if (e == NULL || *e != 0)
		return -1;
	*ms = (uint64_t)timegm(&tm) * 1000u + (end ? 86400000u - 1 : 0);
	return 0;
}

int api_discuss_request(web_req *r, json_t **out, char *loc, size_t cap)
{
	const char *cs = web_param(r, "case"), *topic = web_param(r, "topic");
	const char *ws = web_param(r, "window_start"), *we = web_param(r, "window_end");
	uint64_t from = sk_clock_now_ms(), to = from + NODE_DISCUSS_WINDOW_DEFAULT_MS;
	unsigned long long cid = cs != NULL ? strtoull(cs, NULL, 10) : 0;
	char id[NODE_DISCUSSION_HEX];
	node_remote *rem = NULL;
	node_case c;
	sk_status st;
	int code;

	if ((code = api_need_prof(r, out)) != 0 || (code = api_own_case(r, cid, &c, out)) != 0)
		return code;
	if ((ws != NULL && ws[0] && day_ms(ws, 0, &from) != 0) ||
	    (we != NULL && we[0] && day_ms(we, 1, &to) != 0) || to <= from || topic == NULL ||
	    topic[0] == 0) {
		*out = api_err(api_tr(r, "kies een onderwerp en een periode (van vóór tot)",
			      "choose a topic and a window (start before end)"));
		return 400;
	}
	if ((code = api_remote(r, &rem, out)) != 0)
		return code;
	st = node_discuss_request(rem, c.client, web_actor(r), topic, from, to, id);
	node_remote_close(rem);
	if (st != SK_OK)
		return api_fail(st, out);
	snprintf(loc, cap, "/discussions/%s", id);
	*out = json_pack("{s:s,s:s}", "id", id, "message",
			 api_tr(r, "Uitnodiging verstuurd. U hoort het als een partner reageert; wie niet reageert, blijft onbekend.",
			    "Invitation sent. You hear when a partner answers; those who do not answer stay unknown."));
	return 201;
}

int api_discuss_answer(web_req *r, const char *id, int accept, json_t **out)
{
	node_remote *rem = NULL;
	sk_status st;
	int code;

	if ((code = discussion_begin(r, id, out)) != 0)
		return code;
	if ((code = api_remote(r, &rem, out)) != 0)
		return code;
	st = node_discuss_answer(rem, id, web_actor(r), accept);
	node_remote_close(rem);
	if (st != SK_OK)
		return api_fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message",
			 accept ? api_tr(r, "Uitnodiging aangenomen. U kunt nu de samenvatting lezen en berichten sturen.",
				   "Invitation accepted. You can now read the summary and send messages.")
				: api_tr(r, "Uitnodiging afgewezen. De aanvrager hoort dit niet.",
				     "Invitation declined. The requester is not told."));
	return 200;
}

int api_discuss_send(web_req *r, const char *id, int close, json_t **out)
{
	const char *text = web_param(r, close ? "outcome" : "text");
	const char *yes = web_param(r, "yes"), *regie = web_param(r, "regie");
	char org[NET_ORG_ID_MAX + 1] = "";
	const char *prof = NULL, *colon;
	node_text_verdict v;
	node_remote *rem = NULL;
	sk_status st;
	int code;

	if ((code = discussion_begin(r, id, out)) != 0)
		return code;
	if (text == NULL || text[0] == 0 || strlen(text) > NODE_DISCUSS_TEXT_MAX ||
	    !node_discuss_text_ok(text)) {
		*out = api_err(api_tr(r, "schrijf een tekst (hoogstens 16 KiB)",
			      "write a text (at most 16 KiB)"));
		return 400;
	}
	if (close) {
		colon = regie != NULL ? strchr(regie, ':') : NULL;
		if (colon == NULL || colon == regie || colon[1] == 0 ||
		    (size_t)(colon - regie) > NET_ORG_ID_MAX) {
			*out = api_err(api_tr(r, "kies de regievoerder", "choose the regievoerder"));
			return 400;
		}
		memcpy(org, regie, (size_t)(colon - regie));
		prof = colon + 1;
		/* recording the outcome is irreversible: a form says so (a ticked
		 * box, which needs no script) */
		if (r->form_post && !web_param_yes(r, "confirm")) {
			*out = api_err(api_tr(r, "Vink aan dat u het casusoverleg wilt afronden.",
					      "Tick that you want to close the case discussion."));
			return 400;
		}
	}
	v = node_text_check(text, strlen(text), NULL);
	if (v == NODE_TEXT_BSN ||
	    (v != NODE_TEXT_OK && (yes == NULL || (strcmp(yes, "1") != 0 && strcmp(yes, "on") != 0)))) {
		*out = api_err(v == NODE_TEXT_BSN
				       ? api_tr(r, "De tekst bevat een BSN. Haal het weg: een casusoverleg is anoniem.",
					   "The text holds a BSN. Remove it: a case discussion is anonymous.")
			       : v == NODE_TEXT_DATE
				       ? api_tr(r, "De tekst bevat een datum die een geboortedatum kan zijn. Haal die weg, "
						"of vink 'toch versturen' aan.",
					   "The text holds a date that may be a date of birth. Remove it, or tick "
					   "'send anyway'.")
				       : api_tr(r, "De tekst bevat een postcode met huisnummer. Haal die weg, of vink "
						"'toch versturen' aan.",
					   "The text holds a postcode and house number. Remove it, or tick 'send "
					   "anyway'."));
		json_object_set_new(*out, "detail", json_string(node_text_verdict_msg(v)));
		return v == NODE_TEXT_BSN ? 400 : 409;
	}
	if ((code = api_remote(r, &rem, out)) != 0)
		return code;
	st = node_discuss_send(rem, id, web_actor(r), text, close, close ? org : NULL, prof);
	node_remote_close(rem);
	if (st != SK_OK)
		return api_fail(st, out);
	*out = json_pack("{s:s,s:s}", "id", id, "message",
			 close ? api_tr(r, "Casusoverleg afgerond. De deelnemers krijgen de uitkomst en de regievoerder.",
				  "Discussion closed. The participants receive the outcome and the regievoerder.")
			       : api_tr(r, "Bericht verstuurd.", "Message sent."));
	return 200;
}
