/* Calendar dates (YYYY-MM-DD) for birthdates and consent expiry, and the
 * age in completed years on a given day. Days are civil dates; "today" is
 * the local date of the node (the TZ of the process). */
#ifndef SK_NODE_DATE_H
#define SK_NODE_DATE_H

#include <stdint.h>

#include "common/status.h"

#define NODE_DATE_BYTES 10 /* YYYY-MM-DD */

typedef struct node_date {
	int year, month, day;
} node_date;

/* Parses exactly YYYY-MM-DD, a real date of the Gregorian calendar with
 * 1900 <= year <= 9999. SK_ERR_INVALID otherwise. */
sk_status node_date_parse(node_date *out, const char *s) SK_MUST_CHECK;

/* Writes YYYY-MM-DD and a NUL. */
void node_date_format(char out[static NODE_DATE_BYTES + 1], const node_date *d);

/* The local date at unix milliseconds ms. */
node_date node_date_at(uint64_t ms);

/* 00:00 UTC of d, in unix milliseconds. */
uint64_t node_date_ms(const node_date *d);

/* -1, 0 or 1 as a is before, equal to or after b. */
int node_date_cmp(const node_date *a, const node_date *b);

/* Completed years on day today of someone born on birth: the birthday
 * itself counts (born 2012-05-01 is 12 on 2024-05-01); someone born on
 * 29 February has their birthday on 1 March in other years. -1 when
 * birth is after today. */
int node_age(const node_date *birth, const node_date *today);

#endif
