#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cli.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/file.h"
#include "crypto/oprf.h"
#include "net/cert.h"
#include "protos/wire.h"
#include "registry/cosign.h"
#include "registry/enrol.h"
#include "registry/sweep.h"

#define LABEL_TLS "tls"
#define META_ADDRESS "registry.address"
#define ADDRESS_MAX 255

sk_status reg_address_set(reg_store *s, const char *address)
{
	MDB_txn *txn = NULL;
	MDB_val k = {strlen(META_ADDRESS), META_ADDRESS}, d = {strlen(address), (void *)address};
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	if ((st = sk_db_status(mdb_put(txn, s->log.meta, &k, &d, 0))) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	return sk_db_status(mdb_txn_commit(txn));
}

sk_status reg_address_get(reg_store *s, MDB_txn *txn, char *out, size_t cap)
{
	MDB_val k = {strlen(META_ADDRESS), META_ADDRESS}, d;
	int rc = mdb_get(txn, s->log.meta, &k, &d);

	out[0] = '\0';
	if (rc == MDB_NOTFOUND)
		return SK_OK;
	if (rc != 0)
		return sk_db_status(rc);
	if (d.mv_size >= cap)
		return SK_ERR_TOOBIG;
	memcpy(out, d.mv_data, d.mv_size);
	out[d.mv_size] = '\0';
	return SK_OK;
}

sk_status reg_tls_hosts_set(reg_store *s, const net_hosts *h)
{
	char path[PATH_MAX], text[NET_HOSTS_MAX * (NET_HOST_MAX + 1) + 1];
	size_t n = 0;
	sk_status st;

	if (h->n > NET_HOSTS_MAX)
		return SK_ERR_INVALID;
	for (size_t i = 0; i < h->n; i++) {
		if (!net_cert_host_valid(h->name[i])) {
			sk_error_set("'%.80s' is not a host name (RFC 1123) or an IP address",
				     h->name[i]);
			return SK_ERR_INVALID;
		}
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\n", h->name[i]);
	}
	if ((st = sk_path_join(path, sizeof(path), s->dir, REG_FILE_TLS_HOSTS)) != SK_OK)
		return st;
	return sk_file_create(path, text, n);
}

/* The names of D/tls.hosts into h, pointing into *text (malloc'd, the
 * caller frees it); none when the file is absent. */
static sk_status tls_hosts_read(const reg_store *s, net_hosts *h, uint8_t **text)
{
	char path[PATH_MAX], *line, *save = NULL;
	size_t len = 0;
	sk_status st;

	h->n = 0;
	*text = NULL;
	if ((st = sk_path_join(path, sizeof(path), s->dir, REG_FILE_TLS_HOSTS)) != SK_OK)
		return st;
	if (access(path, F_OK) != 0)
		return SK_OK;
	if ((st = sk_file_read(path, NET_HOSTS_MAX * (NET_HOST_MAX + 1), text, &len)) != SK_OK)
		return st;
	for (line = strtok_r((char *)*text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if ((st = net_hosts_add(h, line)) != SK_OK) {
			sk_error_set("%s: %s", path, sk_error_detail());
			return st;
		}
	return SK_OK;
}

/* D/ca.pem, unless it exists. */
static sk_status ca_pem_ensure(const reg_store *s, const reg_ca *ca)
{
	char path[PATH_MAX];
	sk_status st;

	if ((st = sk_path_join(path, sizeof(path), s->dir, REG_FILE_CA_PEM)) != SK_OK ||
	    access(path, F_OK) == 0)
		return st;
	return reg_ca_pem_write(path, ca->der, ca->der_len);
}

sk_status reg_tls_ensure(reg_store *s, const reg_ca *ca, sk_kek *kek)
{
	char kpath[PATH_MAX], cpath[PATH_MAX], apath[PATH_MAX];
	uint8_t seed[KEY_ED25519_SEED_BYTES], *der = NULL, *text = NULL;
	key_ed25519 tls;
	net_hosts hosts;
	size_t len = 0;
	sk_status st;

	if ((st = sk_path_join(kpath, sizeof(kpath), s->dir, REG_FILE_TLS_KEY)) != SK_OK ||
	    (st = sk_path_join(cpath, sizeof(cpath), s->dir, REG_FILE_TLS_CERT)) != SK_OK ||
	    (st = sk_path_join(apath, sizeof(apath), s->dir, REG_FILE_CA_CERT)) != SK_OK ||
	    (st = ca_pem_ensure(s, ca)) != SK_OK)
		return st;
	if (access(cpath, F_OK) == 0)
		return SK_OK;
	if ((st = tls_hosts_read(s, &hosts, &text)) != SK_OK) {
		free(text);
		return st;
	}
	randombytes_buf(seed, sizeof(seed));
	key_ed25519_from_seed(&tls, seed);
	if ((st = reg_ca_issue(ca, &der, &len, s->org_id, "schakel registry", NET_ROLE_REGISTRY,
			       &hosts, tls.pk, (int64_t)(sk_clock_now_ms() / 1000),
			       REG_CERT_DAYS)) != SK_OK ||
	    (st = sk_keyfile_write(kek, kpath, LABEL_TLS, seed, sizeof(seed))) != SK_OK)
		goto out;
	if ((st = sk_file_create(apath, ca->der, ca->der_len)) != SK_OK && st != SK_ERR_EXISTS)
		goto out;
	st = sk_file_create(cpath, der, len);
out:
	sodium_memzero(seed, sizeof(seed));
	key_ed25519_wipe(&tls);
	free(der);
	free(text);
	return st;
}

static sk_status refuse(const char *why)
{
	sk_error_set("%s", why);
	return SK_ERR_INVALID;
}

int reg_org_id_reserved(const reg_store *s, const char *org_id)
{
	static const char *const words[] = {REG_RESERVED_IDS};
	const char *slash = strchr(s->origin, '/');
	size_t n = strlen(org_id);

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(org_id, words[i]) == 0)
			return 1;
	return strcmp(org_id, s->org_id) == 0 || strcmp(org_id, s->origin) == 0 ||
	       (slash != NULL && (size_t)(slash - s->origin) == n &&
		memcmp(org_id, s->origin, n) == 0);
}

/* The checks of an enrolment request that need no state. */
static sk_status check_request(const Schakel__V1__EnrolRequestBody *b, const reg_store *s)
{
	if (!net_cert_id_valid(b->org_id, NET_ORG_ID_MAX))
		return refuse("the org id must be 1-63 characters of a-z, 0-9, '.' and '-'");
	if (strlen(b->name) == 0 || strlen(b->name) > NET_NAME_MAX)
		return refuse("the organisation name must be 1-64 bytes");
	if (b->identity_key.len != KEY_ED25519_PK_BYTES || b->tls_key.len != KEY_ED25519_PK_BYTES)
		return refuse("identity and TLS keys must be Ed25519 public keys");
	if (sodium_memcmp(b->identity_key.data, b->tls_key.data, KEY_ED25519_PK_BYTES) == 0)
		return refuse("the TLS key must differ from the identity key");
	switch (b->role) {
	case SCHAKEL__V1__ROLE__ROLE_NODE:
		if (b->category == NULL || wire_policy_index(&s->policy, b->category) < 0)
			return refuse("a node's category must be one of the federation policy");
		/* the certificate's OU: a role no node may carry */
		if (strcmp(b->category, NET_ROLE_REGISTRY) == 0 ||
		    strcmp(b->category, NET_ROLE_PSEUDONYMISER) == 0 ||
		    strcmp(b->category, NET_ROLE_WITNESS) == 0)
			return refuse("a node's category may not be a role (registry, "
				      "pseudonymiser, witness)");
		break;
	case SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER:
		if (!b->has_oprf_key || b->oprf_key.len != OPRF_ELEMENT_BYTES ||
		    oprf_element_check(b->oprf_key.data) != SK_OK)
			return refuse("a pseudonymiser's request must carry its OPRF public key");
		break;
	case SCHAKEL__V1__ROLE__ROLE_WITNESS:
		break;
	default:
		return refuse("unknown role");
	}
	if (b->address != NULL && strlen(b->address) > ADDRESS_MAX)
		return refuse("the address is too long");
	if (b->n_hosts > NET_HOSTS_MAX)
		return refuse("the request names more than 16 host names");
	for (size_t i = 0; i < b->n_hosts; i++)
		if (!net_cert_host_valid(b->hosts[i])) {
			sk_error_set("the request names '%.80s', which is not a host name (RFC "
				     "1123) or an IP address; the member must run init again "
				     "with valid --host names",
				     b->hosts[i]);
			return SK_ERR_INVALID;
		}
	return SK_OK;
}

/* The certificate's hosts: the operator's (`enrol --host`), else those the
 * member's request names (checked by check_request). */
static void request_hosts(net_hosts *h, const reg_enrol_opts *o,
			  const Schakel__V1__EnrolRequestBody *b)
{
	if (o->hosts != NULL) {
		*h = *o->hosts;
		return;
	}
	h->n = 0;
	for (size_t i = 0; b != NULL && i < b->n_hosts && h->n < NET_HOSTS_MAX; i++)
		h->name[h->n++] = b->hosts[i];
}

static const char *role_unit(const Schakel__V1__EnrolRequestBody *b)
{
	switch (b->role) {
	case SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER:
		return NET_ROLE_PSEUDONYMISER;
	case SCHAKEL__V1__ROLE__ROLE_WITNESS:
		return NET_ROLE_WITNESS;
	default:
		return b->category;
	}
}

/* Pseudonymiser entries of a bundle, looked up by id in members. */
static sk_status add_pseudonymisers(reg_store *s, MDB_txn *txn, const reg_enrol_opts *o,
				    Schakel__V1__BundleBody *body,
				    Schakel__V1__PseudonymiserInfo *info,
				    Schakel__V1__PseudonymiserInfo **ptr,
				    Schakel__V1__Member **members, char (*ids)[64])
{
	for (size_t i = 0; i < o->n_pseudonymisers; i++) {
		const char *spec = o->pseudonymisers[i], *at = strchr(spec, '@');
		size_t idlen = at != NULL ? (size_t)(at - spec) : 0;
		sk_status st;

		if (at == NULL || idlen == 0 || idlen >= 64 || at[1] == '\0') {
			sk_error_set("--pseudonymiser takes ID@HOST:PORT, not '%.100s'", spec);
			return SK_ERR_INVALID;
		}
		memcpy(ids[i], spec, idlen);
		ids[i][idlen] = 0;
		st = reg_member_get(s, txn, ids[i], &members[i]);
		if (st == SK_ERR_NOTFOUND ||
		    (st == SK_OK && (members[i]->role != SCHAKEL__V1__ROLE__ROLE_PSEUDONYMISER ||
				     members[i]->has_revoked_at || !members[i]->has_oprf_key))) {
			sk_error_set("'%s' is not an enrolled, live pseudonymiser; enrol it first",
				     ids[i]);
			return SK_ERR_NOTFOUND;
		}
		if (st != SK_OK)
			return st;
		schakel__v1__pseudonymiser_info__init(&info[i]);
		info[i].org_id = ids[i];
		info[i].address = (char *)at + 1;
		info[i].oprf_key = members[i]->oprf_key;
		info[i].epoch = members[i]->has_epoch ? members[i]->epoch : 1;
		info[i].identity_key = members[i]->identity_key;
		ptr[i] = &info[i];
	}
	body->n_pseudonymisers = o->n_pseudonymisers;
	body->pseudonymisers = ptr;
	return SK_OK;
}

/* Witness entries of a bundle: live members, recorded for cosigning. */
static sk_status add_witnesses(reg_store *s, MDB_txn *txn, const reg_enrol_opts *o,
			       Schakel__V1__BundleBody *body, Schakel__V1__WitnessInfo *info,
			       Schakel__V1__WitnessInfo **ptr, char (*ids)[64],
			       char (*vkeys)[NOTE_VKEY_MAX])
{
	reg_witness w;
	sk_status st;

	if (o->n_witnesses > REG_MAX_WITNESSES)
		return SK_ERR_TOOBIG;
	if (o->has_quorum && o->quorum > o->n_witnesses) {
		sk_error_set("--quorum %u needs at least that many --witness", o->quorum);
		return SK_ERR_INVALID;
	}
	for (size_t i = 0; i < o->n_witnesses; i++) {
		const char *spec = o->witnesses[i], *at = strchr(spec, '@');
		size_t idlen = at != NULL ? (size_t)(at - spec) : 0;

		if (at == NULL || idlen == 0 || idlen >= 64 || at[1] == '\0') {
			sk_error_set("--witness takes ID@https://HOST:PORT, not '%.100s'", spec);
			return SK_ERR_INVALID;
		}
		memcpy(ids[i], spec, idlen);
		ids[i][idlen] = 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ids[j], ids[i]) == 0) {
				sk_error_set("witness '%s' is named twice", ids[i]);
				return SK_ERR_INVALID;
			}
		if ((st = reg_witness_put(s, txn, ids[i], at + 1, &w)) != SK_OK ||
		    (st = note_verifier_format(vkeys[i], &w.key)) != SK_OK)
			return st;
		schakel__v1__witness_info__init(&info[i]);
		info[i].id = ids[i];
		info[i].url = (char *)at + 1;
		info[i].vkey = vkeys[i];
		ptr[i] = &info[i];
	}
	body->n_witnesses = o->n_witnesses;
	body->witnesses = ptr;
	body->has_quorum = 1;
	body->quorum = o->has_quorum ? o->quorum : 0;
	return SK_OK;
}

/* The key of the registry's TLS certificate, which bundles pin; checked
 * under the federation CA as members will. SK_ERR_NOTFOUND before the
 * registry has a certificate. */
static sk_status registry_tls_key(const reg_store *s, const uint8_t *ca, size_t ca_len,
				  uint8_t pk[static KEY_ED25519_PK_BYTES])
{
	char path[PATH_MAX];
	uint8_t *der = NULL;
	size_t len = 0;
	net_peer peer;
	sk_status st;

	if ((st = sk_path_join(path, sizeof(path), s->dir, REG_FILE_TLS_CERT)) != SK_OK ||
	    (st = sk_file_read(path, NET_CERT_MAX, &der, &len)) != SK_OK)
		return st;
	if ((st = net_cert_verify(&peer, der, len, ca, ca_len,
				  (int64_t)(sk_clock_now_ms() / 1000))) != SK_OK)
		sk_error_set("the registry's TLS certificate does not verify under the CA: %s",
			     sk_error_detail());
	else
		memcpy(pk, peer.tls_pk, KEY_ED25519_PK_BYTES);
	free(der);
	return st;
}

/* Builds and signs the bundle for member m, in txn (a write transaction:
 * the witnesses named are recorded). */
static sk_status make_bundle(reg_store *s, MDB_txn *txn, const Schakel__V1__Member *m,
			     const reg_enrol_opts *o, uint8_t **out, size_t *out_len)
{
	Schakel__V1__BundleBody body = SCHAKEL__V1__BUNDLE_BODY__INIT;
	Schakel__V1__SignedBundle sb = SCHAKEL__V1__SIGNED_BUNDLE__INIT;
	Schakel__V1__PseudonymiserInfo info[REG_MAX_PSEUDONYMISERS];
	Schakel__V1__PseudonymiserInfo *ptr[REG_MAX_PSEUDONYMISERS];
	Schakel__V1__Member *ps[REG_MAX_PSEUDONYMISERS] = {0};
	Schakel__V1__WitnessInfo winfo[REG_MAX_WITNESSES], *wptr[REG_MAX_WITNESSES];
	char wids[REG_MAX_WITNESSES][64], wkeys[REG_MAX_WITNESSES][NOTE_VKEY_MAX];
	char ids[REG_MAX_PSEUDONYMISERS][64], address[ADDRESS_MAX + 1], path[PATH_MAX];
	wire_policy_rules *rules = NULL;
	uint8_t *ca = NULL, *bytes = NULL, sig[KEY_SIG_BYTES], tls_pk[KEY_ED25519_PK_BYTES];
	size_t ca_len = 0, n = 0, nrules;
	MDB_val k = {strlen(META_ADDRESS), META_ADDRESS}, d;
	sk_status st;

	*out = NULL;
	*out_len = 0;
	if (o->n_pseudonymisers > REG_MAX_PSEUDONYMISERS)
		return SK_ERR_TOOBIG;
	if (o->registry_address != NULL) {
		if (strlen(o->registry_address) > ADDRESS_MAX)
			return SK_ERR_TOOBIG;
		memcpy(address, o->registry_address, strlen(o->registry_address) + 1);
	} else if (mdb_get(txn, s->log.meta, &k, &d) == 0 && d.mv_size <= ADDRESS_MAX) {
		memcpy(address, d.mv_data, d.mv_size);
		address[d.mv_size] = 0;
	} else {
		sk_error_set("no registry address known: start 'serve' first or give --registry "
			     "HOST:PORT");
		return SK_ERR_INVALID;
	}
	rules = malloc(sizeof(*rules));
	if (rules == NULL)
		return SK_ERR_NOMEM;
	if ((st = sk_path_join(path, sizeof(path), s->dir, REG_FILE_CA_CERT)) != SK_OK ||
	    (st = sk_file_read(path, NET_CERT_MAX, &ca, &ca_len)) != SK_OK)
		goto out;
	if ((st = registry_tls_key(s, ca, ca_len, tls_pk)) == SK_OK) {
		body.has_registry_tls_key = 1;
		body.registry_tls_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, tls_pk};
	} else if (st != SK_ERR_NOTFOUND) {
		goto out;
	}
	if ((st = add_pseudonymisers(s, txn, o, &body, info, ptr, ps, ids)) != SK_OK ||
	    (st = add_witnesses(s, txn, o, &body, winfo, wptr, wids, wkeys)) != SK_OK ||
	    (st = reg_member_quorum_set(s, txn, m->org_id, body.quorum)) != SK_OK)
		goto out;
	wire_policy_to_rules(rules, &s->policy, &nrules);
	body.federation = s->origin;
	body.ca_cert = (ProtobufCBinaryData){ca_len, ca};
	body.member_cert = m->cert;
	body.registry_address = address;
	body.registry_org_id = s->org_id;
	body.registry_key = (ProtobufCBinaryData){KEY_ED25519_PK_BYTES, s->id->pk};
	body.log_origin = s->origin;
	body.n_policy = nrules;
	body.policy = rules->ptr;
	body.issued_at = sk_clock_now_ms();
	n = schakel__v1__bundle_body__get_packed_size(&body);
	bytes = malloc(n);
	if (bytes == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	schakel__v1__bundle_body__pack(&body, bytes);
	if ((st = key_sign(sig, WIRE_DOMAIN_BUNDLE, bytes, n, s->id->sk)) != SK_OK)
		goto out;
	sb.body = (ProtobufCBinaryData){n, bytes};
	sb.signature = (ProtobufCBinaryData){sizeof(sig), sig};
	*out_len = schakel__v1__signed_bundle__get_packed_size(&sb);
	*out = malloc(*out_len);
	if (*out == NULL) {
		st = SK_ERR_NOMEM;
		goto out;
	}
	schakel__v1__signed_bundle__pack(&sb, *out);
out:
	for (size_t i = 0; i < REG_MAX_PSEUDONYMISERS; i++)
		schakel__v1__member__free_unpacked(ps[i], NULL);
	free(rules);
	free(bytes);
	free(ca);
	return st;
}


/* Appends the member event leaf for m. */
static sk_status member_leaf(reg_store *s, MDB_txn *txn, Schakel__V1__MemberEventKind kind,
			     const Schakel__V1__Member *m, uint64_t now, uint64_t *index)
{
	Schakel__V1__MemberEvent ev = SCHAKEL__V1__MEMBER_EVENT__INIT;
	uint8_t *buf;
	size_t n;
	sk_status st;

	ev.kind = kind;
	ev.org_id = m->org_id;
	ev.time = now;
	if (kind != SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED) {
		ev.has_cert = 1;
		ev.cert = m->cert;
		ev.has_identity_key = 1;
		ev.identity_key = m->identity_key;
		ev.has_oprf_key = m->has_oprf_key;
		ev.oprf_key = m->oprf_key;
	}
	n = schakel__v1__member_event__get_packed_size(&ev);
	buf = malloc(n);
	if (buf == NULL)
		return SK_ERR_NOMEM;
	schakel__v1__member_event__pack(&ev, buf);
	st = reg_leaf_member(s, txn, buf, n, index);
	free(buf);
	return st;
}

static sk_status audit_member(reg_store *s, MDB_txn *txn, const char *event, audit_action a,
			      const char *org)
{
	audit_record rec = {0};

	rec.event = event;
	rec.action = a;
	rec.outcome = AUDIT_OUTCOME_OK;
	rec.access_point = "cli";
	rec.responsible = sk_cli_user();
	rec.counterpart = org;
	return reg_audit(s, txn, &rec);
}

/* The end of every admission or change of a member: its leaf (index into
 * *leaf, before the record is stored), record, audit record, checkpoint and
 * bundle, then one commit. txn is always ended; *bundle is NULL on failure. */
static sk_status member_commit(reg_store *s, MDB_txn *txn, Schakel__V1__MemberEventKind kind,
			       Schakel__V1__Member *m, uint64_t now, uint64_t *leaf,
			       const char *event, audit_action a, const reg_enrol_opts *o,
			       uint8_t **bundle, size_t *bundle_len)
{
	sk_status st;

	if ((st = member_leaf(s, txn, kind, m, now, leaf)) != SK_OK ||
	    (st = reg_member_put(s, txn, m)) != SK_OK ||
	    (st = audit_member(s, txn, event, a, m->org_id)) != SK_OK ||
	    (st = reg_checkpoint_update(s, txn)) != SK_OK ||
	    (st = make_bundle(s, txn, m, o, bundle, bundle_len)) != SK_OK) {
		mdb_txn_abort(txn);
		return st;
	}
	if ((st = sk_db_status(mdb_txn_commit(txn))) != SK_OK) {
		free(*bundle);
		*bundle = NULL;
		*bundle_len = 0;
	}
	return st;
}

/* The certificate of a journalled enrolment: issued by the federation CA
 * (the data dir's copy) for the request's org id and TLS key. */
/* A certificate from the operator's journal: issued by the federation CA
 * (the data dir's copy) for org_id and tls_pk (KEY_ED25519_PK_BYTES, or
 * any other length: refused). */
static sk_status given_cert_check(const reg_store *s, const uint8_t *cert, size_t cert_len,
				  const char *org_id, const ProtobufCBinaryData *tls_pk,
				  uint64_t now)
{
	char path[4096];
	uint8_t *ca = NULL;
	size_t ca_len = 0;
	net_peer peer;
	sk_status st;

	if ((st = sk_path_join(path, sizeof(path), s->dir, REG_FILE_CA_CERT)) != SK_OK ||
	    (st = sk_file_read(path, 65536, &ca, &ca_len)) != SK_OK)
		return st;
	st = net_cert_verify(&peer, cert, cert_len, ca, ca_len, (int64_t)(now / 1000));
	free(ca);
	if (st != SK_OK || strcmp(peer.org_id, org_id) != 0 ||
	    tls_pk->len != KEY_ED25519_PK_BYTES ||
	    sodium_memcmp(peer.tls_pk, tls_pk->data, KEY_ED25519_PK_BYTES) != 0) {
		sk_error_set("the certificate in the journal is not one the federation CA issued "
			     "for '%s' and its TLS key",
			     org_id);
		return SK_ERR_VERIFY;
	}
	return SK_OK;
}

static sk_status enrol_do(reg_store *s, const reg_ca *ca, const uint8_t *given,
			  size_t given_len, const uint8_t *request, size_t len,
			  const reg_enrol_opts *o, uint8_t **bundle, size_t *bundle_len,
			  char org_id[static 64]);

sk_status reg_enrol(reg_store *s, const reg_ca *ca, const uint8_t *request, size_t len,
		    const reg_enrol_opts *o, uint8_t **bundle, size_t *bundle_len,
		    char org_id[static 64])
{
	return enrol_do(s, ca, NULL, 0, request, len, o, bundle, bundle_len, org_id);
}

sk_status reg_enrol_replay(reg_store *s, const uint8_t *request, size_t len,
			   const uint8_t *cert, size_t cert_len, const reg_enrol_opts *o,
			   char org_id[static 64])
{
	uint8_t *bundle = NULL;
	size_t bundle_len = 0;
	sk_status st = enrol_do(s, NULL, cert, cert_len, request, len, o, &bundle, &bundle_len,
				org_id);

	free(bundle);
	return st;
}

static sk_status enrol_do(reg_store *s, const reg_ca *ca, const uint8_t *given,
			  size_t given_len, const uint8_t *request, size_t len,
			  const reg_enrol_opts *o, uint8_t **bundle, size_t *bundle_len,
			  char org_id[static 64])
{
	Schakel__V1__SignedEnrolRequest *sr = NULL;
	Schakel__V1__EnrolRequestBody *b = NULL;
	Schakel__V1__Member m = SCHAKEL__V1__MEMBER__INIT, *old = NULL;
	MDB_txn *txn = NULL;
	net_hosts hosts;
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	uint64_t now = sk_clock_now_ms();
	sk_status st;

	*bundle = NULL;
	*bundle_len = 0;
	org_id[0] = 0;
	sr = schakel__v1__signed_enrol_request__unpack(NULL, len, request);
	if (sr == NULL || sr->signature.len != KEY_SIG_BYTES ||
	    (b = schakel__v1__enrol_request_body__unpack(NULL, sr->body.len, sr->body.data)) == NULL) {
		st = refuse("the file is not a schakel enrolment request");
		goto out;
	}
	if ((st = check_request(b, s)) != SK_OK)
		goto out;
	if (reg_org_id_reserved(s, b->org_id)) {
		sk_error_set("org id '%s' is reserved (the registry's own id or name, or a word "
			     "that names a party); the member must choose another",
			     b->org_id);
		st = SK_ERR_PERM;
		goto out;
	}
	if (key_verify(sr->signature.data, WIRE_DOMAIN_ENROL_REQUEST, sr->body.data, sr->body.len,
		       b->identity_key.data) != SK_OK) {
		sk_error_set("the enrolment request's signature does not verify");
		st = SK_ERR_VERIFY;
		goto out;
	}
	memcpy(org_id, b->org_id, strlen(b->org_id) + 1);
	request_hosts(&hosts, o, b);
	if (given != NULL) {
		/* a journalled enrolment: the member keeps the certificate it has */
		if ((st = given_cert_check(s, given, given_len, b->org_id, &b->tls_key, now)) !=
		    SK_OK)
			goto out;
		if ((cert = malloc(given_len)) == NULL) {
			st = SK_ERR_NOMEM;
			goto out;
		}
		memcpy(cert, given, given_len);
		cert_len = given_len;
	} else if ((st = reg_ca_issue(ca, &cert, &cert_len, b->org_id, b->name, role_unit(b),
				      &hosts, b->tls_key.data, (int64_t)(now / 1000),
				      REG_CERT_DAYS)) != SK_OK) {
		goto out;
	}
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	st = reg_member_get(s, txn, b->org_id, &old);
	if (st == SK_OK) {
		sk_error_set("org id '%s' is already enrolled%s; use enrol --refresh %s for a new "
			     "bundle",
			     b->org_id, old->has_revoked_at ? " (and revoked)" : "", b->org_id);
		st = SK_ERR_EXISTS;
		goto abort;
	}
	if (st != SK_ERR_NOTFOUND)
		goto abort;
	m.org_id = b->org_id;
	m.name = b->name;
	m.category = (char *)role_unit(b);
	m.role = b->role;
	m.identity_key = b->identity_key;
	m.tls_key = b->tls_key;
	m.has_oprf_key = b->has_oprf_key;
	m.oprf_key = b->oprf_key;
	m.has_encryption_key = b->has_encryption_key;
	m.encryption_key = b->encryption_key;
	m.address = b->address;
	m.cert = (ProtobufCBinaryData){cert_len, cert};
	m.enrolled_at = now;
	m.request = (ProtobufCBinaryData){len, (uint8_t *)request};
	st = member_commit(s, txn, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_ENROLLED, &m, now,
			   &m.leaf_index, "member.enrol", AUDIT_ACTION_CREATE, o, bundle, bundle_len);
	goto out;
abort:
	mdb_txn_abort(txn);
out:
	schakel__v1__member__free_unpacked(old, NULL);
	schakel__v1__enrol_request_body__free_unpacked(b, NULL);
	schakel__v1__signed_enrol_request__free_unpacked(sr, NULL);
	free(cert);
	return st;
}

/* The record of a live member into *m (freed by the caller), in txn;
 * refused is what a revoked member does not get, for the sentence. */
static sk_status live_member(reg_store *s, MDB_txn *txn, const char *org_id,
			     Schakel__V1__Member **m, const char *refused)
{
	sk_status st = reg_member_get(s, txn, org_id, m);

	if (st == SK_ERR_NOTFOUND)
		sk_error_set("org id '%s' is not enrolled", org_id);
	if (st == SK_OK && (*m)->has_revoked_at) {
		sk_error_set("org id '%s' is revoked; a revoked member gets no %s", org_id, refused);
		st = SK_ERR_PERM;
	}
	return st;
}

/* The hosts for a new certificate of member m: o->hosts, else those of
 * the enrolment request it holds (checked at enrol); *er and *eb keep the
 * strings and are freed by the caller. */
static void member_hosts(net_hosts *h, const reg_enrol_opts *o, const Schakel__V1__Member *m,
			 Schakel__V1__SignedEnrolRequest **er, Schakel__V1__EnrolRequestBody **eb)
{
	*er = schakel__v1__signed_enrol_request__unpack(NULL, m->request.len, m->request.data);
	if (*er != NULL)
		*eb = schakel__v1__enrol_request_body__unpack(NULL, (*er)->body.len,
							      (*er)->body.data);
	request_hosts(h, o, *eb);
}

sk_status reg_enrol_refresh(reg_store *s, const char *org_id, const reg_enrol_opts *o,
			    uint8_t **bundle, size_t *bundle_len)
{
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	st = live_member(s, txn, org_id, &m, "bundle");
	if (st == SK_OK && (st = make_bundle(s, txn, m, o, bundle, bundle_len)) == SK_OK &&
	    (st = audit_member(s, txn, "member.refresh", AUDIT_ACTION_READ, org_id)) == SK_OK) {
		st = sk_db_status(mdb_txn_commit(txn));
		txn = NULL;
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (st != SK_OK && *bundle != NULL) {
		free(*bundle);
		*bundle = NULL;
	}
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}

/* reg_enrol_recert, or with given (given_len bytes, not NULL) the
 * certificate the journal holds instead of a new one (ca unused). */
static sk_status recert_do(reg_store *s, const reg_ca *ca, const uint8_t *given,
			   size_t given_len, const char *org_id, const reg_enrol_opts *o,
			   uint8_t **bundle, size_t *bundle_len)
{
	Schakel__V1__Member *m = NULL;
	Schakel__V1__SignedEnrolRequest *er = NULL;
	Schakel__V1__EnrolRequestBody *eb = NULL;
	ProtobufCBinaryData old = {0, NULL};
	MDB_txn *txn = NULL;
	net_hosts hosts;
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	uint64_t now = sk_clock_now_ms(), index;
	sk_status st;

	*bundle = NULL;
	*bundle_len = 0;
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	st = live_member(s, txn, org_id, &m, "certificate");
	if (st == SK_OK && m->tls_key.len != KEY_ED25519_PK_BYTES)
		st = refuse("the member record holds no TLS key");
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	member_hosts(&hosts, o, m, &er, &eb);
	if (given != NULL) {
		if ((st = given_cert_check(s, given, given_len, m->org_id, &m->tls_key, now)) ==
			    SK_OK &&
		    (cert = malloc(given_len)) == NULL)
			st = SK_ERR_NOMEM;
		if (st == SK_OK) {
			memcpy(cert, given, given_len);
			cert_len = given_len;
		}
	} else {
		st = reg_ca_issue(ca, &cert, &cert_len, m->org_id, m->name,
				  m->category != NULL ? m->category : "", &hosts, m->tls_key.data,
				  (int64_t)(now / 1000), REG_CERT_DAYS);
	}
	if (st != SK_OK) {
		mdb_txn_abort(txn);
		goto out;
	}
	old = m->cert;
	m->cert = (ProtobufCBinaryData){cert_len, cert};
	st = member_commit(s, txn, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED, m, now, &index,
			   "member.refresh", AUDIT_ACTION_UPDATE, o, bundle, bundle_len);
	m->cert = old; /* m frees its own */
out:
	schakel__v1__member__free_unpacked(m, NULL);
	schakel__v1__enrol_request_body__free_unpacked(eb, NULL);
	schakel__v1__signed_enrol_request__free_unpacked(er, NULL);
	free(cert);
	return st;
}

sk_status reg_enrol_recert(reg_store *s, const reg_ca *ca, const char *org_id,
			   const reg_enrol_opts *o, uint8_t **bundle, size_t *bundle_len)
{
	return recert_do(s, ca, NULL, 0, org_id, o, bundle, bundle_len);
}

sk_status reg_recert_replay(reg_store *s, const char *org_id, const uint8_t *cert,
			    size_t cert_len, const reg_enrol_opts *o)
{
	uint8_t *bundle = NULL;
	size_t bundle_len = 0;
	sk_status st = recert_do(s, NULL, cert, cert_len, org_id, o, &bundle, &bundle_len);

	free(bundle);
	return st;
}

/* The checks of a rekey request against the member record m. */
static sk_status check_rekey(const Schakel__V1__SignedRekeyRequest *sr,
			     const Schakel__V1__RekeyRequestBody *b, const Schakel__V1__Member *m)
{
	if (strcmp(b->org_id, m->org_id) != 0) {
		sk_error_set("this rekey request is for '%.63s', not for '%s'", b->org_id, m->org_id);
		return SK_ERR_PERM;
	}
	if (b->old_identity_key.len != KEY_ED25519_PK_BYTES ||
	    b->identity_key.len != KEY_ED25519_PK_BYTES || b->tls_key.len != KEY_ED25519_PK_BYTES ||
	    b->encryption_key.len != KEY_X25519_PK_BYTES)
		return refuse("the rekey request's keys have the wrong lengths");
	if (m->identity_key.len != KEY_ED25519_PK_BYTES ||
	    sodium_memcmp(b->old_identity_key.data, m->identity_key.data, KEY_ED25519_PK_BYTES) != 0) {
		sk_error_set("the rekey request is not signed by the identity key the registry holds "
			     "for '%s' (an older request, or not from this member)",
			     m->org_id);
		return SK_ERR_PERM;
	}
	if (sodium_memcmp(b->identity_key.data, b->old_identity_key.data, KEY_ED25519_PK_BYTES) == 0 ||
	    sodium_memcmp(b->tls_key.data, m->tls_key.data, KEY_ED25519_PK_BYTES) == 0 ||
	    sodium_memcmp(b->tls_key.data, b->identity_key.data, KEY_ED25519_PK_BYTES) == 0)
		return refuse("a rekey needs a new identity key and a new TLS key, different from "
			      "each other");
	if (key_verify(sr->old_signature.data, WIRE_DOMAIN_REKEY_REQUEST, sr->body.data,
		       sr->body.len, m->identity_key.data) != SK_OK ||
	    key_verify(sr->new_signature.data, WIRE_DOMAIN_REKEY_REQUEST, sr->body.data,
		       sr->body.len, b->identity_key.data) != SK_OK) {
		sk_error_set("the rekey request's signatures (old and new identity key) do not "
			     "verify");
		return SK_ERR_VERIFY;
	}
	return SK_OK;
}

/* reg_rekey, or with given (given_len bytes, not NULL) the certificate
 * the journal holds for the new TLS key instead of a new one (ca unused). */
static sk_status rekey_do(reg_store *s, const reg_ca *ca, const uint8_t *given,
			  size_t given_len, const char *org_id, const uint8_t *request, size_t len,
			  const reg_enrol_opts *o, uint8_t **bundle, size_t *bundle_len)
{
	Schakel__V1__SignedRekeyRequest *sr = NULL;
	Schakel__V1__RekeyRequestBody *b = NULL;
	Schakel__V1__Member *m = NULL;
	Schakel__V1__SignedEnrolRequest *er = NULL;
	Schakel__V1__EnrolRequestBody *eb = NULL;
	MDB_txn *txn = NULL;
	net_hosts hosts;
	uint8_t *cert = NULL;
	size_t cert_len = 0;
	uint64_t now = sk_clock_now_ms(), index;
	ProtobufCBinaryData saved[4];
	protobuf_c_boolean saved_has = 0;
	int swapped = 0;
	sk_status st;

	*bundle = NULL;
	*bundle_len = 0;
	sr = schakel__v1__signed_rekey_request__unpack(NULL, len, request);
	if (sr == NULL || sr->old_signature.len != KEY_SIG_BYTES ||
	    sr->new_signature.len != KEY_SIG_BYTES ||
	    (b = schakel__v1__rekey_request_body__unpack(NULL, sr->body.len, sr->body.data)) == NULL)
		return refuse("the file is not a schakel rekey request");
	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		goto out;
	st = live_member(s, txn, org_id, &m, "new keys");
	if (st != SK_OK || (st = check_rekey(sr, b, m)) != SK_OK)
		goto abort;
	member_hosts(&hosts, o, m, &er, &eb);
	if (given != NULL) {
		if ((st = given_cert_check(s, given, given_len, m->org_id, &b->tls_key, now)) !=
		    SK_OK)
			goto abort;
		if ((cert = malloc(given_len)) == NULL) {
			st = SK_ERR_NOMEM;
			goto abort;
		}
		memcpy(cert, given, given_len);
		cert_len = given_len;
	} else if ((st = reg_ca_issue(ca, &cert, &cert_len, m->org_id, m->name,
				      m->category != NULL ? m->category : "", &hosts,
				      b->tls_key.data, (int64_t)(now / 1000), REG_CERT_DAYS)) !=
		   SK_OK) {
		goto abort;
	}
	saved[0] = m->identity_key;
	saved[1] = m->tls_key;
	saved[2] = m->encryption_key;
	saved[3] = m->cert;
	saved_has = m->has_encryption_key;
	swapped = 1;
	m->identity_key = b->identity_key;
	m->tls_key = b->tls_key;
	m->has_encryption_key = 1;
	m->encryption_key = b->encryption_key;
	m->cert = (ProtobufCBinaryData){cert_len, cert};
	st = member_commit(s, txn, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REFRESHED, m, now, &index,
			   "member.rekey", AUDIT_ACTION_UPDATE, o, bundle, bundle_len);
	goto out;
abort:
	mdb_txn_abort(txn);
out:
	if (m != NULL && swapped) {
		/* the fields point into b and cert: give m its own back to free */
		m->identity_key = saved[0];
		m->tls_key = saved[1];
		m->encryption_key = saved[2];
		m->cert = saved[3];
		m->has_encryption_key = saved_has;
	}
	schakel__v1__member__free_unpacked(m, NULL);
	schakel__v1__enrol_request_body__free_unpacked(eb, NULL);
	schakel__v1__signed_enrol_request__free_unpacked(er, NULL);
	schakel__v1__rekey_request_body__free_unpacked(b, NULL);
	schakel__v1__signed_rekey_request__free_unpacked(sr, NULL);
	free(cert);
	return st;
}

sk_status reg_rekey(reg_store *s, const reg_ca *ca, const char *org_id, const uint8_t *request,
		    size_t len, const reg_enrol_opts *o, uint8_t **bundle, size_t *bundle_len)
{
	return rekey_do(s, ca, NULL, 0, org_id, request, len, o, bundle, bundle_len);
}

sk_status reg_rekey_replay(reg_store *s, const char *org_id, const uint8_t *request, size_t len,
			   const uint8_t *cert, size_t cert_len, const reg_enrol_opts *o)
{
	uint8_t *bundle = NULL;
	size_t bundle_len = 0;
	sk_status st = rekey_do(s, NULL, cert, cert_len, org_id, request, len, o, &bundle,
				&bundle_len);

	free(bundle);
	return st;
}

sk_status reg_revoke(reg_store *s, const char *org_id, int purge, size_t *purged)
{
	Schakel__V1__Member *m = NULL;
	MDB_txn *txn = NULL;
	uint64_t now = sk_clock_now_ms(), index;
	sk_status st;

	if ((st = sk_db_status(mdb_txn_begin(s->env, NULL, 0, &txn))) != SK_OK)
		return st;
	st = reg_member_get(s, txn, org_id, &m);
	if (st == SK_ERR_NOTFOUND)
		sk_error_set("org id '%s' is not enrolled", org_id);
	if (st == SK_OK && m->has_revoked_at) {
		/* a second revoke may still purge what the first one kept */
		if (purge && (st = reg_purge_org(s, txn, org_id, now, purged)) == SK_OK &&
		    (st = audit_member(s, txn, "member.purge", AUDIT_ACTION_DELETE, org_id)) == SK_OK) {
			schakel__v1__member__free_unpacked(m, NULL);
			return sk_db_status(mdb_txn_commit(txn));
		}
		if (st == SK_OK) {
			sk_error_set("org id '%s' was already revoked", org_id);
			st = SK_ERR_EXISTS;
		}
	}
	if (st != SK_OK)
		goto abort;
	/* purge first: partners' notices need the entries as they were */
	if (purge && (st = reg_purge_org(s, txn, org_id, now, purged)) != SK_OK)
		goto abort;
	m->has_revoked_at = 1;
	m->revoked_at = now;
	if ((st = member_leaf(s, txn, SCHAKEL__V1__MEMBER_EVENT_KIND__MEMBER_REVOKED, m, now,
			      &index)) != SK_OK ||
	    (st = reg_member_put(s, txn, m)) != SK_OK ||
	    (st = audit_member(s, txn, "member.revoke", AUDIT_ACTION_DELETE, org_id)) != SK_OK ||
	    (st = reg_checkpoint_update(s, txn)) != SK_OK)
		goto abort;
	st = sk_db_status(mdb_txn_commit(txn));
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
abort:
	mdb_txn_abort(txn);
	schakel__v1__member__free_unpacked(m, NULL);
	return st;
}
