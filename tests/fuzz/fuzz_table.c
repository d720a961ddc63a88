/* Case table records (protos/table.h) on arbitrary bytes: the input is a
 * run of records, each a u16be length and that many bytes of a
 * TableRecordBody, folded in order as registry and node fold a table.
 * Whatever is folded must keep the table's invariants: within its caps,
 * the host a member, every procesregisseur at a member org. The same
 * bytes are parsed as a TableCaseBody (wire_table_case_parse) and as a
 * TableMessageBody (wire_table_message_parse): a subgroup parsed has its
 * id and 2 or more distinct orgs, and no other kind names orgs or a
 * mandate. */
#include <stdlib.h>
#include <string.h>

#include "protos/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const wire_table *t)
{
	if (t->seq == 0)
		return;
	if (t->n_orgs == 0 || t->n_orgs > WIRE_TABLE_ORGS_MAX ||
	    t->n_regisseurs > WIRE_TABLE_REGISSEURS_MAX || t->seq > WIRE_TABLE_RECORDS_MAX ||
	    strlen(t->id) != WIRE_TABLE_ID_HEX || strcmp(t->orgs[0].id, t->host) != 0 ||
	    t->orgs[0].state != WIRE_TABLE_MEMBER)
		abort();
	for (size_t i = 0; i < t->n_regisseurs; i++)
		if (wire_table_org(t, t->regisseurs[i].org) != WIRE_TABLE_MEMBER)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wire_table t;
	size_t off = 0;

	/* the whole input as a case body, too */
	{
		Schakel__V1__TableCaseBody *c = NULL;

		if (wire_table_case_parse(&c, data, size) == SK_OK &&
		    (c->question == NULL || c->n_domains > WIRE_TABLE_CASE_LIST_MAX))
			abort();
		schakel__v1__table_case_body__free_unpacked(c, NULL);
	}
	/* and as a message in a case */
	{
		Schakel__V1__TableMessageBody *m = NULL;

		if (wire_table_message_parse(&m, data, size) == SK_OK &&
		    (m->professional == NULL || m->name == NULL ||
		     (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_INVITE && m->case_ == NULL) ||
		     (m->kind == SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP &&
		      (!wire_table_subgroup_id_ok(m->subgroup) ||
		       !wire_table_subgroup_orgs_ok((const char *const *)m->subgroup_orgs,
						    m->n_subgroup_orgs))) ||
		     (m->kind != SCHAKEL__V1__TABLE_MESSAGE_KIND__TABLE_MSG_SUBGROUP &&
		      (m->n_subgroup_orgs != 0 || m->mandate != NULL))))
			abort();
		schakel__v1__table_message_body__free_unpacked(m, NULL);
	}
	memset(&t, 0, sizeof(t));
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		Schakel__V1__TableRecordBody *b = NULL;
		wire_table before = t;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (wire_table_body_parse(&b, data + off, len) == SK_OK) {
			if (wire_table_apply(&t, b) != SK_OK && memcmp(&before, &t, sizeof(t)) != 0)
				abort(); /* a refusal changes nothing */
			check(&t);
		}
		schakel__v1__table_record_body__free_unpacked(b, NULL);
		off += len;
	}
	return 0;
}
