/* Case tables (casustafel): the rules of a table's signed records, shared
 * by the registry (which refuses a record that breaks them) and the nodes
 * (which fold what the registry sends and refuse a table that breaks
 * them). No I/O: the caller finds the signer's identity key and keeps the
 * records. A table is the fold of its records in seq order:
 *   create     (seq 1, by the host)       name, rhythm, open, invited orgs,
 *                                         the host's procesregisseur
 *   join       (by an invited org itself)  it becomes a member
 *   leave      (by a member itself)        it is no longer a member; its
 *                                         procesregisseurs go with it
 *   regisseur  (by the host, or an org    one more procesregisseur, a
 *               with a procesregisseur)    professional of a member org
 * Every record's seq is the table's next; a record is signed by its
 * org_id over WIRE_DOMAIN_TABLE_RECORD. */
#ifndef SK_WIRE_TABLE_H
#define SK_WIRE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "protos/schakel.pb-c.h"

#define WIRE_TABLE_ID_HEX 32       /* 16 random bytes in lowercase hex */
#define WIRE_TABLE_ORG_MAX 63      /* as NET_ORG_ID_MAX: [a-z0-9.-] */
#define WIRE_TABLE_PROF_MAX 63     /* as NODE_ID_MAX: [a-z0-9.-] */
#define WIRE_TABLE_NAME_MAX 80     /* UTF-8, no control characters */
#define WIRE_TABLE_RHYTHM_MAX 80
#define WIRE_TABLE_ORGS_MAX 32     /* orgs one table names, host included */
#define WIRE_TABLE_REGISSEURS_MAX 16
#define WIRE_TABLE_RECORDS_MAX 512 /* records one table may have */
#define WIRE_TABLE_BODY_MAX 4096   /* a TableRecordBody, at most (~2.3 KB) */

typedef enum wire_table_org_state {
	WIRE_TABLE_INVITED = 1,
	WIRE_TABLE_MEMBER = 2,
	WIRE_TABLE_LEFT = 3,
} wire_table_org_state;

typedef struct wire_table {
	char id[WIRE_TABLE_ID_HEX + 1];
	char host[WIRE_TABLE_ORG_MAX + 1];
	char name[WIRE_TABLE_NAME_MAX + 1];
	char rhythm[WIRE_TABLE_RHYTHM_MAX + 1];
	int open;
	uint64_t seq;        /* the last record folded; 0: none yet */
	uint64_t created_at; /* unix ms */
	size_t n_orgs;       /* orgs[0] is the host */
	struct {
		char id[WIRE_TABLE_ORG_MAX + 1];
		wire_table_org_state state;
	} orgs[WIRE_TABLE_ORGS_MAX];
	size_t n_regisseurs;
	struct {
		char org[WIRE_TABLE_ORG_MAX + 1];
		char prof[WIRE_TABLE_PROF_MAX + 1];
	} regisseurs[WIRE_TABLE_REGISSEURS_MAX];
} wire_table;

/* Parses a record body: its size, every field's bounds and alphabet, the
 * fields its action needs and no others; *out is the caller's
 * (schakel__v1__table_record_body__free_unpacked). SK_ERR_INVALID with a
 * sentence in the thread's detail otherwise. */
sk_status wire_table_body_parse(Schakel__V1__TableRecordBody **out, const uint8_t *body,
				size_t len) SK_MUST_CHECK;

/* Folds b (parsed by wire_table_body_parse, its signature checked by the
 * caller) into t (zeroed for a new table). On a refusal t is unchanged:
 * SK_ERR_EXISTS for a seq that is not the next one, SK_ERR_PERM for a
 * signer the rules do not allow, SK_ERR_INVALID for the rest; the
 * thread's detail says which rule. */
sk_status wire_table_apply(wire_table *t, const Schakel__V1__TableRecordBody *b) SK_MUST_CHECK;

/* org's state at t; 0 when t does not name it. */
wire_table_org_state wire_table_org(const wire_table *t, const char *org);

/* 1 when org has a procesregisseur at t (prof NULL: any). */
int wire_table_is_regisseur(const wire_table *t, const char *org, const char *prof);

/* 1 when org may see t's records: t names it, or t is open. */
int wire_table_visible(const wire_table *t, const char *org);

/* Lowercase table action word: create, join, leave, regisseur. */
const char *wire_table_action_name(Schakel__V1__TableAction a);

/* ---- intake: a case brought to a table ---------------------------------- */

#define WIRE_TABLE_CASE_ID_BYTES 16
#define WIRE_TABLE_CASE_TEXT_MAX 4000   /* question, what was tried: UTF-8 bytes */
#define WIRE_TABLE_CASE_SHORT_MAX 128   /* name, role, phone, e-mail */
#define WIRE_TABLE_CASE_LIST_MAX 16     /* life domains, parties */
#define WIRE_TABLE_CASE_BODY_MAX 16384  /* a TableCaseBody, packed */
#define WIRE_TABLE_SEALED_MAX (WIRE_TABLE_CASE_BODY_MAX + 256) /* its seal_signed */
/* the seal's context: table id (ASCII) || case id || u64be(0) */
#define WIRE_TABLE_CASE_CONTEXT_BYTES (WIRE_TABLE_ID_HEX + WIRE_TABLE_CASE_ID_BYTES + 8)

/* The life domains a case may name, NULL-terminated (Dutch words as the
 * pages show them, e.g. "wonen", "financien", "psychische-gezondheid"). */
extern const char *const wire_table_domains[];
/* The urgencies: "hoog", "gemiddeld", "laag", NULL-terminated. */
extern const char *const wire_table_urgencies[];

/* Parses a TableCaseBody: every field within its cap, text without
 * control characters but newlines and tabs, domains and urgency from
 * their lists, parties as category ids. *out is the caller's
 * (schakel__v1__table_case_body__free_unpacked). SK_ERR_INVALID with the
 * detail naming the field otherwise. */
sk_status wire_table_case_parse(Schakel__V1__TableCaseBody **out, const uint8_t *body,
				size_t len) SK_MUST_CHECK;

#define WIRE_TABLE_TAG_BYTES 32
#define WIRE_TABLE_TOKEN_BYTES 32 /* a client's token (crypto/bsn.h BSN_TOKEN_BYTES) */

/* The "already involved" tag of one table case: HMAC-SHA-256 keyed by the
 * client's token over WIRE_DOMAIN_TABLE_TAG || table id || case id. It
 * says nothing of the token to whoever lacks it, and a tag of one case
 * matches in no other (tests/node/test_tablecase.c). WARNING: token is a
 * secret; the caller wipes it. */
void wire_table_tag(uint8_t out[static WIRE_TABLE_TAG_BYTES],
		    const uint8_t token[static WIRE_TABLE_TOKEN_BYTES], const char *table_id,
		    const uint8_t case_id[static WIRE_TABLE_CASE_ID_BYTES]);

/* ---- regie: messages in a table case -------------------------------------- */

#define WIRE_TABLE_MESSAGE_MAX (WIRE_TABLE_CASE_BODY_MAX + 4096) /* a TableMessageBody */
#define WIRE_TABLE_INVITED_MAX 8 /* orgs invited for one case */
#define WIRE_TABLE_MESSAGE_SEALED_MAX (WIRE_TABLE_MESSAGE_MAX + 256)

#define WIRE_TABLE_PARTICIPANTS_MAX (WIRE_TABLE_ORGS_MAX + WIRE_TABLE_INVITED_MAX)

/* A subgroup of a case: a procesregisseur names 2 or more of the case's
 * participants and gives them a mandate (what they may decide outside the
 * usual routine), sealed to them only; the other participants learn the
 * subgroup's id, orgs and end date, never its mandate or its messages. */
#define WIRE_TABLE_SUBGROUP_ID_HEX 16 /* 8 random bytes in lowercase hex */
#define WIRE_TABLE_SUBGROUPS_MAX 8    /* subgroups one case may have */

/* 1 when s is a subgroup id (WIRE_TABLE_SUBGROUP_ID_HEX lowercase hex). */
int wire_table_subgroup_id_ok(const char *s);

/* 1 when orgs are 2 to WIRE_TABLE_PARTICIPANTS_MAX distinct org ids. */
int wire_table_subgroup_orgs_ok(const char *const *orgs, size_t n);

/* 1 when org is one of orgs. */
int wire_table_subgroup_orgs_in(const char *const *orgs, size_t n, const char *org);

/* 1 when s is a date YYYY-MM-DD (year 2000-9999). */
int wire_table_date_ok(const char *s);

/* Parses a TableMessageBody: sender and text within their caps, and each
 * kind's own fields (schedule: date; invite: org and the case without a
 * tag; outcome: text, regievoerder, routed to, evaluation date; subgroup:
 * id, orgs, mandate (only in its orgs' copies), end date; text: to a
 * subgroup or all), subgroup fields in no other kind. *out is
 * the caller's. SK_ERR_INVALID otherwise. */
sk_status wire_table_message_parse(Schakel__V1__TableMessageBody **out, const uint8_t *body,
				   size_t len) SK_MUST_CHECK;

/* A message's seal context: table id || case id || u64be(seq). */
void wire_table_message_context(uint8_t out[static WIRE_TABLE_CASE_CONTEXT_BYTES],
				const char *table_id,
				const uint8_t case_id[static WIRE_TABLE_CASE_ID_BYTES], uint64_t seq);

/* The seal's context for a case (WIRE_TABLE_CASE_CONTEXT_BYTES). */
void wire_table_case_context(uint8_t out[static WIRE_TABLE_CASE_CONTEXT_BYTES],
			     const char *table_id,
			     const uint8_t case_id[static WIRE_TABLE_CASE_ID_BYTES]);

#endif
