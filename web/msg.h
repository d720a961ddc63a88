/* The library's refusals as sentences for people: an sk_status and its
 * English detail (sk_error_detail) become a Dutch and an English sentence
 * that say what went wrong in the user's terms and what to do. A detail
 * the table does not know gets the general sentence of its status: a
 * Dutch page never shows the library's English. */
#ifndef SK_WEB_MSG_H
#define SK_WEB_MSG_H

#include "common/status.h"
#include "web/req.h"

/* The status's stable short name for the JSON API's "code" ("invalid",
 * "notfound", "io", ...; "error" for an unknown status). */
const char *msg_code(sk_status st);
/* The status of a msg_code() name; SK_ERR_FAILED for an unknown name. */
sk_status msg_status(const char *code);

/* The sentence for st with detail (may be NULL) in lang; static storage. */
const char *msg_text(sk_status st, const char *detail, web_lang lang);

#endif
