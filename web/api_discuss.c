/* The API's anonymous case discussions (docs/web.md). */
#define _XOPEN_SOURCE 700 /* strptime */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "node/discuss.h"
#include "node/textcheck.h"
#include "web/api.h"
#include "web/api_int.h"

/* ---- discussions ------------------------------------------------------------- */

struct discussions {
	json_t *mine, *inv, *req, *part;
};

static sk_status discussion_one(json_t *d, void *arg)
{
	struct discussions *k = arg;
	const char *role = json_string_value(json_object_get(d, "role"));
	const char *client = json_string_value(json_object_get(d, "client"));

	if (k->mine == NULL || (client != NULL && json_object_get(k->mine, client) != NULL))
		json_array_append(role == NULL			      ? k->part
				  : strcmp(role, "invited") == 0     ? k->inv
				  : strcmp(role, "requester") == 0   ? k->req
								     : k->part,
				  d);
	json_decref(d);
	return SK_OK;
}

int api_discussions(web_req *r, json_t **out)
{
	struct discussions k = {NULL, json_array(), json_array(), json_array()};
	sk_status st;
	int code;

	if (!r->bearer && (code = api_need_prof(r, out)) != 0)
		goto out;
	if (k.inv == NULL || k.req == NULL || k.part == NULL) {
		code = api_fail(SK_ERR_NOMEM, out);
		goto out;
	}
	if ((st = api_my_clients(r, &k.mine)) != SK_OK ||
	    (st = node_audit_access(r->app->s, "discuss.list", web_actor(r), api_actor_role(r),
				    "discussion", NULL, NULL)) != SK_OK ||
	    (st = node_discuss_scan(r->app->s, r->app->kek, discussion_one, &k)) != SK_OK) {
		code = api_fail(st, out);
		goto out;
	}
	*out = json_pack("{s:O,s:O,s:O}", "invitations", k.inv, "requests", k.req,
			 "participating", k.part);
	code = 200;
out:
	json_decref(k.mine);
	json_decref(k.inv);
	json_decref(k.req);
	json_decref(k.part);
	return code;
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
			 api_tr(r, "uitnodiging verstuurd aan wie mag worden uitgenodigd",
			    "invitation sent to whoever may be invited"));
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
			 accept ? api_tr(r, "uitnodiging aangenomen", "invitation accepted")
				: api_tr(r, "uitnodiging afgewezen (de aanvrager hoort dit niet)",
				     "invitation declined (the requester is not told)"));
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
			 close ? api_tr(r, "overleg gesloten", "discussion closed")
			       : api_tr(r, "verstuurd", "sent"));
	return 200;
}
