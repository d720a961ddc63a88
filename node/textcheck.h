/* Free text a professional sends into a case discussion must not identify
 * the client: a valid BSN anywhere in it is refused outright; a date that
 * looks like a date of birth, or a postcode with a house number, needs the
 * sender's explicit confirmation (--yes). The check errs on the side of
 * asking: it sees digits and patterns, not meaning. Besides, the plain
 * check of any short text the node keeps (node_text_valid). */
#ifndef SK_NODE_TEXTCHECK_H
#define SK_NODE_TEXTCHECK_H

#include <stddef.h>

#include "common/status.h"

typedef enum node_text_verdict {
	NODE_TEXT_OK = 0,
	NODE_TEXT_BSN,       /* holds nine digits passing the elfproef: refuse */
	NODE_TEXT_DATE,      /* holds a full date (day, month, year): confirm */
	NODE_TEXT_ADDRESS,   /* holds a postcode with a house number: confirm */
} node_text_verdict;

/* Classifies text (len bytes, UTF-8). Digits separated by single spaces,
 * dots or dashes count as one number (a BSN written "1234.56.782" is
 * found). *where (may be NULL) gets the byte offset of the finding. The
 * most serious finding wins (BSN before date before address). */
node_text_verdict node_text_check(const char *text, size_t len, size_t *where);

/* A sentence for the sender about the verdict. */
const char *node_text_verdict_msg(node_text_verdict v);

/* 1 when s is 1..max bytes of UTF-8 without control characters (a name,
 * an e-mail address, a reason, a witness id). */
int node_text_valid(const char *s, size_t max);

#endif
